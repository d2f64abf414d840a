from odoo import api, fields, models

from .masking_coverage import masking_coverage


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    workflow_masked_field_ids = fields.Many2many(
        related="company_id.workflow_masked_field_ids", readonly=False,
        help="Text fields whose values workflows only show masked (•••• 0122).",
    )
    workflow_masking_coverage = fields.Text(
        string="Also masked", compute="_compute_workflow_masking_coverage",
        help="The other fields through which the masked fields' values can be read (computed from, related "
        "to or mirroring them), which workflows show masked too, each with the field it comes from.",
    )
    workflow_unmasking_group_ids = fields.Many2many(
        related="company_id.workflow_unmasking_group_ids", readonly=False,
        help="Workflows whose run-as user belongs to one of these groups see the masked fields in clear.",
    )
    workflow_run_retention_days = fields.Integer(
        related="company_id.workflow_run_retention_days", readonly=False,
        help="How long workflow runs are kept, unless a workflow sets its own period.",
    )
    workflow_failed_run_retention_days = fields.Integer(
        related="company_id.workflow_failed_run_retention_days", readonly=False,
        help="How long failed workflow runs are kept, unless a workflow sets its own period.",
    )

    @api.depends("workflow_masked_field_ids")
    def _compute_workflow_masking_coverage(self):
        for settings in self:
            configured = {(field.model, field.name) for field in settings.workflow_masked_field_ids}
            covered = masking_coverage(self.env.registry, configured)
            settings.workflow_masking_coverage = "\n".join(
                f"{model}.{name} ({reason})" for (model, name), reason in sorted(covered.items())
            )
