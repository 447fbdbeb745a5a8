"""A paste urlmap that builds each application once.

NOTE: Paste's own ``egg:Paste#urlmap`` loads the application of every
path separately, so ``/v2`` and ``/v3`` (the same pipeline) made two
keystonemiddleware instances: each logged its start-up warnings again and
kept its own token cache. Here paths naming the same section share one
application object.
"""

from paste import urlmap


def urlmap_factory(loader, global_conf, **local_conf):
    """Paste composite factory: ``path = section`` lines, like Paste's.

    Accepts Paste's ``not_found_app`` and path expressions
    (``domain ... port ... /path``). Returns a :class:`paste.urlmap.URLMap`.
    """
    not_found_app = local_conf.pop('not_found_app',
                                   global_conf.get('not_found_app'))
    apps = {}

    def app_of(name):
        if name not in apps:
            apps[name] = loader.get_app(name, global_conf=global_conf)
        return apps[name]

    mapping = urlmap.URLMap(
        not_found_app=app_of(not_found_app) if not_found_app else None)
    for path, app_name in local_conf.items():
        mapping[urlmap.parse_path_expression(path)] = app_of(app_name)
    return mapping
