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

"""openstackclient plugin: ``openstack volume backup reset-state`` etc.

Registered as the ``openstack.cli.extension`` entry point
``backup_reset``; its commands are the ``openstack.backup_reset.v1``
entry points (``volume_backup_reset-state``,
``volume_backup_status_history``, ``volume_backup_verify``), the same
cliff command classes as ``cinder-backup-reset``'s. openstackclient calls
:func:`make_client` with its client manager, whose keystoneauth session
(any auth type, ``--os-endpoint``, ``--os-interface``,
``--os-region-name``) the client uses.
"""

from osc_lib import utils as osc_utils

from cinder_backup_reset import client as client_lib

#: The client manager attribute (``self.app.client_manager.backup_reset``)
#: and, with the major version, the command group
#: ``openstack.backup_reset.v1``.
API_NAME = 'backup_reset'
API_VERSION_OPTION = 'os_backup_reset_api_version'
DEFAULT_API_VERSION = '1'
API_VERSIONS = {'1': 'cinder_backup_reset.client.Client'}


#: The cloud configuration key of an endpoint override (clouds.yaml
#: ``block_storage_endpoint_override``), as openstacksdk names it.
ENDPOINT_OVERRIDE_KEY = 'block_storage_endpoint_override'


def make_client(instance):
    """Return a :class:`~cinder_backup_reset.client.Client`.

    :param instance: openstackclient's ``ClientManager`` (its public
        ``session``, ``interface``, ``region_name`` and
        ``get_configuration()``). The endpoint is the cloud's
        ``block_storage_endpoint_override`` when set, else the auth
        plugin's (``--os-endpoint`` with ``admin_token`` or
        ``backup_reset_noauth``), else the catalog's ``block-storage``
        (or ``volumev3``, ``volume``) entry.
    """
    config = instance.get_configuration() or {}
    return client_lib.Client(
        instance.session, interface=instance.interface,
        region_name=instance.region_name,
        endpoint_override=config.get(ENDPOINT_OVERRIDE_KEY) or None)


def build_option_parser(parser):
    """Add ``--os-backup-reset-api-version`` to openstack's parser."""
    parser.add_argument(
        '--os-backup-reset-api-version', metavar='<backup-reset-api-version>',
        default=osc_utils.env('OS_BACKUP_RESET_API_VERSION'),
        help='cinder-backup-reset API version, default=%s '
             '(Env: OS_BACKUP_RESET_API_VERSION)' % DEFAULT_API_VERSION)
    return parser
