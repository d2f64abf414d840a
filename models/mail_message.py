from odoo import api, models

TIMELINE_MODELS = ("crm.lead", "res.partner")


class MailMessage(models.Model):
    _inherit = "mail.message"

    @api.model_create_multi
    def create(self, vals_list):
        messages = super().create(vals_list)
        if self.env["workflow.trigger"]._active_for("timeline.event", ""):
            events = []
            for message in messages.sudo():
                kind = message._timeline_kind()
                if kind:
                    record = self.env[message.model].browse(message.res_id)
                    events.append((record, {
                        "event_type": kind,
                        "entity_type": self._timeline_entity_type(record.sudo()),
                        "entity_id": record.id,
                        "message_id": message.id,
                    }))
            self.env["workflow.trigger"]._dispatch("timeline.event", events)
        return messages

    def _timeline_kind(self):
        """What this message is on a lead's or partner's timeline, or None if it is not on one."""
        if self.model not in TIMELINE_MODELS or not self.res_id:
            return None
        if self.mail_activity_type_id:
            return "activity_done"
        if self.message_type == "notification":
            return "tracking" if self.tracking_value_ids else None
        if self.message_type in ("comment", "email", "email_outgoing"):
            return "note" if self.is_internal or self.subtype_id.internal else "message"
        return None

    @api.model
    def _timeline_entity_type(self, record):
        if record._name == "crm.lead":
            return "deal" if record.type == "opportunity" else "lead"
        return "account" if record.is_company else "contact"
