from odoo import models


class MailThread(models.AbstractModel):
    _inherit = "mail.thread"

    def _notify_get_recipients(self, message, msg_vals, **kwargs):
        """Let a workflow action choose the channel of the partners it addresses.

        A ``send_email`` action must e-mail its recipients and a ``send_notification``
        action must reach their inbox, whatever each user's notification preference
        says; the context key ``workflow_notify_channel`` is ``(channel, partner_ids)``.
        """
        recipients = super()._notify_get_recipients(message, msg_vals, **kwargs)
        forced = self.env.context.get("workflow_notify_channel")
        if forced:
            channel, partner_ids = forced
            for recipient in recipients:
                if recipient["id"] in partner_ids:
                    recipient["notif"] = channel
        return recipients
