"""The runs of an enrollment (workflow.enrollment): the link, and the progress counted again
wherever runs settle (the queue's workers, whatever their backend; a manager's cancel or retry)."""

from odoo import fields, models


class WorkflowRun(models.Model):
    _inherit = "workflow.run"

    enrollment_id = fields.Many2one(
        "workflow.enrollment", index="btree_not_null", ondelete="set null", readonly=True,
        help="The enrollment of existing records that queued the run; empty for a run an event or a "
        "user started.",
    )

    def _execute_claimed(self, run_ids):
        result = super()._execute_claimed(run_ids)
        self.env["workflow.enrollment"]._refresh_after_runs(run_ids)
        return result

    def action_retry(self):
        result = super().action_retry()
        self.sudo().enrollment_id._refresh_progress()
        return result

    def action_cancel(self):
        result = super().action_cancel()
        self.sudo().enrollment_id._refresh_progress()
        return result
