import base64
import json
import re

from odoo import api, fields, models

FILE_NAME_UNSAFE = re.compile(r"[^\w-]+")


class WorkflowExportWizard(models.TransientModel):
    """Exports workflows as the definition documents of the REST API (engine.definition):
    one document for one workflow, a list of documents for several."""

    _name = "workflow.export.wizard"
    _description = "Export Workflows as JSON"

    workflow_ids = fields.Many2many(
        "workflow.workflow", string="Workflows", required=True,
        help="The workflows to export, with their triggers and actions.",
    )
    document_text = fields.Text(
        string="Definition (JSON)", compute="_compute_document",
        help="The definition document, as the REST API reads and writes it.",
    )
    document_file = fields.Binary(
        string="File", compute="_compute_document", attachment=False,
        help="The definition document as a .json file.",
    )
    document_name = fields.Char(
        string="File Name", compute="_compute_document", help="The name the downloaded file gets."
    )

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        if "workflow_ids" in fields_list and self.env.context.get("active_model") == "workflow.workflow":
            values.setdefault("workflow_ids", [fields.Command.set(self.env.context.get("active_ids", []))])
        return values

    @api.depends("workflow_ids")
    def _compute_document(self):
        for wizard in self:
            documents = [workflow._to_document() for workflow in wizard.workflow_ids]
            document = documents[0] if len(documents) == 1 else documents
            wizard.document_text = json.dumps(document, indent=2, ensure_ascii=False)
            wizard.document_file = base64.b64encode(wizard.document_text.encode())
            name = wizard.workflow_ids.name if len(documents) == 1 else "workflows"
            wizard.document_name = (FILE_NAME_UNSAFE.sub("-", name.lower()).strip("-") or "workflow") + ".json"

    def action_download(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_url",
            "url": f"/web/content/{self._name}/{self.id}/document_file/{self.document_name}?download=true",
            "target": "self",
        }
