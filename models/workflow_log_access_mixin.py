import functools

from odoo import api, models
from odoo.exceptions import AccessError


class WorkflowLogAccessMixin(models.AbstractModel):
    """Run logs (runs, action runs) follow the rights on the record they ran on, as
    mail.message follows its document: the models narrow ``_search`` to what the current user
    may read, and this mixin makes reading a record by id agree with that search."""

    _name = "workflow.log.access.mixin"
    _description = "Workflow Log Access"

    def _check_access(self, operation):
        result = super()._check_access(operation)
        if result or self.env.su or not any(self._ids):
            return result
        forbidden = self - self.browse(self._search([("id", "in", self._ids)]))
        if forbidden:
            return forbidden, functools.partial(self._record_access_error, forbidden)
        return None

    @api.model
    def _record_access_error(self, logs):
        return AccessError(self.env._(
            "You may not read %(model)s %(ids)s: you may not read the records they ran on.",
            model=self._description, ids=", ".join(str(log_id) for log_id in logs._ids),
        ))
