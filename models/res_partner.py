from odoo import api, models


class ResPartner(models.Model):
    _name = "res.partner"
    _inherit = ["res.partner", "workflow.event.mixin"]

    @api.model_create_multi
    def create(self, vals_list):
        partners = super().create(vals_list)
        pairs = list(zip(partners, vals_list, strict=True))
        self._emit_workflow_event("account.created", [
            (partner, {"account_id": partner.id, "account_data": vals}) for partner, vals in pairs if partner.is_company
        ])
        self._emit_workflow_event("contact.created", [
            (partner, {"contact_id": partner.id, "contact_data": vals})
            for partner, vals in pairs
            if not partner.is_company
        ])
        return partners
