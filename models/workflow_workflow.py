from odoo import api, fields, models
from odoo.exceptions import UserError

from ..engine import jsondoc
from .record_context import build_context

DEFAULT_MAX_CHAIN_DEPTH = 5


class IdempotencyConflict(UserError):
    """An idempotency key was used again for a different request."""


class WorkflowWorkflow(models.Model):
    _name = "workflow.workflow"
    _description = "Workflow"
    _inherit = ["mail.thread", "workflow.definition.mixin"]
    _order = "priority desc, id"

    name = fields.Char(required=True, tracking=True, help="What the workflow automates.")
    description = fields.Text(help="Why the workflow exists and what it is expected to do.")
    active = fields.Boolean(
        default=True, tracking=True,
        help="When unchecked, the workflow is archived: no event starts it any more.",
    )
    company_id = fields.Many2one(
        "res.company", default=lambda self: self.env.company, index=True, tracking=True,
        help="The company whose records start this workflow; empty for every company.",
    )
    priority = fields.Integer(
        default=10, tracking=True,
        help="Workflows with a higher priority are evaluated first; ties go by creation order.",
    )
    run_as_user_id = fields.Many2one(
        "res.users", string="Run As", tracking=True,
        default=lambda self: self.env.user,
        domain=lambda self: [
            ("groups_id", "in", self.env.ref("workflow_engine.group_workflow_manager").id)
        ],
        help="The actions run with this user's access rights and see only the fields this "
        "user may read. Empty means the workflow's creator.",
    )
    trigger_ids = fields.One2many(
        "workflow.trigger", "workflow_id", string="Triggers", copy=True, context={"active_test": False},
        help="The events that start the workflow, each with its conditions.",
    )
    action_ids = fields.One2many(
        "workflow.action", "workflow_id", string="Actions", copy=True,
        help="What the workflow does, in order.",
    )
    run_ids = fields.One2many("workflow.run", "workflow_id", string="Runs")
    run_count = fields.Integer(compute="_compute_run_counts", string="Runs Count")
    failed_run_count = fields.Integer(compute="_compute_run_counts", string="Failed Runs")

    def _compute_run_counts(self):
        counts = dict.fromkeys(self.ids, 0)
        failed = dict.fromkeys(self.ids, 0)
        groups = self.env["workflow.run"]._read_group(
            [("workflow_id", "in", self.ids)], ["workflow_id", "state"], ["__count"]
        )
        for workflow, state, count in groups:
            counts[workflow.id] += count
            if state == "failed":
                failed[workflow.id] += count
        for workflow in self:
            workflow.run_count = counts.get(workflow.id, 0)
            workflow.failed_run_count = failed.get(workflow.id, 0)

    @api.returns("workflow.run", lambda run: run.id)
    def execute(self, res_model, res_id, payload=None, idempotency_key=None):
        """Run this workflow by hand on one record and return its ``workflow.run``.

        The conditions of the workflow's active triggers are evaluated against the
        record (the first that holds starts the run; a workflow without triggers always
        runs). When none holds, the run is logged as ``skipped`` with the explanation.
        With an ``idempotency_key`` already used for this workflow, the earlier run is
        returned instead of starting another; reusing it for a different record or
        payload raises IdempotencyConflict.
        """
        self.ensure_one()
        self.check_access("read")
        if res_model not in self.env or res_model.startswith("workflow."):
            raise UserError(self.env._("Unknown model '%s'.", res_model))
        record = self.env[res_model].browse(res_id).exists()
        if not record:
            raise UserError(self.env._("%(model)s record %(id)s does not exist.", model=res_model, id=res_id))
        record.check_access("read")
        if payload is not None and not isinstance(payload, dict):
            raise UserError(self.env._("The payload must be a JSON object."))
        if idempotency_key:
            earlier = self.env["workflow.run"].sudo().search(
                [("workflow_id", "=", self.id), ("idempotency_key", "=", idempotency_key)], limit=1
            )
            if earlier:
                if (earlier.res_model, earlier.res_id, earlier.payload or {}) != (res_model, res_id, payload or {}):
                    raise IdempotencyConflict(self.env._(
                        "The idempotency key %s was already used for another request.", idempotency_key
                    ))
                return earlier.sudo(False)
        return self._start_run(record, "manual", payload or {}, idempotency_key=idempotency_key)

    @api.model
    @api.returns("workflow.run", lambda runs: runs.ids)
    def emit_event(self, name, payload, records=None):
        """Emit the custom event ``name`` and return the runs it started.

        ``records`` is a recordset, or over RPC ``{"res_model": ..., "res_ids": [...]}``;
        without records, each matching workflow runs once on the payload alone.
        """
        self.check_access("read")
        if not name or not isinstance(name, str):
            raise UserError(self.env._("A custom event needs a name."))
        if payload is not None and not isinstance(payload, dict):
            raise UserError(self.env._("The payload must be a JSON object."))
        if isinstance(records, dict):
            model = records.get("res_model")
            if model not in self.env or model.startswith("workflow."):
                raise UserError(self.env._("Unknown model '%s'.", model))
            records = self.env[model].browse(records.get("res_ids") or []).exists()
        if records is None:
            # An empty recordset stands for "no record"; its model is never acted upon.
            records = self.env["workflow.run"]
        if records:
            records.check_access("read")
        events = [(record, dict(payload or {})) for record in records] or [(records, dict(payload or {}))]
        return self.env["workflow.trigger"]._dispatch("custom", events, custom_event=name)

    def action_execute(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Run %s", self.display_name),
            "res_model": "workflow.execute.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_workflow_id": self.id},
        }

    def action_view_runs(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("workflow_engine.workflow_run_action")
        action["domain"] = [("workflow_id", "=", self.id)]
        action["context"] = {"default_workflow_id": self.id}
        return action

    def _run_as_user(self):
        return self.run_as_user_id or self.create_uid

    def _acting_record(self, record):
        """``record`` as the run-as user sees it, in the workflow's (or the record's) company."""
        record_company = record.company_id if "company_id" in record._fields else None
        company = self.company_id or record_company or self.env.company
        return record.with_user(self._run_as_user()).with_company(company)

    def _start_run(self, record, event_type, event_keys, idempotency_key=None):
        """Evaluate the triggers against ``record`` and run the actions when one holds."""
        acting_record = self._acting_record(record)
        context = build_context(acting_record, event_keys, company=acting_record.env.company)
        trigger, explanation = self.trigger_ids.filtered("active")._evaluate(context)
        values = {
            "idempotency_key": idempotency_key,
            "explanation": dict(explanation.to_dict(), summary=explanation.summary()),
        }
        if not explanation.result:
            values.update(
                state="skipped",
                error=self.env._("The conditions do not hold: %s", explanation.summary()),
            )
        return self._launch_runs(trigger, event_type, [(acting_record, context, event_keys)], **values)

    def _launch_runs(self, trigger, event_type, matches, **values):
        """Log one run per ``(acting_record, context, event_keys)`` match and execute it.

        A run started by another run's actions is one level deeper in the chain; past the
        configured depth it is logged as failed instead of executed, which stops loops.
        """
        self.ensure_one()
        depth = self.env.context.get("workflow_depth", 0)
        max_depth = int(self.env["ir.config_parameter"].sudo().get_param(
            "workflow_engine.max_chain_depth", DEFAULT_MAX_CHAIN_DEPTH
        ))
        if depth >= max_depth:
            values = dict(values, state="failed", error_code="chain_too_deep", error=self.env._(
                "Stopped: this run was started by a chain of %(depth)s workflow runs, deeper than the "
                "limit of %(limit)s (system parameter workflow_engine.max_chain_depth).",
                depth=depth, limit=max_depth,
            ))
        runs = self.env["workflow.run"].sudo().create([
            {
                "workflow_id": self.id,
                "trigger_id": trigger.id,
                "event_type": event_type,
                "payload": jsondoc.plain(event_keys),
                "res_model": acting_record._name if acting_record else False,
                "res_id": acting_record.id,
                "user_id": acting_record.env.uid,
                "company_id": acting_record.env.company.id,
                "depth": depth,
                "state": "pending",
                **values,
            }
            for acting_record, _context, event_keys in matches
        ])
        for run, (acting_record, context, _event_keys) in zip(runs, matches, strict=True):
            if run.state == "pending":
                run._execute(acting_record, context)
        return runs
