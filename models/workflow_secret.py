from odoo import api, fields, models


class WorkflowSecret(models.Model):
    """Values that webhook configurations reference by name (``{{api_key}}``) without
    anyone but an Administrator ever reading them; run logs show them masked."""

    _name = "workflow.secret"
    _description = "Workflow Secret"
    _order = "name"

    name = fields.Char(
        required=True,
        help="The placeholder name, as used in a webhook's configuration: api_key for {{api_key}}.",
    )
    value = fields.Char(required=True, help="The secret itself. Only Administrators can read it.")
    company_id = fields.Many2one(
        "res.company", default=lambda self: self.env.company,
        help="The company whose workflows may use the secret; empty for every company.",
    )

    _sql_constraints = [
        ("name_company_unique", "UNIQUE(name, company_id)", "A secret's name is unique within its company."),
    ]

    @api.model
    def _values_for(self, company):
        """Name -> value of the secrets a run of ``company`` may use (the company's win)."""
        secrets = self.sudo().search([("company_id", "in", [False, company.id])], order="company_id desc")
        values = {}
        for secret in secrets:
            values.setdefault(secret.name, secret.value)
        return values
