from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    workflow_masked_field_ids = fields.Many2many(
        related="company_id.workflow_masked_field_ids", readonly=False,
        help="Text fields whose values workflows only show masked (•••• 0122).",
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
