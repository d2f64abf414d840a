
from odoo import api, fields, models, tools
from odoo.exceptions import ValidationError

from ..engine import conditions as dsl
from ..engine.events import EVENT_TYPES
from .record_context import build_context


class WorkflowTrigger(models.Model):
    _name = "workflow.trigger"
    _inherit = ["workflow.definition.mixin"]
    _description = "Workflow Trigger"
    _order = "sequence, id"
    _json_fields = {"conditions": dsl.ConditionError}
    _json_text_fields = {"conditions_text": "conditions"}

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
        string="Conditions (JSON)", compute="_compute_json_text",
        inverse="_inverse_json_text",
        help="The conditions as JSON text. Combine leaves with \"and\", \"or\" and \"not\"; "
        "operators: eq, ne, gt, gte, lt, lte, in, not_in, contains, icontains, startswith, "
        "endswith; dotted paths such as lead.user_id.email reach related records.",
    )
    active = fields.Boolean(
        default=True, help="When unchecked, this trigger no longer starts its workflow."
    )
    company_id = fields.Many2one(related="workflow_id.company_id", store=True)

    def _compute_display_name(self):
        labels = dict(self._fields["event_type"]._description_selection(self.env))
        for trigger in self:
            label = labels.get(trigger.event_type, "")
            if trigger.event_type == "custom" and trigger.custom_event:
                label = f"{label}: {trigger.custom_event}"
            trigger.display_name = label

    @api.constrains("conditions")
    def _check_conditions(self):
        self._check_condition_field("conditions")

    @api.constrains("event_type", "custom_event")
    def _check_custom_event(self):
        for trigger in self:
            if trigger.event_type == "custom" and not (trigger.custom_event or "").strip():
                raise ValidationError(self.env._("A custom trigger needs the name of its custom event."))

    def _evaluate(self, context):
        """Explain the conditions of each trigger in ``self``; stop at the first that holds.

        Returns ``(trigger, explanation)`` for the trigger that holds, or an empty
        trigger and the explanation of the last one tried.
        """
        explanation = dsl.explain(None, context)
        for trigger in self:
            explanation = dsl.explain(trigger.conditions or None, context)
            if explanation.result:
                return trigger, explanation
        return self.browse(), explanation

    @api.model
    def _dispatch(self, event_type, events, custom_event=""):
        """Start the runs of the active triggers of ``event_type`` that ``events`` match.

        ``events`` is a list of ``(record, event_keys)``. Each trigger is evaluated in one
        pass over the whole batch with its compiled conditions; only a match costs a run.
        Returns the runs started.
        """
        runs = self.env["workflow.run"]
        triggers = self._active_for(event_type, custom_event) if events else ()
        if not triggers:
            return runs
        # Read together, when a match reads one: in a new transaction's cache (a request's) none
        # of them is there yet.
        workflows = self.env["workflow.workflow"].sudo().browse(dict.fromkeys(row[1] for row in triggers))
        record_companies = [self._company_of(record) for record, _event_keys in events]
        contexts = {}
        # What the conditions read of the records, noted as it is read (see RecordContext).
        journal = []
        launches = []
        executes = False
        for trigger in triggers:
            trigger_id, workflow_id = trigger[:2]
            mark = len(journal)
            matches = self._matches(events, record_companies, contexts, journal, trigger, workflows)
            if executes and len(journal) > mark:
                # This trigger's conditions read values that the immediate runs found so far may
                # change: as in a dispatch that runs each workflow before trying the next, those
                # runs execute first, then the conditions read what they left.
                for memo, key in journal[mark:]:
                    if memo is not None:
                        memo.pop(key, None)
                runs |= self._launch(event_type, launches)
                launches, executes = [], False
                matches = self._matches(events, record_companies, contexts, journal, trigger, workflows)
            if matches:
                launches.append((workflow_id, trigger_id, matches))
                workflow = workflows.browse(workflow_id).with_prefetch(workflows._prefetch_ids)
                executes = executes or workflow.execution_mode != "queued"
        return runs | self._launch(event_type, launches)

    @api.model
    def _matches(self, events, record_companies, contexts, journal, trigger, workflows):
        """The ``(acting record, event keys)`` of ``events`` whose conditions hold for
        ``trigger`` (as _active_for caches it: its workflow among ``workflows``, its company, its
        run-as user, its compiled conditions), each event's context built once per run-as user
        and company in ``contexts``. The workflow is not read: the trigger's cached values say as
        whom and in which company it acts."""
        _trigger_id, workflow_id, company_id, run_as_id, holds = trigger
        matches = []
        for index, (record, event_keys) in enumerate(events):
            if company_id and company_id != record_companies[index]:
                continue
            key = (run_as_id, company_id, index)
            if key not in contexts:
                # The record's company is the workflow's, when the workflow has one.
                acting_record = workflows.browse(workflow_id)._acting_records(
                    record, user=self.env["res.users"].browse(run_as_id),
                    company=self.env["res.company"].browse(record_companies[index]),
                )
                contexts[key] = (
                    acting_record,
                    build_context(acting_record, event_keys, acting_record.env.company, memoize=True, journal=journal),
                )
            acting_record, context = contexts[key]
            if holds(context):
                matches.append((acting_record, event_keys))
        return matches

    @api.model
    def _launch(self, event_type, launches):
        """Log (and execute, or queue) the runs of ``launches``, ``(workflow id, trigger id,
        matches)`` in order, all with one INSERT (workflow.run._launch_event_runs)."""
        runs = self.env["workflow.run"]
        if not launches:
            return runs
        workflows = self.env["workflow.workflow"].sudo()
        launches = [
            (workflows.browse(workflow_id), self.browse(trigger_id), matches)
            for workflow_id, trigger_id, matches in launches
        ]
        return runs.sudo()._launch_event_runs(event_type, launches).with_env(runs.env)

    @api.model
    @tools.ormcache("event_type", "custom_event")
    def _active_for(self, event_type, custom_event):
        """The active triggers of active workflows for an event, highest priority first, as
        ``(trigger id, workflow id, company id, run-as user id, compiled conditions)``."""
        domain = [("active", "=", True), ("workflow_id.active", "=", True), ("event_type", "=", event_type)]
        if event_type == "custom":
            domain.append(("custom_event", "=", custom_event))
        triggers = self.sudo().search(domain).sorted(
            lambda trigger: (-trigger.workflow_id.priority, trigger.workflow_id.id, trigger.sequence, trigger.id)
        )
        return tuple(
            (
                trigger.id, trigger.workflow_id.id, trigger.workflow_id.company_id.id,
                trigger.workflow_id.run_as_user_id.id, dsl.compile(trigger.conditions or None),
            )
            for trigger in triggers
        )

    @api.model
    def _company_of(self, record):
        company = record.company_id if "company_id" in record._fields else None
        return (company or self.env.company).id
