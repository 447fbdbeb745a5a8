#    Licensed under the Apache License, Version 2.0 (the "License"); you may
#    not use this file except in compliance with the License. You may obtain
#    a copy of the License at
#
#         http://www.apache.org/licenses/LICENSE-2.0
#
#    Unless required by applicable law or agreed to in writing, software
#    distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
#    WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied. See the
#    License for the specific language governing permissions and limitations
#    under the License.

"""keystoneauth1 plugin for a server running ``auth_strategy = noauth``.

The server's noauth middleware trusts ``X-Auth-Token: <user>:<project>``.
This plugin sends that token plus ``x-user-id``/``x-project-id`` to an
explicit endpoint, so ``--os-auth-type noauth`` works with no keystone.
"""

from keystoneauth1 import loading
from keystoneauth1 import plugin

#: The auth type name the shell recognises even without an entry point.
NAME = 'noauth'
#: The keystoneauth1.plugin entry point name. NOTE: not 'noauth', which
#: python-cinderclient registers: keystoneauth would then pick one of the
#: two arbitrarily and could hand `cinder --os-auth-type noauth` a plugin
#: that does not append the project id to the endpoint.
ENTRY_POINT_NAME = 'backup_reset_noauth'
#: Every auth type name the shell resolves to this plugin by itself.
NAMES = (NAME, ENTRY_POINT_NAME)


class NoAuthPlugin(plugin.BaseAuthPlugin):
    """Authenticate as ``user_id`` in ``project_id`` with no keystone.

    :param user_id: the user the server should act as (required).
    :param project_id: the project; defaults to ``user_id``.
    :param endpoint: the API base, e.g. ``http://127.0.0.1:8776/v3``.
    """

    def __init__(self, user_id, project_id=None, endpoint=None):
        super().__init__()
        self.user_id = user_id
        self.project_id = project_id or user_id
        self.endpoint = endpoint.rstrip('/') if endpoint else endpoint

    def get_token(self, session, **kwargs):
        """Return the ``<user>:<project>`` token the middleware parses."""
        return '%s:%s' % (self.user_id, self.project_id)

    def get_headers(self, session, **kwargs):
        """Return the headers added to every authenticated request."""
        return {'X-Auth-Token': self.get_token(session),
                'x-user-id': self.user_id,
                'x-project-id': self.project_id}

    def get_user_id(self, session, **kwargs):
        """Return the configured user id."""
        return self.user_id

    def get_project_id(self, session, **kwargs):
        """Return the configured project id."""
        return self.project_id

    def get_endpoint(self, session, **kwargs):
        """Return the configured endpoint, whatever the service filter.

        NOTE: unlike cinderclient's plugin the project id is not appended:
        the server serves ``/v3`` without one, and users who want the
        project in the URL can write it into the endpoint.
        """
        return self.endpoint

    def invalidate(self):
        """Nothing to refresh: the token is static."""
        return False


class NoAuthLoader(loading.BaseLoader):
    """Loader for :class:`NoAuthPlugin` (``--os-auth-type noauth``)."""

    plugin_class = NoAuthPlugin

    def get_options(self):
        """Return the plugin options: user-id, project-id, endpoint."""
        options = super().get_options()
        options.extend([
            loading.Opt('user-id', required=True, metavar='<user-id>',
                        help='User ID the server acts as (noauth).'),
            loading.Opt('project-id', metavar='<project-id>',
                        help='Project ID (noauth); defaults to the '
                             'user ID.'),
            loading.Opt('endpoint', required=True, metavar='<url>',
                        help='API endpoint, e.g. '
                             'http://127.0.0.1:8776/v3 (noauth).'),
        ])
        return options
