"""Loading plugins (drivers, API extensions) by entry-point name."""

from stevedore import driver as stevedore_driver
from stevedore import exception as stevedore_exc


def load(namespace, name):
    """The object the entry point ``name`` of ``namespace`` refers to.

    Raises LookupError when there is no such entry point and ImportError
    when it does not import, so that callers can say which.
    """
    try:
        return stevedore_driver.DriverManager(
            namespace, name, invoke_on_load=False,
            on_load_failure_callback=_reraise).driver
    except stevedore_exc.NoMatches:
        raise LookupError('no entry point %s in %s' % (name, namespace))


def _reraise(manager, entrypoint, exc):
    raise exc
