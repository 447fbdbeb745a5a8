"""API extensions in Cinder's shape, loaded through entry points.

An ExtensionDescriptor names itself (name, alias, updated, docstring as
description) and returns ControllerExtensions (actions added to an existing
collection's Resource) and ResourceExtensions (sub-resources of a
collection member). ``[DEFAULT] osapi_volume_extension`` lists the entry
point names to load; an unknown name stops the service at start-up rather
than silently serving less than the operator configured.
"""

from oslo_log import log as logging

from cinder_backup_reset.api import resource
from cinder_backup_reset import exception
from cinder_backup_reset import manager
from cinder_backup_reset import plugins

LOG = logging.getLogger(__name__)
NAMESPACE = 'cinder_backup_reset.api.extensions'


class ExtensionDescriptor:
    """Base class of extensions; subclasses set name, alias and updated."""

    name = None
    alias = None
    updated = None

    def __init__(self, ext_mgr):
        ext_mgr.register(self)
        self.ext_mgr = ext_mgr

    @property
    def description(self):
        return (self.__doc__ or '').strip().split('\n')[0]

    def get_controller_extensions(self):
        """ControllerExtensions adding actions to existing collections."""
        return []

    def get_resources(self):
        """ResourceExtensions adding sub-resources."""
        return []

    def get_collection_actions(self):
        """CollectionActions: ``POST <collection>/action`` controllers."""
        return []

    def to_dict(self):
        return {'name': self.name, 'alias': self.alias,
                'description': self.description, 'updated': self.updated,
                'links': []}


class ControllerExtension:
    """``controller``'s @action methods are added to ``collection``."""

    def __init__(self, extension, collection, controller):
        self.extension = extension
        self.collection = collection
        self.controller = controller


class ResourceExtension:
    """A GET sub-resource of a collection member.

    ``<parent>/{parent_id}/<path>`` is served by
    ``controller.index(req, parent_id)``.
    """

    def __init__(self, path, controller, parent):
        self.path = path
        self.controller = controller
        self.parent = parent


class CollectionAction:
    """``POST <collection>/action``, dispatched on the body's key.

    ``controller``'s @action methods take ``(req, body)`` (no id): they act
    on the collection, for example a bulk reset.
    """

    def __init__(self, collection, controller):
        self.collection = collection
        self.controller = controller


class ExtensionManager:
    """Loads the configured extensions and answers the extensions API."""

    def __init__(self, conf):
        #: the configuration the extensions read (the service's CONF, or
        #: the private one of the cinder-api filter)
        self.conf = conf
        self.extensions = {}
        self._manager = None
        for name in conf.osapi_volume_extension:
            self._load(name)

    @property
    def manager(self):
        """The BackupResetManager the extensions' controllers share.

        One backup driver, one bounded verification pool and one agent
        client per API, made on first use.
        """
        if self._manager is None:
            self._manager = manager.BackupResetManager(self.conf)
        return self._manager

    def _load(self, name):
        try:
            factory = plugins.load(NAMESPACE, name)
        except (LookupError, ImportError) as exc:
            raise exception.ExtensionNotFound(name=name, reason=exc)
        factory(self)
        LOG.debug('Loaded API extension %s', name)

    def register(self, ext):
        """Add ``ext``; a second extension with the same alias is an error."""
        if ext.alias in self.extensions:
            raise exception.ExtensionNotFound(
                name=ext.alias, reason='alias already registered')
        self.extensions[ext.alias] = ext

    def get_controller_extensions(self):
        for ext in self.extensions.values():
            yield from ext.get_controller_extensions()

    def get_resources(self):
        for ext in self.extensions.values():
            yield from ext.get_resources()

    def get_collection_actions(self):
        for ext in self.extensions.values():
            yield from ext.get_collection_actions()


class ExtensionsController(resource.Controller):
    """``GET /extensions`` and ``GET /extensions/{id}``."""

    def __init__(self, ext_mgr):
        self.ext_mgr = ext_mgr

    def index(self, req):
        return {'extensions': [ext.to_dict() for _alias, ext in
                               sorted(self.ext_mgr.extensions.items())]}

    def show(self, req, id):
        ext = self.ext_mgr.extensions.get(id)
        if ext is None:
            raise exception.NotFound('Extension %s could not be found.' % id)
        return {'extension': ext.to_dict()}
