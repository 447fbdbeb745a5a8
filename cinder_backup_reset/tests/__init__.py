# NOTE: load oslo.messaging the way the service does (cinder_backup_reset.
# notifier), with eventlet's import-time deprecation warning silenced: a
# test module that imports oslo_messaging first would print it in every
# test run, about an eventlet the service never uses.
from cinder_backup_reset import notifier  # noqa: F401
