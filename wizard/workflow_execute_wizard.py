from odoo import fields, models
from odoo.exceptions import UserError

from ..engine import jsondoc
from ..engine.exceptions import WorkflowError


class WorkflowExecuteWizard(models.TransientModel):
    _name = "workflow.execute.wizard"
    _description = "Run a Workflow by Hand"

    workflow_id = fields.Many2one(
        "workflow.workflow", required=True, ondelete="cascade", help="The workflow to run by hand."
    )
    record_ref = fields.Reference(
        [("crm.lead", "Lead / Opportunity"), ("res.partner", "Contact")],
        string="Record", required=True,
        help="The record the workflow runs on, as if one of its events had happened to it.",
    )
    payload_text = fields.Text(
        string="Event Payload (JSON)",
        help="Optional event keys the conditions and actions may read, for example "
        '{"new_stage": "Proposition"}.',
    )

    def action_execute(self):
        self.ensure_one()
        try:
            payload = jsondoc.load(self.payload_text, "payload", WorkflowError)
        except WorkflowError as exc:
            raise UserError(str(exc)) from exc
        run = self.workflow_id.execute(self.record_ref._name, self.record_ref.id, payload)
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Workflow Run"),
            "res_model": "workflow.run",
            "res_id": run.id,
            "view_mode": "form",
        }
