from odoo import api, fields, models


class WorkflowEventMixin(models.AbstractModel):
    """What a record model that emits workflow events shares: emitting them, and its runs."""

    _name = "workflow.event.mixin"
    _description = "Workflow Event Source"

    workflow_run_count = fields.Integer(
        compute="_compute_workflow_run_count", string="Workflow Runs",
        groups="workflow_engine.group_workflow_user",
        help="How many workflow runs concerned this record.",
    )

    def _compute_workflow_run_count(self):
        self.workflow_run_count = 0
        counts = self.env["workflow.run"]._read_group(
            [("res_model", "=", self._name), ("res_id", "in", self.ids)], ["res_id"], ["__count"]
        )
        for res_id, count in counts:
            self.browse(res_id).workflow_run_count = count

    def action_view_workflow_runs(self):
        action = self.env["ir.actions.act_window"]._for_xml_id("workflow_engine.workflow_run_action")
        action["domain"] = [("res_model", "=", self._name), ("res_id", "in", self.ids)]
        action["context"] = {}
        return action

    def _watches_workflow_event(self, *event_types):
        """Whether any active trigger listens to one of ``event_types`` (a cached lookup),
        so that hooks only read the values an event needs when someone listens."""
        triggers = self.env["workflow.trigger"]
        return any(triggers._active_for(event_type, "") for event_type in event_types)

    @api.model
    def _emit_workflow_event(self, event_type, events):
        """Run the workflows that ``events``, a list of ``(record, event keys)``, start."""
        if events:
            self.env["workflow.trigger"]._dispatch(event_type, events)
