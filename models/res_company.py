from odoo import fields, models, tools

from .masking_coverage import masking_coverage


class ResCompany(models.Model):
    _inherit = "res.company"

    workflow_masked_field_ids = fields.Many2many(
        "ir.model.fields", "res_company_workflow_masked_field_rel", "company_id", "field_id",
        string="Workflow Masked Fields", domain=[("ttype", "in", ("char", "text"))],
        help="Text fields whose values workflows only show masked (•••• 0122): in the action context, "
        "rendered inputs, run logs, dry runs, exports and API answers; so are the fields computed from, "
        "related to or mirroring them. Conditions still compare their real values.",
    )
    workflow_unmasking_group_ids = fields.Many2many(
        "res.groups", "res_company_workflow_unmasking_group_rel", "company_id", "group_id",
        string="Groups Seeing Masked Fields",
        help="Workflows whose run-as user belongs to one of these groups see the masked fields in clear.",
    )

    workflow_run_retention_days = fields.Integer(
        string="Keep Workflow Runs (days)", default=90,
        help="How long the runs of this company's workflows are kept, unless a workflow sets its own period.",
    )
    workflow_failed_run_retention_days = fields.Integer(
        string="Keep Failed Workflow Runs (days)", default=365,
        help="How long failed runs are kept, unless a workflow sets its own period; longer, to investigate.",
    )

    def write(self, vals):
        if {"workflow_masked_field_ids", "workflow_unmasking_group_ids"} & vals.keys():
            self.env.registry.clear_cache()
        return super().write(vals)

    @tools.ormcache("self.id")
    def _workflow_masking(self):
        """``(masked fields as (model, field) pairs, ids of the groups that see them in clear)``:
        the configured fields and every other field that holds or derives their values
        (models/masking_coverage.py)."""
        company = self.sudo()
        configured = frozenset((field.model, field.name) for field in company.workflow_masked_field_ids)
        return (
            configured.union(masking_coverage(self.env.registry, configured)),
            frozenset(company.workflow_unmasking_group_ids.ids),
        )
