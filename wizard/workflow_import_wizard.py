import base64

from odoo import fields, models
from odoo.exceptions import UserError, ValidationError

from ..engine import jsondoc
from ..engine.definition import DefinitionError


class WorkflowImportWizard(models.TransientModel):
    """Creates workflows from definition documents (engine.definition), such as the export
    of a workflow or what the REST API returns: one document, or a list of them."""

    _name = "workflow.import.wizard"
    _description = "Import Workflows from JSON"

    document_file = fields.Binary(
        string="File", help="A .json file exported from a workflow, or returned by the REST API."
    )
    document_name = fields.Char(string="File Name", help="The name of the uploaded file.")
    document_text = fields.Text(
        string="Definition (JSON)",
        help="Or paste the definition document here; a file, when given, takes precedence.",
    )

    def action_import(self):
        self.ensure_one()
        documents = self._documents()
        workflows = self.env["workflow.workflow"]
        for index, document in enumerate(documents):
            try:
                workflows |= workflows._from_document(document)
            except ValidationError as exc:
                if len(documents) == 1:
                    raise
                raise ValidationError(self.env._(
                    "Workflow %(number)s of %(count)s: %(error)s",
                    number=index + 1, count=len(documents), error=exc.args[0],
                )) from exc
        action = self.env["ir.actions.act_window"]._for_xml_id("workflow_engine.workflow_workflow_action")
        if len(workflows) == 1:
            return dict(action, res_id=workflows.id, view_mode="form", views=[(False, "form")])
        return dict(action, domain=[("id", "in", workflows.ids)])

    def _documents(self):
        """The documents to import, as a list; refuses anything else with the reason."""
        text = base64.b64decode(self.document_file) if self.document_file else self.document_text or ""
        try:
            content = jsondoc.load(text, "document", DefinitionError)
        except DefinitionError as exc:
            raise UserError(self.env._("This is not a workflow definition: %s", exc)) from exc
        if content is None:
            raise UserError(self.env._("Choose a file or paste a workflow definition."))
        documents = content if isinstance(content, list) else [content]
        if not documents or not all(isinstance(document, dict) for document in documents):
            raise UserError(self.env._(
                "A workflow definition is a JSON object, or a list of them for several workflows."
            ))
        return documents
