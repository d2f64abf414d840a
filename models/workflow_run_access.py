"""Who reads which runs: a run follows the rights on its record, as mail.message follows its
document. The log of a run on a lead tells what the lead is and what was done to it, so a
user reads it only when they may read the lead itself."""

from odoo import api, models
from odoo.osv import expression

from ..engine.events import WORKFLOW_MODELS


class WorkflowRun(models.Model):
    _name = "workflow.run"
    _inherit = ["workflow.run", "workflow.log.access.mixin"]

    @api.model
    def _search(self, domain, offset=0, limit=None, order=None):
        if not self.env.su:
            domain = expression.AND([domain, self._readable_record_domain()])
        return super()._search(domain, offset=offset, limit=limit, order=order)

    @api.model
    def _readable_record_domain(self):
        """The runs whose record the current user may read (and the runs of no record)."""
        domains = [[("res_model", "=", False)]]
        for model in sorted(WORKFLOW_MODELS):
            records = self.env[model].with_context(active_test=False)
            if records.has_access("read"):
                domains.append([("res_model", "=", model), ("res_id", "in", records._search([]))])
        return expression.OR(domains)
