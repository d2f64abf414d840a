from odoo import api, fields, models
from odoo.exceptions import UserError

from ..engine import jsondoc
from ..engine.exceptions import WorkflowError

RECORD_MODELS = [("crm.lead", "Lead / Opportunity"), ("res.partner", "Contact")]


class WorkflowDryRunWizard(models.TransientModel):
    """Shows what a workflow would do with a record, as soon as the record is picked.

    The result is computed, never stored: testing a workflow writes nothing.
    """

    _name = "workflow.dry.run.wizard"
    _description = "Test a Workflow without Running It"

    workflow_id = fields.Many2one(
        "workflow.workflow", required=True, ondelete="cascade",
        help="The workflow to test.",
    )
    record_ref = fields.Reference(
        RECORD_MODELS, string="Record",
        help="The record to test the workflow on, as if one of its events had happened to it.",
    )
    payload_text = fields.Text(
        string="Event Payload (JSON)",
        help="Optional event keys the conditions and actions may read, for example "
        '{"new_stage": "Proposition"}.',
    )
    result = fields.Json(
        compute="_compute_result",
        help="Whether the conditions hold on the record, the values each comparison saw, and "
        "each action's configuration once its placeholders are filled in.",
    )

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        model, record_id = self.env.context.get("active_model"), self.env.context.get("active_id")
        if "record_ref" in fields_list and record_id and model in dict(RECORD_MODELS):
            values.setdefault("record_ref", f"{model},{record_id}")
        return values

    @api.depends("workflow_id", "record_ref", "payload_text")
    def _compute_result(self):
        for wizard in self:
            wizard.result = wizard._dry_run() if wizard.workflow_id and wizard.record_ref else False

    def _dry_run(self):
        try:
            payload = jsondoc.load(self.payload_text or "", "payload", WorkflowError)
            return self.workflow_id.dry_run(self.record_ref._name, self.record_ref.id, payload)
        except WorkflowError as exc:
            return {"error": str(exc)}
        except UserError as exc:
            return {"error": exc.args[0]}
