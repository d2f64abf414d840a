from odoo import api, models

from odoo.addons.crm.models.crm_lead import Lead as CrmOwnLead


class CrmLead(models.Model):
    _name = "crm.lead"
    _inherit = ["crm.lead", "workflow.event.mixin"]

    @api.model_create_multi
    def create(self, vals_list):
        leads = super().create(vals_list)
        # The type the lead got: the values may leave it to a default (an opportunity for users
        # who do not work with leads) or to the sales team.
        self._emit_workflow_event("lead.created", [
            (lead, {"lead_id": lead.id, "lead_data": vals})
            for lead, vals in zip(leads, vals_list, strict=True)
            if lead.type == "lead"
        ])
        return leads

    def _message_post_after_hook(self, message, msg_vals):
        if self.env.context.get("workflow_notify_channel"):
            # crm takes a recipient with the lead's address for the customer that the chatter's
            # suggested recipients chose, and links it to every open lead of that address that has
            # none. A workflow's e-mail or notification chooses no customer: crm's step is left
            # out (no other module in between extends it), the leads stay as they are.
            return super(CrmOwnLead, self)._message_post_after_hook(message, msg_vals)
        return super()._message_post_after_hook(message, msg_vals)

    def write(self, vals):
        watch_stage = "stage_id" in vals and self._watches_workflow_event("deal.stage_changed", "deal.won")
        watch_type = vals.get("type") == "opportunity" and self._watches_workflow_event("lead.converted")
        before = {lead.id: (lead.type, lead.stage_id) for lead in self.sudo()} if watch_stage or watch_type else {}
        result = super().write(vals)
        if before:
            self._emit_write_events(before)
        return result

    def action_set_lost(self, **additional_values):
        result = super().action_set_lost(**additional_values)
        closing_note = self.env.context.get("workflow_lost_feedback")
        self._emit_workflow_event("deal.lost", [
            (lead, {"deal_id": lead.id, "reason": lead.lost_reason_id.name or closing_note or None})
            for lead in self
        ])
        return result

    def _merge_opportunity(self, user_id=False, team_id=False, auto_unlink=True, max_length=5):
        merged_lead_ids = [lead.id for lead in self.sudo() if lead.type == "lead"]
        opportunity = super()._merge_opportunity(
            user_id=user_id, team_id=team_id, auto_unlink=auto_unlink, max_length=max_length
        )
        self._emit_workflow_event("lead.converted", [
            (opportunity, {"lead_id": lead_id, "deal_id": opportunity.id})
            for lead_id in merged_lead_ids
            if lead_id != opportunity.id
        ])
        return opportunity

    def _emit_write_events(self, before):
        """Emit what a write changed: conversions, stage moves and wins, in that order."""
        converted, moved, won = [], [], []
        for lead in self.sudo():
            old_type, old_stage = before[lead.id]
            if old_type == "lead" and lead.type == "opportunity":
                converted.append((lead, {"lead_id": lead.id, "deal_id": lead.id}))
            if lead.stage_id == old_stage:
                continue
            if lead.type == "opportunity":
                moved.append((lead, {
                    "deal_id": lead.id, "old_stage": old_stage.name or None, "new_stage": lead.stage_id.name,
                }))
            if lead.stage_id.is_won and not old_stage.is_won:
                won.append((lead, {"deal_id": lead.id, "amount": lead.expected_revenue}))
        self._emit_workflow_event("lead.converted", converted)
        self._emit_workflow_event("deal.stage_changed", moved)
        self._emit_workflow_event("deal.won", won)
