"""Retention: the cron that deletes the finished runs older than their workflow's retention period."""

from datetime import timedelta

from odoo import api, fields, models

RETENTION_BATCH = 1000
"""Runs the retention cron deletes at once, so that no deletion holds locks for long."""


class WorkflowRun(models.Model):
    _inherit = "workflow.run"

    @api.model
    def _cron_delete_expired(self, batch_size=RETENTION_BATCH):
        """Delete the finished runs older than their workflow's retention period (failed runs:
        the failed-run period), ``batch_size`` runs at a time; return how many were deleted."""
        deleted = 0
        # Only workflows that have runs: archived ones keep their history under the same rules.
        workflows = self.env["workflow.workflow"].with_context(active_test=False).sudo().search(
            [("run_ids", "!=", False)]
        )
        now = fields.Datetime.now()
        for workflow in workflows:
            company = workflow.company_id or self.env.company
            kept_days = workflow.retention_days or company.workflow_run_retention_days
            kept_failed_days = workflow.failed_retention_days or company.workflow_failed_run_retention_days
            if kept_days:
                deleted += self._delete_in_batches(
                    workflow, ("success", "partial", "skipped"), now - timedelta(days=kept_days), batch_size
                )
            if kept_failed_days:
                deleted += self._delete_in_batches(
                    workflow, ("failed",), now - timedelta(days=kept_failed_days), batch_size
                )
        return deleted

    @api.model
    def _delete_in_batches(self, workflow, states, before, batch_size):
        # Through the ORM, as auditlog's vacuum does: what Odoo does on unlink (caches, attachments,
        # the unlink overrides of addons) applies to runs too. Action runs go with their run
        # (ON DELETE CASCADE).
        runs = self.sudo().with_context(active_test=False)
        domain = [("workflow_id", "=", workflow.id), ("state", "in", states), ("create_date", "<", before)]
        deleted = 0
        while batch := runs.search(domain, limit=batch_size, order="id"):
            batch.unlink()
            deleted += len(batch)
        return deleted
