import csv
import io

from odoo import Command, api, fields, models

from ..engine.masking import mask_value
from .record_context import masked_fields

DEFAULT_COLUMNS = (
    "name", "email_from", "email", "partner_name", "expected_revenue", "stage_id", "user_id", "create_date",
)
"""The columns of an export whose config names none, where the model has them."""

EXPORT_BATCH = 20
"""Exports one cron call sends before it hands over to the next call."""


class WorkflowExport(models.Model):
    """A CSV export that an enqueue_export action asked for: built and e-mailed by a
    triggered cron, outside the transaction of the event that asked for it."""

    _name = "workflow.export"
    _description = "Workflow Export"
    _order = "id desc"

    user_id = fields.Many2one(
        "res.users", required=True, readonly=True,
        help="The workflow's run-as user: the export contains what this user may read.",
    )
    company_id = fields.Many2one("res.company", readonly=True, help="The company the export reads in.")
    res_model = fields.Char(string="Model", required=True, readonly=True, help="The model whose records are exported.")
    domain = fields.Json(readonly=True, help="Which records the export contains.")
    field_names = fields.Json(readonly=True, help="The exported columns; empty for the model's usual ones.")
    email_to = fields.Char(required=True, readonly=True, help="Who receives the CSV file.")
    state = fields.Selection(
        [("pending", "Pending"), ("done", "Sent"), ("failed", "Failed")],
        default="pending", required=True, readonly=True, index=True,
        help="Pending: waiting for the export cron. Sent: the CSV was built and e-mailed. Failed: see the error.",
    )
    record_count = fields.Integer(readonly=True, help="How many records the CSV file holds.")
    attachment_id = fields.Many2one("ir.attachment", readonly=True, help="The CSV file.")
    mail_id = fields.Many2one("mail.mail", readonly=True, help="The e-mail that carries the CSV file.")
    error = fields.Text(readonly=True, help="Why the export failed.")

    @api.model
    def _cron_send_pending(self):
        pending = self.search([("state", "=", "pending")], order="id")
        for export in pending[:EXPORT_BATCH]:
            try:
                with self.env.cr.savepoint():
                    export._send()
            except Exception as exc:  # noqa: BLE001 - the failure is kept on the export
                export.write({"state": "failed", "error": str(exc)})
        self.env["ir.cron"]._notify_progress(
            done=min(len(pending), EXPORT_BATCH), remaining=max(len(pending) - EXPORT_BATCH, 0)
        )

    def _send(self):
        self.ensure_one()
        records = self.env[self.res_model].with_user(self.user_id).with_company(self.company_id)
        records = records.search(self.domain or [])
        columns = self.field_names or self._default_columns(records)
        masked = masked_fields(records)
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow([records._fields[name].string for name in columns])
        writer.writerows([self._csv_cell(record, name, name in masked) for name in columns] for record in records)
        name = f"{self.res_model.replace('.', '_')}_{fields.Date.today()}.csv"
        attachment = self.env["ir.attachment"].create({
            "name": name, "raw": buffer.getvalue().encode(), "mimetype": "text/csv",
            "res_model": self._name, "res_id": self.id,
        })
        mail = self.env["mail.mail"].create({
            "subject": self.env._("Export: %(count)s %(model)s records", count=len(records), model=self.res_model),
            "body_html": self.env._("<p>The workflow export you asked for is attached.</p>"),
            "email_to": self.email_to,
            "email_from": self.user_id.email_formatted,
            "attachment_ids": [Command.link(attachment.id)],
        })
        self.write({"state": "done", "record_count": len(records), "attachment_id": attachment.id, "mail_id": mail.id})

    @api.model
    def _default_columns(self, records):
        available = records._fields
        return [name for name in DEFAULT_COLUMNS if name in available and available[name].is_accessible(records.env)]

    @api.model
    def _csv_cell(self, record, name, masked=False):
        """The CSV text of ``record``'s field ``name``; only its mask when ``masked`` (the field is
        masked for the export's user, see models/record_context.py masked_fields)."""
        value = record[name]
        if isinstance(value, models.BaseModel):
            return ", ".join(value.mapped("display_name"))
        if value is False or value is None:
            return ""
        return mask_value(value) if masked and value else value
