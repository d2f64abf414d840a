from odoo import models
from odoo.tools import html2plaintext, is_html_empty


class CrmLeadLost(models.TransientModel):
    _inherit = "crm.lead.lost"

    def action_lost_reason_apply(self):
        # The closing note is posted apart from action_set_lost: hand it to the deal.lost event.
        closing_note = None if is_html_empty(self.lost_feedback) else html2plaintext(self.lost_feedback)
        return super(CrmLeadLost, self.with_context(workflow_lost_feedback=closing_note)).action_lost_reason_apply()
