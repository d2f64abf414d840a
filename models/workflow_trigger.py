import json

from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..engine import conditions as dsl
from ..engine import jsondoc
from ..engine.events import EVENT_TYPES


class WorkflowTrigger(models.Model):
    _name = "workflow.trigger"
    _description = "Workflow Trigger"
    _order = "sequence, id"

    workflow_id = fields.Many2one(
        "workflow.workflow", required=True, ondelete="cascade", index=True,
        help="The workflow this trigger starts.",
    )
    sequence = fields.Integer(
        default=10,
        help="Order in which the triggers of one workflow are tried; the first whose "
        "conditions hold starts the run.",
    )
    event_type = fields.Selection(
        [(event.key, event.label) for event in EVENT_TYPES.values()],
        required=True, default="lead.created",
        help="When the workflow is considered: the CRM event that starts it.",
    )
    custom_event = fields.Char(
        help="For a custom event: the event name that code or the API emits "
        "(for example 'invoice.overdue').",
    )
    conditions = fields.Json(
        help="Condition DSL (JSON) that must hold for the actions to run, for example "
        '{"field": "expected_revenue", "operator": "gte", "value": 1000}. '
        "Empty means always.",
    )
    conditions_text = fields.Text(
        string="Conditions (JSON)", compute="_compute_conditions_text",
        inverse="_inverse_conditions_text",
        help="The conditions as JSON text. Combine leaves with \"and\", \"or\" and \"not\"; "
        "operators: eq, ne, gt, gte, lt, lte, in, not_in, contains, icontains, startswith, "
        "endswith; dotted paths such as lead.user_id.email reach related records.",
    )
    active = fields.Boolean(
        default=True, help="When unchecked, this trigger no longer starts its workflow."
    )
    company_id = fields.Many2one(related="workflow_id.company_id", store=True)

    @api.depends("conditions")
    def _compute_conditions_text(self):
        for trigger in self:
            trigger.conditions_text = (
                json.dumps(trigger.conditions, indent=2) if trigger.conditions else False
            )

    def _inverse_conditions_text(self):
        for trigger in self:
            trigger.conditions = self._parse_conditions(trigger.conditions_text)

    @api.constrains("conditions")
    def _check_conditions(self):
        for trigger in self:
            try:
                dsl.validate(trigger.conditions)
            except dsl.ConditionError as exc:
                raise ValidationError(self.env._("Invalid conditions: %s", exc)) from exc

    @api.constrains("event_type", "custom_event")
    def _check_custom_event(self):
        for trigger in self:
            if trigger.event_type == "custom" and not (trigger.custom_event or "").strip():
                raise ValidationError(self.env._("A custom trigger needs the name of its custom event."))

    @api.model_create_multi
    def create(self, vals_list):
        return super().create([self._parse_vals(vals) for vals in vals_list])

    def write(self, vals):
        return super().write(self._parse_vals(vals))

    def _compute_display_name(self):
        labels = dict(self._fields["event_type"]._description_selection(self.env))
        for trigger in self:
            label = labels.get(trigger.event_type, "")
            if trigger.event_type == "custom" and trigger.custom_event:
                label = f"{label}: {trigger.custom_event}"
            trigger.display_name = label

    @api.model
    def _parse_vals(self, vals):
        if "conditions" in vals:
            vals = dict(vals, conditions=self._parse_conditions(vals["conditions"]))
        return vals

    @api.model
    def _parse_conditions(self, value):
        try:
            return jsondoc.load(value, "conditions", dsl.ConditionError)
        except dsl.ConditionError as exc:
            raise ValidationError(self.env._("Invalid conditions: %s", exc)) from exc

    def _evaluate(self, context):
        """Explain the conditions of each trigger in ``self``; stop at the first that holds.

        Returns ``(trigger, explanation)`` for the trigger that holds, or an empty
        trigger and the explanation of the last one tried.
        """
        explanation = dsl.explain(None, context)
        for trigger in self:
            explanation = dsl.explain(trigger.conditions, context)
            if explanation.result:
                return trigger, explanation
        return self.browse(), explanation
