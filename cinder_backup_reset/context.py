"""The request context: who is asking, and the DB transaction they hold."""

from oslo_context import context
from oslo_db.sqlalchemy import enginefacade


@enginefacade.transaction_context_provider
class RequestContext(context.RequestContext):
    """oslo.context's RequestContext, usable as an enginefacade context.

    ``is_admin`` is decided by the ``context_is_admin`` policy rule, as in
    Cinder, unless the caller states it.
    """

    def __init__(self, *args, **kwargs):
        is_admin = kwargs.pop('is_admin', None)
        super().__init__(*args, **kwargs)
        if is_admin is None:
            from cinder_backup_reset import policy
            is_admin = policy.check_is_admin(self)
        self.is_admin = is_admin

    def can(self, action, target=None, fatal=True):
        """Authorize ``action`` on ``target`` (a dict of the resource).

        The target defaults to the caller's own project. Raises
        PolicyNotAuthorized when ``fatal`` and refused; otherwise returns
        the verdict.
        """
        if target is None:
            target = {'project_id': self.project_id,
                      'user_id': self.user_id}
        # NOTE: imported here: the manage commands and the agent make
        # admin contexts and never load the policy engine.
        from cinder_backup_reset import policy
        return policy.authorize(self, action, target, do_raise=fatal)


def get_admin_context():
    """A context for service-internal work (manage commands)."""
    return RequestContext(user_id=None, project_id=None, is_admin=True,
                          roles=['admin'], overwrite=False)
