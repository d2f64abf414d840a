import threading
from urllib.parse import urlsplit

from odoo import Command, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError

from ..engine import actions as action_schemas
from ..engine import conditions as dsl
from ..engine import definition, jsondoc, runstate, splits, steps, templates
from ..engine.events import ENTITY_MODELS, EVENT_TYPES, reserved_payload_keys, workflow_model_problem
from ..engine.exceptions import ConfigError, TemplateError
from ..exceptions import IdempotencyConflict, InvalidDefinition, RunCapabilityError
from ..groups import ADMIN_GROUP, MANAGER_GROUP
from .record_context import COMMON_ALIASES, FIELD_ALIASES, NAMED_BY_TEXT, build_context

STATISTICS_DAYS = 30
"""The recent window of the run statistics shown on a workflow."""
XMLRPC_PREFIX = "/xmlrpc/"
QUEUE_BACKENDS = [("cron", "Built-in Queue"), ("queue_job", "OCA Job Queue")]
QUEUE_COUNTS = (
    "max_retries", "retry_delay_seconds", "duplicate_window_minutes", "max_runs_per_minute",
    "max_runs_per_record_per_hour", "retention_days", "failed_retention_days",
)
"""The queue settings that are counts, none of them negative."""
QUEUE_SETTINGS = ("execution_mode", "queue_backend", *QUEUE_COUNTS)
"""How a workflow's runs are executed, kept, limited and retried: part of its definition document."""


def _rpc_result(value):
    """``value`` (JSON, possibly keyed by ids) as XML-RPC can send it when this is an XML-RPC
    call: plain strings (a masked value as its mask), string keys and false for null (see
    engine.jsondoc.rpc_value); as it is to every other caller, for whom null is no false."""
    # Odoo runs an RPC call outside of its web request (http.borrow_request); the URL that
    # it gives the thread of every request it serves tells which endpoint this one came by.
    path = urlsplit(getattr(threading.current_thread(), "url", "") or "").path
    return jsondoc.rpc_value(value, null=False) if path.startswith(XMLRPC_PREFIX) else value


class WorkflowWorkflow(models.Model):
    _name = "workflow.workflow"
    _description = "Workflow"
    _inherit = ["mail.thread", "workflow.definition.mixin"]
    _order = "priority desc, id"
    _json_fields = {"exit_conditions": dsl.ConditionError, "goal_conditions": dsl.ConditionError}

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
        "res.users", string="Run As", required=True, tracking=True,
        default=lambda self: self.env.user,
        domain=lambda self: [
            ("groups_id", "in", self.env.ref(MANAGER_GROUP).id)
        ],
        help="The actions run with this user's access rights and see only the fields this "
        "user may read. Only a Workflow Administrator, or this user in person, may change the "
        "workflow, its triggers and its actions.",
    )
    trigger_ids = fields.One2many(
        "workflow.trigger", "workflow_id", string="Triggers", copy=True, context={"active_test": False},
        help="The events that start the workflow, each with its conditions.",
    )
    action_ids = fields.One2many(
        "workflow.action", "workflow_id", string="Actions", copy=True,
        help="What the workflow does, in order.",
    )
    run_ids = fields.One2many(
        "workflow.run", "workflow_id", string="Runs", help="Every run of the workflow, the newest first."
    )
    version_ids = fields.One2many(
        "workflow.version", "workflow_id", string="Versions",
        help="Every saved definition of the workflow, the newest first.",
    )
    current_version_id = fields.Many2one(
        "workflow.version", compute="_compute_current_version_id", store=True,
        help="The version of the definition the workflow runs with now: the last one saved.",
    )
    version_count = fields.Integer(
        compute="_compute_version_count", string="Versions Count", help="How many definitions were saved."
    )
    run_count = fields.Integer(
        compute="_compute_run_counts", string="Runs Count (all time)",
        help="How many runs the workflow has, of every state, since it was created (less those the "
        "retention cron deleted).",
    )
    failed_run_count = fields.Integer(
        compute="_compute_run_counts", string="Failed Runs (all time)",
        help="How many of the workflow's runs failed (an action that was not allowed to fail did), "
        "since it was created (less those the retention cron deleted); Failed (30 days) counts the "
        "last 30 days only.",
    )
    execution_mode = fields.Selection(
        [("queued", "Queued"), ("immediate", "Immediate")], required=True, default="queued", tracking=True,
        help="Queued: the event logs a pending run in the transaction that caused it, and a queue "
        "worker executes it after commit, in its own transaction, with retries and rate limits. "
        "Immediate: the actions run at once, inside the transaction of the change that caused the "
        "event; their failure never undoes that change, but nothing is retried.",
    )
    queue_backend = fields.Selection(
        QUEUE_BACKENDS, required=True, default="cron",
        tracking=True,
        help="What executes the queued runs. Built-in Queue: a triggered scheduled action of this "
        "addon, with no server configuration. OCA Job Queue (when the queue_job module is installed): "
        "one job per run on the root.workflow channel, executed by queue_job's runner; the run log "
        "shows the same states.",
    )
    max_retries = fields.Integer(
        default=3,
        help="How many times a queued run is tried again after a temporary failure of an action "
        "(a webhook's timeout, HTTP 5xx or 429), each time after twice the previous wait.",
    )
    retry_delay_seconds = fields.Integer(
        string="First Retry After (s)", default=10,
        help="Seconds before the first retry; the n-th retry waits this times 2^(n-1).",
    )
    duplicate_window_minutes = fields.Integer(
        default=10,
        help="An event identical to one that started this workflow less than this many minutes "
        "ago (same event, record and changed values or message) does not start another run. "
        "0 turns duplicate detection off.",
    )
    exit_conditions = fields.Json(
        help="Condition DSL (JSON) checked when a run resumes after a wait and before each later "
        "action: once it holds, the run ends as Exited (stop a nurture track when the lead is won "
        "or has replied). Empty: runs never exit early.",
    )
    single_active_run = fields.Boolean(
        string="One Active Run per Record",
        help="When checked, an event for a record that already has a pending, running or waiting "
        "run of this workflow starts no other run (counted in Concurrency Skips): a record is in "
        "the workflow at most once at a time.",
    )
    concurrency_skip_count = fields.Integer(
        string="Concurrency Skips", readonly=True, copy=False,
        help="How many events started no run because their record already had an active run of "
        "this workflow (see One Active Run per Record).",
    )
    duplicate_count = fields.Integer(
        readonly=True, copy=False,
        help="How many duplicate events were not run (see Duplicate Window).",
    )
    max_runs_per_minute = fields.Integer(
        help="At most this many queued runs of the workflow start per minute; the others wait in "
        "the queue (they are delayed, never dropped). 0: no limit.",
    )
    max_runs_per_record_per_hour = fields.Integer(
        help="At most this many queued runs start per hour on one record; the others wait in the "
        "queue. 0: no limit.",
    )
    retention_days = fields.Integer(
        help="Runs older than this many days are deleted by a daily cron. 0: the company's default.",
    )
    failed_retention_days = fields.Integer(
        help="Failed runs older than this many days are deleted by the daily cron; they are usually "
        "kept longer than the others. 0: the company's default.",
    )
    success_count = fields.Integer(
        compute="_compute_run_statistics", string="Succeeded (30 days)",
        help="Runs of the last 30 days where every action succeeded.",
    )
    partial_count = fields.Integer(
        compute="_compute_run_statistics", string="Partial (30 days)",
        help="Runs of the last 30 days where an action allowed to fail did.",
    )
    failed_count = fields.Integer(
        compute="_compute_run_statistics", string="Failed (30 days)",
        help="Runs of the last 30 days that failed; Failed Runs (all time) counts them all.",
    )
    waiting_count = fields.Integer(
        compute="_compute_run_statistics", string="Waiting (30 days)",
        help="Runs of the last 30 days stopped at a wait action, to go on at their Resume At.",
    )
    exited_count = fields.Integer(
        compute="_compute_run_statistics", string="Exited (30 days)",
        help="Runs of the last 30 days that the workflow's exit conditions ended after a wait.",
    )
    cancelled_count = fields.Integer(
        compute="_compute_run_statistics", string="Cancelled (30 days)",
        help="Runs of the last 30 days that a manager cancelled before they ended.",
    )
    avg_duration_ms = fields.Float(
        compute="_compute_run_statistics", string="Average Duration (ms)",
        help="Average duration of the finished runs of the last 30 days.",
    )
    p95_duration_ms = fields.Float(
        compute="_compute_run_statistics", string="95th Percentile Duration (ms)",
        help="95% of the finished runs of the last 30 days took at most this long.",
    )

    @api.depends("version_ids")
    def _compute_current_version_id(self):
        for workflow in self:
            workflow.current_version_id = workflow.version_ids.sorted("version")[-1:]

    def _compute_version_count(self):
        counts = dict(self.env["workflow.version"]._read_group(
            [("workflow_id", "in", self.ids)], ["workflow_id"], ["__count"]
        ))
        for workflow in self:
            workflow.version_count = counts.get(workflow, 0)

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

    def _compute_run_statistics(self):
        statistics = self.env["workflow.run"]._run_statistics(self, STATISTICS_DAYS)
        for workflow in self:
            figures = statistics.get(workflow.id, {})
            workflow.success_count = figures.get("success_count", 0)
            workflow.partial_count = figures.get("partial_count", 0)
            workflow.failed_count = figures.get("failed_count", 0)
            workflow.waiting_count = figures.get("waiting_count", 0)
            workflow.exited_count = figures.get("exited_count", 0)
            workflow.cancelled_count = figures.get("cancelled_count", 0)
            workflow.avg_duration_ms = figures.get("avg_duration_ms", 0.0)
            workflow.p95_duration_ms = figures.get("p95_duration_ms", 0.0)

    @api.constrains(*QUEUE_COUNTS)
    def _check_queue_settings(self):
        for workflow in self:
            for name in QUEUE_COUNTS:
                if workflow[name] < 0:
                    raise ValidationError(self.env._(
                        "%(field)s of workflow '%(workflow)s' cannot be negative (got %(value)s).",
                        field=self._fields[name].string, workflow=workflow.name, value=workflow[name],
                    ))

    @api.constrains("exit_conditions")
    def _check_exit_conditions(self):
        self._check_condition_field("exit_conditions")

    @api.constrains("execution_mode", "action_ids")
    def _check_waits_are_queued(self):
        for workflow in self.filtered(lambda wf: wf.execution_mode == "immediate"):
            for index, action in enumerate(workflow.action_ids):
                if action.action_type == "wait":
                    raise ValidationError(self.env._(
                        "actions[%(index)s]: a wait needs the queued execution mode (workflow '%(workflow)s', "
                        "action '%(action)s').", index=index, workflow=workflow.name, action=action.name,
                    ))
                if definition.waits_for_a_sub_workflow(action.action_type, action.config):
                    raise ValidationError(self.env._(
                        "actions[%(index)s].config.wait: waiting for a sub-workflow needs the queued execution "
                        "mode (workflow '%(workflow)s', action '%(action)s').",
                        index=index, workflow=workflow.name, action=action.name,
                    ))

    @api.constrains("action_ids")
    def _check_step_order(self):
        """Refuse an action that reads a step (steps.<key>) that does not run before it, naming
        the path, as a definition document is refused (engine.definition)."""
        for workflow in self:
            actions = workflow.with_context(active_test=False).action_ids
            errors = definition.step_reference_errors([
                {"key": action.key or None, "ordering": action.ordering, "config": action.config,
                 "conditions": action.conditions}
                for action in actions
            ])
            if errors:
                raise ValidationError(self.env._("Invalid step order:\n%s", "\n".join(
                    f"{error['path']}: {error['message']}" for error in errors
                )))

    @api.constrains("queue_backend")
    def _check_queue_backend(self):
        if "queue.job" not in self.env and any(wf.queue_backend == "queue_job" for wf in self):
            raise ValidationError(self.env._(
                "Queue Backend of workflow '%s' cannot be the OCA Job Queue: the queue_job module is not "
                "installed.", self.filtered(lambda wf: wf.queue_backend == "queue_job")[0].name,
            ))

    @api.constrains("run_as_user_id")
    def _check_run_as_user_id(self):
        for workflow in self:
            run_as = workflow.run_as_user_id.sudo()
            if run_as and not run_as.has_group(MANAGER_GROUP):
                raise ValidationError(self.env._(
                    "%s cannot run workflows: the run-as user must be a Workflow Manager.",
                    workflow.run_as_user_id.name,
                ))

    @api.model_create_multi
    def create(self, vals_list):
        workflows = super().create(vals_list)
        workflows._check_saving_user_capabilities()
        return workflows

    def write(self, vals):
        reactivated = self.filtered(lambda workflow: not workflow.active) if vals.get("active") else self.browse()
        result = super().write(vals)
        self._check_saving_user_capabilities()
        # A date trigger of an archived workflow watched nothing: it starts watching again now.
        reactivated.trigger_ids._start_date_watch()
        return result

    def unlink(self):
        # Their runs go with them in the database (ON DELETE CASCADE), which workflow.run's
        # unlink does not see: the sub-workflow runs that parents wait for are deleted first,
        # as runs, so that those parents stop waiting.
        self.check_access("unlink")
        self.env["workflow.run"].sudo().search([
            ("workflow_id", "in", self.ids), ("parent_run_id", "!=", False), ("state", "in", runstate.ACTIVE_STATES),
        ]).unlink()
        return super().unlink()

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
        record = self._manual_target(res_model, res_id, payload)
        if idempotency_key:
            earlier = self.env["workflow.run"].sudo().search(
                [("workflow_id", "=", self.id), ("event_type", "=", "manual"),
                 ("idempotency_key", "=", idempotency_key)],
                limit=1,
            )
            if earlier:
                if (earlier.res_model, earlier.res_id, earlier.payload or {}) != (res_model, res_id, payload or {}):
                    raise IdempotencyConflict(self.env._(
                        "The idempotency key %s was already used for another request.", idempotency_key
                    ))
                return earlier.sudo(False)
        runs = self.env["workflow.run"]
        return runs._start_run(self, record, "manual", payload or {}, idempotency_key=idempotency_key)

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
        self._check_payload(payload)
        if isinstance(records, dict):
            model = self._check_workflow_model(records.get("res_model"))
            records = self.env[model].browse(records.get("res_ids") or []).exists()
        if records is None:
            # An empty recordset stands for "no record"; its model is never acted upon.
            records = self.env["workflow.run"]
        if records:
            self._check_workflow_model(records._name)
            records.check_access("read")
        events = [(record, dict(payload or {})) for record in records] or [(records, dict(payload or {}))]
        return self.env["workflow.trigger"]._dispatch("custom", events, custom_event=name)

    def get_run_statistics(self, days=STATISTICS_DAYS):
        """The run figures of these workflows over the last ``days`` days, by workflow id:
        ``run_count``, ``success_count``, ``partial_count``, ``failed_count``, ``pending_count``
        (pending or running), ``skipped_count``, ``duplicate_count`` (all time),
        ``avg_duration_ms`` and ``p95_duration_ms`` of the finished runs (None without any).
        Over XML-RPC, the ids are strings and None is false (see _rpc_result)."""
        self.check_access("read")
        if type(days) is not int or days <= 0:
            raise UserError(self.env._("days must be a positive whole number of days, got %r.", days))
        statistics = self.env["workflow.run"]._run_statistics(self, days)
        empty = dict.fromkeys(("run_count", "success_count", "partial_count", "failed_count", "pending_count",
                               "skipped_count"), 0)
        return _rpc_result({
            workflow.id: {
                **empty, "avg_duration_ms": None, "p95_duration_ms": None, **statistics.get(workflow.id, {}),
                "duplicate_count": workflow.duplicate_count,
            }
            for workflow in self
        })

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

    @api.model
    @api.model
    def _check_vals(self, vals_list):
        """Only Workflow Administrators may lend another user's rights to a workflow, and a
        workflow always runs as a named user."""
        for vals in vals_list:
            if "run_as_user_id" in vals and not vals["run_as_user_id"]:
                raise ValidationError(self.env._("run_as_user_id: a workflow always runs as a named user."))
            run_as_id = vals.get("run_as_user_id")
            if run_as_id and run_as_id != self.env.uid and not self.env.su and not self.env.user.has_group(ADMIN_GROUP):
                raise AccessError(self.env._(
                    "Only Workflow Administrators may make a workflow run as another user than themselves."
                ))

    def action_view_versions(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("workflow_engine.workflow_version_action")
        action["domain"] = [("workflow_id", "=", self.id)]
        action["context"] = {}
        return action

    def _definition_workflows(self):
        return self

    def _check_saving_user_capabilities(self):
        """Refuse a save by a user whose role does not allow every action of the workflow."""
        if not self.env.su:
            for action in self.with_context(active_test=False).action_ids:
                action._check_capability(self.env.user)

    def _check_run_capabilities(self):
        """Raise RunCapabilityError unless the run-as user may still run every action: a
        workflow must not run with rights its user no longer holds (archived, no longer a
        Workflow Manager, or without the group an action needs)."""
        self.ensure_one()
        # Whoever starts the run, the definition and the run-as user's rights are read as they are.
        workflow = self.sudo()
        user = workflow.run_as_user_id.with_context(active_test=False)
        if user._is_superuser():
            # The system user (OdooBot) is archived by design and holds every right.
            return
        if not user.active:
            raise RunCapabilityError(self.env._(
                "The run-as user %s is archived: the workflow cannot run with their rights any more.", user.name
            ))
        manager_group = self.env.ref(MANAGER_GROUP)
        if not user.has_group(MANAGER_GROUP):
            raise RunCapabilityError(self.env._(
                "The run-as user %(user)s lost the group %(group)s: the workflow cannot run with their rights "
                "any more.", user=user.name, group=manager_group.full_name,
            ))
        for action in workflow.action_ids:
            problem = action._capability_problem(user)
            if problem:
                raise RunCapabilityError(self.env._(
                    "The run-as user %(user)s cannot run this workflow any more: %(problem)s",
                    user=user.name, problem=problem,
                ))

    def _find_sub_workflow(self, reference):
        """The workflow that a run_workflow action of this workflow names by ``reference`` (an id,
        or the exact name of a workflow of this workflow's company), or an empty recordset."""
        workflows = self.env["workflow.workflow"].sudo()
        if definition.is_record_id(reference):
            return workflows.search([("id", "=", reference)], limit=1)
        if not isinstance(reference, str) or not reference.strip():
            return workflows
        return workflows.search([("name", "=", reference), ("company_id", "in", [self.company_id.id, False])],
                                order="company_id, id", limit=1)

    def _sub_workflow_problem(self, reference, user):
        """Why a run_workflow action of this workflow may not start the workflow ``reference``
        (a workflow, its id or its name) for ``user`` (the one who saves, or the run-as user at
        run time), or None: a template is decided at run time."""
        workflow = reference if isinstance(reference, models.BaseModel) else None
        if workflow is None:
            # A reference of the wrong kind is the config's schema to refuse; a template is run time's.
            if not (definition.is_record_id(reference) or isinstance(reference, str) and reference.strip()):
                return None
            if templates.is_template(reference):
                return None
            workflow = self._find_sub_workflow(reference)
        if not workflow:
            return f"no workflow {reference!r} in the company"
        if workflow.company_id and workflow.company_id != self.company_id:
            return f"the workflow {workflow.name!r} belongs to another company ({workflow.company_id.name})"
        if user and not user._is_superuser():
            for action in workflow.sudo().action_ids:
                problem = action._capability_problem(user)
                if problem:
                    return f"{user.name} may not run the workflow {workflow.name!r}: {problem}"
        return None

    def _acting_records(self, records, user=None, company=None):
        """``records`` as the run-as user (or ``user``) sees them, in ``company``: by default the
        workflow's, else that of the records (of one company), else the current one. The one way
        the engine reads and acts on a record with somebody's rights."""
        if not company:
            record_company = records[:1].company_id if "company_id" in records._fields else None
            company = self.company_id or record_company or self.env.company
        return records.with_user(user or self.run_as_user_id).with_company(company)

    def _to_document(self, read_only=True):
        """This workflow as a definition document (see engine.definition), with the ids of
        the workflow, its triggers and actions, and its run counters; without ``read_only``,
        the definition alone: none of those keys (definition.READ_ONLY_KEYS), and no count
        of the workflow's runs made for them."""
        self.ensure_one()

        def with_id(record, values):
            return {"id": record.id, **values} if read_only else values

        document = with_id(self, {
            "name": self.name,
            "description": self.description or None,
            "active": self.active,
            "priority": self.priority,
            "company_id": self.company_id.id or None,
            "run_as_user_id": self.run_as_user_id.id or None,
            **{name: self[name] for name in QUEUE_SETTINGS},
            "exit_conditions": self.exit_conditions or None,
            "single_active_run": self.single_active_run,
            "goal_conditions": self.goal_conditions or None,
            "triggers": [
                with_id(trigger, {
                    "event_type": trigger.event_type,
                    "custom_event": trigger.custom_event or None,
                    "conditions": trigger.conditions or None,
                    "active": trigger.active,
                    "sequence": trigger.sequence,
                    **trigger._date_document(),
                })
                for trigger in self.trigger_ids
            ],
            "actions": [
                with_id(action, {
                    "name": action.name,
                    "action_type": action.action_type,
                    "ordering": action.ordering,
                    "config": action.config or None,
                    "allow_failure": action.allow_failure,
                    "key": action.key or None,
                    "conditions": action.conditions or None,
                })
                for action in self.action_ids
            ],
        })
        if read_only:
            document.update(run_count=self.run_count, failed_run_count=self.failed_run_count)
        return document

    @api.model
    def _from_document(self, document):
        """Create a workflow with its triggers and actions from a definition document.

        Raises InvalidDefinition, listing every error of the document, before writing anything.
        """
        return self.create(self._document_values(document))

    def _write_document(self, document):
        """Replace this workflow's definition, triggers and actions included, by ``document``.

        What the document leaves out takes its default value, as in a new workflow. Raises
        InvalidDefinition, listing every error of the document, before writing anything.
        """
        self.ensure_one()
        self.write(self._document_values(document))

    @api.model
    def _check_document(self, document):
        """Raise InvalidDefinition unless ``document`` is a valid definition whose company
        and run-as user are ones the current user may choose."""
        errors = definition.validate(document)
        if isinstance(document, dict):
            errors += self._document_reference_errors(document)
        if errors:
            raise InvalidDefinition(
                self.env._(
                    "Invalid workflow definition:\n%s",
                    "\n".join(f"{error['path']}: {error['message']}" for error in errors),
                ),
                errors,
            )

    @api.model
    def _document_reference_errors(self, document):
        errors = []
        company_id = document.get("company_id")
        if definition.is_record_id(company_id) and company_id not in self.env.user.company_ids.ids:
            errors.append(definition.DefinitionError(f"no company {company_id} of yours", "company_id"))
        user_id = document.get("run_as_user_id")
        # An id out of range is reported by definition.validate, and must not reach PostgreSQL.
        run_as = None
        if definition.is_record_id(user_id):
            run_as = self.env["res.users"].search([("id", "=", user_id)], limit=1)
        if run_as is not None and not run_as:
            errors.append(definition.DefinitionError(f"no active user {user_id}", "run_as_user_id"))
        elif run_as and not run_as.sudo().has_group(MANAGER_GROUP):
            # What _check_run_as_user_id refuses at save, so that validate refuses it too.
            errors.append(definition.DefinitionError(
                f"{run_as.name} cannot run workflows: the run-as user must be a Workflow Manager", "run_as_user_id"
            ))
        if document.get("queue_backend") == "queue_job" and "queue.job" not in self.env:
            errors.append(definition.DefinitionError("the queue_job module is not installed", "queue_backend"))
        actions = document.get("actions")
        company = self.env["res.company"].browse(company_id) if definition.is_record_id(company_id) else (
            self.env.company if "company_id" not in document else self.env["res.company"]
        )
        for index, action in enumerate(actions if isinstance(actions, list) else []):
            # An action that is no object is reported by definition.validate.
            if not isinstance(action, dict) or not isinstance(action.get("config"), dict):
                continue
            config = action["config"]
            if action.get("action_type") == "run_workflow":
                problem = self.new({"company_id": company.id})._sub_workflow_problem(
                    config.get("workflow"), None if self.env.su else self.env.user
                )
                if problem:
                    errors.append(definition.DefinitionError(problem, f"actions[{index}].config.workflow"))
        return [error.to_dict() for error in errors] + self.env["workflow.trigger"]._document_errors(
            document.get("triggers")
        )

    @api.model
    def _document_values(self, document):
        """The values that write ``document`` on a workflow, replacing its triggers and actions."""
        self._check_document(document)
        names = [name for name in definition.WORKFLOW_KEYS if name not in ("triggers", "actions")]
        values = dict.fromkeys(names, False)
        values.update(self.default_get(names))
        # null stands for "none", or for the default where a value is required (the run-as user).
        values.update({
            name: document[name] if document[name] is not None else (values[name] if self._fields[name].required
                                                                      else False)
            for name in names if name in document
        })
        for field_name, key, item_keys in (
            ("trigger_ids", "triggers", definition.TRIGGER_KEYS),
            ("action_ids", "actions", definition.ACTION_KEYS),
        ):
            values[field_name] = [Command.clear()] + [
                Command.create({name: item[name] for name in item_keys if name in item})
                for item in document.get(key) or []
            ]
        return values

    def copy_data(self, default=None):
        # A copy would act on the same events as its original: it waits, archived, until
        # someone has adapted and unarchived it.
        vals_list = super().copy_data(default=default)
        for workflow, vals in zip(self, vals_list, strict=True):
            if "name" not in (default or {}):
                vals["name"] = self.env._("%s (copy)", workflow.name)
            if "active" not in (default or {}):
                vals["active"] = False
            if "run_as_user_id" not in (default or {}) and not self.env.user.has_group(ADMIN_GROUP):
                # Only an administrator may lend someone else's rights: anybody else's copy runs as them.
                vals["run_as_user_id"] = self.env.uid
        return vals_list

    def dry_run(self, res_model, res_id, payload=None):
        """What running this workflow by hand on one record would do, without doing anything.

        The conditions are explained as ``execute`` evaluates them, and each action's
        configuration is rendered as it would be, but no run is logged, no action runs and
        nothing is written. Returns a JSON-able dict: ``holds`` (whether the actions would
        run), ``trigger_id``, ``trigger_name`` and ``conditions`` of the trigger explained
        (the one that holds, else the last one tried; empty without active triggers),
        ``explanation`` (engine.conditions' explanation with its ``summary``) and
        ``actions``: for each, ``id``, ``name``, ``action_type`` and its rendered ``input``,
        with the ``error`` that rendering or checking it raised, if any. Over XML-RPC,
        null values are false and masked values plain strings (see _rpc_result).
        """
        self.ensure_one()
        record = self._manual_target(res_model, res_id, payload)
        acting_record = self._acting_records(record)
        context = build_context(acting_record, payload or {}, company=acting_record.env.company)
        triggers = self.trigger_ids.filtered("active")
        trigger, explanation = triggers._evaluate(context)
        explained = trigger or triggers[-1:]
        exit_explanation = dsl.explain(self.exit_conditions or None, context)
        return _rpc_result({
            "holds": explanation.result,
            "exit_conditions": self.exit_conditions or None,
            "exits": bool(self.exit_conditions) and exit_explanation.result,
            "exit_explanation": dict(exit_explanation.to_dict(), summary=exit_explanation.summary())
            if self.exit_conditions else None,
            "trigger_id": explained.id,
            "trigger_name": explained.display_name,
            "conditions": explained.conditions or None,
            "explanation": dict(explanation.to_dict(), summary=explanation.summary()),
            "actions": self._dry_run_actions(acting_record, context),
        })

    def _dry_run_actions(self, record, context):
        """What each action would do in a dry run on ``record`` (as the run-as user sees it) in
        ``context``, in order (see _dry_run_action); the steps that a dry run can know (a split's
        variant) are known to the actions after them, the others only at run time."""
        known = {}
        outcomes = []
        for action in self.action_ids:
            outcome = self._dry_run_action(action, context.new_child({steps.STEPS_NAME: dict(known)}),
                                           record.env.company, known)
            if action.action_type == "split" and isinstance((action.config or {}).get("variants"), dict):
                # As _execute_split chooses it: the workflow, the record.
                variant = splits.choose_variant(action.config["variants"], self.id, f"{record._name},{record.id}")
                outcome["variant"] = variant
                if action.key and outcome.get("condition", {}).get("holds") is not False:
                    known.update(steps.step_context([(action.key, "success", {"variant": variant})]))
            outcomes.append(outcome)
        return outcomes

    @api.model
    def get_condition_builder_info(self, event_type=False, entity_type=False):
        """What the condition builder offers for a trigger of ``event_type``, as the context
        of models/record_context.py holds it: the record model whose fields conditions read,
        the record's entity names and field aliases, the other roots of the context and the
        keys that the event carries. A date trigger names its ``entity_type``."""
        entity = entity_type if event_type == definition.DATE_EVENT else (event_type or "").partition(".")[0]
        model = ENTITY_MODELS.get(entity, "crm.lead")
        aliases = {**COMMON_ALIASES, **FIELD_ALIASES.get(model, {})}
        event = EVENT_TYPES.get(event_type)
        return {
            "res_model": model,
            "model_name": self.env["ir.model"]._get(model).name,
            "entity_names": [name for name, entity_model in ENTITY_MODELS.items() if entity_model == model]
            + ["record"],
            "entity_models": ENTITY_MODELS,
            "aliases": aliases,
            "named_by_text": sorted(NAMED_BY_TEXT & aliases.keys()),
            "roots": {"user": "res.users", "company": "res.company"},
            "event_keys": list(event.context_keys) if event else [],
        }

    @api.model
    def get_action_schemas(self):
        """The config keys of each action type (engine.actions) for the action editor: each
        key's kind (str, dict, list, number, id or any), allowed values and default."""

        def describe(keys):
            return {
                name: {"kind": key.kind, "choices": list(key.choices), "default": key.default}
                for name, key in keys.items()
            }

        return _rpc_result({
            action_type: {
                "required": describe(schema.required),
                "optional": describe(schema.optional),
                "one_of": list(schema.one_of),
            }
            for action_type, schema in action_schemas.ACTION_TYPES.items()
        })

    @api.model
    def check_conditions(self, conditions):
        """The message with which saving a trigger would refuse ``conditions`` (JSON text or
        value), or False: editors check what they build before it is saved."""
        triggers = self.env["workflow.trigger"]
        try:
            triggers.new({"conditions": triggers._parse_json("conditions", conditions)})._check_conditions()
        except ValidationError as exc:
            return exc.args[0]
        return False

    @api.model
    def check_action_config(self, action_type, config, name=""):
        """The message with which saving the action ``name`` of ``action_type`` would refuse
        ``config`` (JSON text or value), or False."""
        actions = self.env["workflow.action"]
        try:
            actions.new({
                "name": name, "action_type": action_type, "config": actions._parse_json("config", config),
            })._check_config()
        except ValidationError as exc:
            return exc.args[0]
        return False

    def _manual_target(self, res_model, res_id, payload):
        """The record to run or test this workflow on by hand, once the caller may read both."""
        self.check_access("read")
        record = self.env[self._check_workflow_model(res_model)].browse(res_id).exists()
        if not record:
            raise UserError(self.env._("%(model)s record %(id)s does not exist.", model=res_model, id=res_id))
        record.check_access("read")
        self._check_payload(payload)
        return record

    @api.model
    def _check_payload(self, payload):
        """Refuse a payload that is no JSON object, or whose keys would stand for a name of the
        context (the record, the user, the company, the dates)."""
        if payload is not None and not isinstance(payload, dict):
            raise UserError(self.env._("The payload must be a JSON object."))
        reserved = reserved_payload_keys(payload)
        if reserved:
            raise UserError(self.env._(
                "payload.%(key)s: %(keys)s are names of the run's context, which a payload cannot replace.",
                key=reserved[0], keys=", ".join(reserved),
            ))

    @api.model
    def _check_workflow_model(self, res_model):
        """``res_model``, refused with a UserError unless workflows may act on it (WORKFLOW_MODELS)."""
        problem = workflow_model_problem(res_model)
        if problem:
            raise UserError(self.env._("res_model: %s.", problem))
        return res_model

    @api.model
    def _dry_run_action(self, action, context, company, known_steps=None):
        """What ``action`` would receive in ``context`` in a run of ``company`` (a webhook: with
        the company's secrets, masked): its rendered config, and why it would fail before doing
        anything (a placeholder that does not render, a bad rendered value). With conditions,
        ``condition``: whether they hold now (``holds``, None when they read a step that only a
        run knows) and their ``summary``. ``known_at_run_time``: the config paths whose strings
        read such a step (of ``known_steps``, the steps a dry run knows, none by default), shown
        as steps.KNOWN_AT_RUN_TIME instead of rendered."""
        outcome = {"id": action.id, "name": action.name, "action_type": action.action_type}
        known = set(known_steps or ())
        if action.conditions:
            unknown = sorted({
                reference.key or steps.STEPS_NAME for reference in steps.references(None, action.conditions)
                if reference.key not in known
            })
            if unknown:
                outcome["condition"] = {"holds": None, "summary": self.env._(
                    "known at run time: the conditions read %s", ", ".join(f"steps.{key}" for key in unknown)
                )}
            else:
                explanation = dsl.explain(action.conditions, context)
                outcome["condition"] = {"holds": explanation.result, "summary": explanation.summary()}
        config = action.config or {}
        try:
            pending = steps.run_time_paths(config, known)
        except TemplateError as exc:
            return dict(outcome, error=str(exc))
        if pending:
            outcome["known_at_run_time"] = [f"config.{path}" for path in pending]
            action = action.new({"action_type": action.action_type,
                                 "config": steps.with_run_time_values(config, pending)})
        try:
            rendered, secrets = action._render_config(context, company)
        except TemplateError as exc:
            return dict(outcome, error=str(exc))
        outcome["input"] = jsondoc.mask(jsondoc.plain(rendered), secrets)
        try:
            action_schemas.check_rendered(action.action_type, rendered)
        except ConfigError as exc:
            # A value known only at run time is checked then.
            if not (pending and exc.path and exc.path.removeprefix("config.").split(".")[0] in
                    {path.split(".")[0].split("[")[0] for path in pending}):
                outcome["error"] = jsondoc.mask(str(exc), secrets)
        return outcome
