import hashlib
import hmac
import json
import uuid
from collections import defaultdict
from datetime import timedelta

from odoo import api, fields, models, tools
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL

from ..engine.abbreviation import abbreviate
from ..engine.events import EVENT_TYPES
from ..engine.runstate import ACTIVE_STATES, RUN_STATES
from ..groups import MANAGER_GROUP
from .log_insert import cache_inserted, insert_select, log_rows, select_list, split_columns
from .record_context import build_context, masked_event_keys
from .workflow_workflow import QUEUE_BACKENDS

RUN_LOGGER = __name__
"""The logger of what runs do, whichever workflow_run* file does it: operators filter the runs'
log by this one name."""
MANUAL_KEY_INDEX = "workflow_run_manual_key_unique_index"
MANUAL_KEY_PREDICATE = "event_type = 'manual' AND idempotency_key IS NOT NULL"
"""The runs whose idempotency key is unique within their workflow: those started by hand with
a client's key (execute); events repeat their keys (see _event_key)."""

EVENT_KEY_SCOPE = "workflow_engine.event_key"
"""The scope of the database secret's signature in an event's idempotency key (see _event_key)."""
DEFAULT_MAX_CHAIN_DEPTH = 5
"""Runs a chain of runs may hold (system parameter workflow_engine.max_chain_depth): a run
started by the actions of another run is one level deeper; past the limit it fails, which stops loops."""



class WorkflowRun(models.Model):
    _name = "workflow.run"
    _description = "Workflow Run"
    _order = "id desc"
    _rec_name = "uuid"

    workflow_id = fields.Many2one(
        "workflow.workflow", required=True, ondelete="cascade", index=True, readonly=True,
        help="The workflow that ran.",
    )
    trigger_id = fields.Many2one(
        "workflow.trigger", ondelete="set null", readonly=True,
        help="The trigger whose event and conditions started the run; empty for a run "
        "started by hand on a workflow without triggers.",
    )
    event_type = fields.Char(
        readonly=True,
        help="The event that started the run (lead.created, deal.won, ..., manual, enrollment).",
    )
    payload = fields.Json(
        readonly=True, help="The event's context keys, as the conditions and actions saw them."
    )
    res_model = fields.Char(
        string="Record Model", readonly=True, help="The model of the record the run concerns."
    )
    res_id = fields.Many2oneReference(
        string="Record ID", model_field="res_model", index=True, readonly=True,
        help="The id of the record the run concerns.",
    )
    state = fields.Selection(
        RUN_STATES, required=True, default="pending", index=True, readonly=True,
        help="Pending: waiting to run. Running: actions are executing. Waiting: stopped at a wait "
        "action until Resume At. Success: every action succeeded. Partial: an action allowed to "
        "fail did. Failed: an action failed and stopped the run. Skipped: started by hand, but the "
        "conditions did not hold. Exited: the workflow's exit conditions held after a wait. "
        "Cancelled: stopped by a manager before it ended.",
    )
    # Indexed by its UNIQUE constraint.
    uuid = fields.Char(
        string="Run ID", required=True, readonly=True, copy=False,
        default=lambda self: str(uuid.uuid4()),
        help="Unique identifier of the run, for logs and idempotent receivers.",
    )
    version_id = fields.Many2one(
        "workflow.version", readonly=True, ondelete="set null",
        help="The version of the workflow's definition the run ran with.",
    )
    # Indexed with workflow_id, in init().
    idempotency_key = fields.Char(
        readonly=True, copy=False,
        help="Key under which the request that started the run may be repeated without "
        "starting another run.",
    )
    depth = fields.Integer(
        readonly=True,
        help="0 for a run started by a user or an API call; n when the actions of a run at "
        "depth n-1 caused the event that started it.",
    )
    parent_run_id = fields.Many2one(
        "workflow.run", index="btree_not_null", ondelete="set null", readonly=True,
        help="The run whose run_workflow action started this run (a sub-workflow); empty otherwise.",
    )
    child_run_ids = fields.One2many(
        "workflow.run", "parent_run_id", string="Sub-workflow Runs", readonly=True,
        help="The runs that this run's run_workflow actions started.",
    )
    user_id = fields.Many2one(
        "res.users", string="Run As", readonly=True,
        help="The user whose rights the actions ran with.",
    )
    started_at = fields.Datetime(readonly=True, help="When the run started executing its actions.")
    finished_at = fields.Datetime(readonly=True, help="When the run ended, successfully or not.")
    duration_ms = fields.Float(
        string="Duration (ms)", readonly=True, aggregator="avg",
        help="Time from the first action's start to the last one's end.",
    )
    error = fields.Text(readonly=True, help="Why the run failed or why it did not run.")
    error_code = fields.Char(readonly=True, help="Machine-readable kind of the error (chain_too_deep, ...).")
    explanation = fields.Json(
        readonly=True,
        help="Which condition decided whether the workflow ran, and the values it compared.",
    )
    explanation_summary = fields.Char(
        compute="_compute_explanation_summary", string="Why",
        help="The explanation in one sentence.",
    )
    action_run_ids = fields.One2many(
        "workflow.action.run", "run_id", readonly=True, help="What each action did, in order."
    )
    company_id = fields.Many2one(
        "res.company", index=True, readonly=True, help="The company the run ran in; who may see it."
    )
    attempt = fields.Integer(
        readonly=True, copy=False,
        help="How many times the run's actions were started: 1 for the first try, one more for each "
        "retry or pick-up after a crash. Each action run records the attempt it belongs to.",
    )
    retry_count = fields.Integer(
        readonly=True, copy=False,
        help="Automatic retries used after temporary failures, out of the workflow's maximum; the "
        "Retry button starts the count again.",
    )
    next_attempt_at = fields.Datetime(
        readonly=True, copy=False,
        help="A pending run is not picked before this moment: the backoff of a retry, or the wait "
        "imposed by a rate limit. Empty: as soon as a queue worker is free.",
    )
    claimed_at = fields.Datetime(
        string="Last Heartbeat", readonly=True, copy=False,
        help="When the queue worker executing the run last reported (claim, then each action). A "
        "running run silent for longer than the worker timeout goes back to the queue.",
    )
    resume_at = fields.Datetime(
        readonly=True, copy=False,
        help="When the run, stopped at its last wait action, goes on with the next action; kept "
        "once it resumed.",
    )
    exit_explanation = fields.Json(
        readonly=True, copy=False,
        help="Which of the workflow's exit conditions held and ended the run, with the values compared.",
    )
    exit_summary = fields.Char(
        compute="_compute_explanation_summary", string="Why Exited",
        help="The exit explanation in one sentence.",
    )
    wait_reason = fields.Char(
        readonly=True, copy=False,
        help="Why the run waited in the queue: a retry's backoff, a rate limit or a wait action.",
    )
    queue_backend = fields.Selection(
        QUEUE_BACKENDS, required=True, default="cron", readonly=True,
        help="What executes the run when it is queued: the built-in queue's scheduled action, or an "
        "OCA queue_job job (then Job shows which).",
    )
    job_uuid = fields.Char(
        string="Job", readonly=True, copy=False, index="btree_not_null",
        help="The OCA queue_job job last queued to execute the run (one per attempt or wait).",
    )

    _sql_constraints = [("uuid_unique", "UNIQUE(uuid)", "A run's ID is unique.")]

    @api.model
    def _insert(self, vals_list, duplicate_since=None):
        """Create runs from ``vals_list`` with one INSERT and return them, in order. With
        ``duplicate_since``, a run whose idempotency key started a run of its workflow since
        then, or comes earlier in ``vals_list``, is a duplicate: it is left out, and the caller
        counts it. ``duplicate_since`` may also be a list, one moment (or None: no lookup) per
        ``vals``, for the runs of several workflows with windows of their own.

        The CRM hooks write a run on every matching event: this costs one query (two for a
        batch of events with a duplicate window), where the ORM's create costs a search for
        duplicates, then an INSERT and the create's bookkeeping. Runs lend themselves to it:
        fields left out get their default, and no stored field is computed, translated or
        constrained in Python; what the ORM's create does besides (the cache, dependent
        fields, one2many caches of the runs' workflows) is done here. Each ``vals`` gets its
        run's ``uuid``.
        """
        if not vals_list:
            return self.browse()
        for vals in vals_list:
            vals.setdefault("uuid", str(uuid.uuid4()))
        rows = log_rows(self, vals_list)
        sinces = duplicate_since if isinstance(duplicate_since, list) else [duplicate_since] * len(rows)
        if any(sinces):
            self.flush_model(["workflow_id", "idempotency_key"])
            if len(rows) > 1:
                rows, sinces = self._unseen_rows(rows, sinces)
                if not rows:
                    return self.browse()
        columns = split_columns(self, rows)
        insert = insert_select(self, rows, columns)
        # A client's key starts one manual run of its workflow (see init). A request that repeats
        # the key while the first one's run is not committed waits for it here, then conflicts:
        # in Odoo's repeatable-read transactions DO NOTHING on a row the transaction cannot see
        # is a serialization failure, which Odoo retries; the retry sees the first run and
        # answers it (workflow.execute). A plain INSERT would fail with a unique violation instead.
        # Runs of events never conflict (MANUAL_KEY_PREDICATE), and an INSERT ON CONFLICT inserts
        # every row speculatively, which costs: the clause is there for manual keys only.
        manual_key = any(row.get("event_type") == "manual" and row.get("idempotency_key") for row in rows)
        on_manual_key = SQL(
            f"ON CONFLICT (workflow_id, idempotency_key) WHERE {MANUAL_KEY_PREDICATE} DO NOTHING RETURNING uuid, id"
            if manual_key else "RETURNING uuid, id"
        )
        if len(rows) == 1 and sinces[0]:
            # One event, the usual case: the lookup rides in the INSERT, its values given as constants
            # so that the planner takes the index on key and workflow, not the workflow's history.
            query = SQL(
                "%s WHERE NOT EXISTS (SELECT FROM workflow_run WHERE idempotency_key = %s AND workflow_id = %s "
                "AND create_date >= %s) %s",
                insert, rows[0].get("idempotency_key"), rows[0]["workflow_id"], sinces[0], on_manual_key,
            )
        else:
            query = SQL("%s %s", insert, on_manual_key)
        # The conflict of a repeated key is retried, not an error worth an ERROR line.
        self.env.cr.execute(query, log_exceptions=False)
        ids = dict(self.env.cr.fetchall())
        inserted = [row for row in rows if row["uuid"] in ids]
        runs = self.browse(ids[row["uuid"]] for row in inserted)
        cache_inserted(runs, inserted, columns)
        return runs

    @api.model
    def _insert_from(self, vals, source, source_fields):
        """Create runs with one INSERT ... SELECT and return their ids: one run per row of the SQL
        ``source``, whose columns give the fields ``source_fields`` in order, the other fields
        those of ``vals`` or their defaults, as _insert gives them; each run gets a uuid of its
        own. Many runs of one workflow (an enrollment) cost one statement, their rows never
        reaching Python. Nothing is cached: the caller invalidates what it read of runs."""
        row = {name: value for name, value in log_rows(self, [vals])[0].items() if name not in source_fields}
        # Typed values: a SELECT list would type them as text.
        names, typed, params = select_list(self, row)
        targets = ", ".join(f'"{name}"' for name in source_fields)
        self.env.cr.execute(SQL(
            f"INSERT INTO workflow_run ({names}, {targets}, uuid) "  # noqa: S608 - the names are the model's fields
            f"SELECT {typed}, source.*, gen_random_uuid()::varchar FROM (%s) AS source RETURNING id",
            *params, source,
        ))
        return [row[0] for row in self.env.cr.fetchall()]

    @api.model
    def _unseen_rows(self, rows, sinces):
        """``rows`` without those whose idempotency key started a run of their workflow since
        their moment in ``sinces`` (one per row; None: not looked up) or comes again in
        ``rows``, and the moments of the rows kept: one query for a batch of events."""
        looked_up = [(row, since) for row, since in zip(rows, sinces, strict=True) if since]
        self.env.cr.execute(SQL(
            "SELECT workflow_id, idempotency_key, max(create_date) FROM workflow_run "
            "WHERE idempotency_key = ANY(%s) AND workflow_id = ANY(%s) AND create_date >= %s "
            "GROUP BY workflow_id, idempotency_key",
            [row["idempotency_key"] for row, _since in looked_up if row.get("idempotency_key")],
            list({row["workflow_id"] for row, _since in looked_up}), min(since for _row, since in looked_up),
        ))
        latest = {(workflow_id, key): created for workflow_id, key, created in self.env.cr.fetchall()}
        seen = set()
        unseen, unseen_sinces = [], []
        for row, since in zip(rows, sinces, strict=True):
            key = (row["workflow_id"], row.get("idempotency_key"))
            if since and (key in seen or (key in latest and latest[key] >= since)):
                continue
            unseen.append(row)
            unseen_sinces.append(since)
            if since and key[1]:
                seen.add(key)
        return unseen, unseen_sinces

    @api.model
    def _start_run(self, workflow, record, event_type, event_keys, idempotency_key=None, **run_values):
        """Evaluate the triggers of ``workflow`` against ``record`` and run its actions when one holds
        (``run_values``: more values of the run, its ``parent_run_id``)."""
        acting_record = workflow._acting_records(record)
        context = build_context(acting_record, event_keys, company=acting_record.env.company)
        trigger, explanation = workflow.trigger_ids.filtered("active")._evaluate(context)
        # Stored abbreviated (engine.abbreviation): the conditions were evaluated on whole values.
        stored_explanation = abbreviate(dict(explanation.to_dict(), summary=explanation.summary()))
        values = {"idempotency_key": idempotency_key, "explanation": stored_explanation, **run_values}
        if not explanation.result:
            values.update(
                state="skipped",
                error=self.env._("The conditions do not hold: %s", stored_explanation["summary"]),
            )
        return self._launch_runs(workflow, trigger, event_type, [(acting_record, event_keys)], **values)

    @api.model
    def _launch_runs(self, workflow, trigger, event_type, matches, **values):
        """Log one run of ``workflow`` per ``(acting_record, event_keys)`` match, and execute it now
        (immediate mode) or queue it as pending in this transaction (queued mode): see
        _launch_event_runs."""
        workflow.ensure_one()
        return self._launch_event_runs(event_type, [(workflow, trigger, matches)], **values)

    @api.model
    def _launch_event_runs(self, event_type, launches, **values):
        """Log the runs of an event, ``launches`` being ``(workflow, trigger, matches)`` in the
        order the workflows run, each match an ``(acting_record, event_keys)``: one run per match,
        all written with one INSERT whatever the number of workflows. Then the queued ones are
        left pending in this transaction and the immediate ones executed, together, in order.

        A run started by another run's actions is one level deeper in the chain; past the
        configured depth it is logged as failed instead of executed, which stops loops.
        Without an ``idempotency_key`` in ``values`` (an event, not a manual run), an event
        identical to one that started the same workflow within its duplicate window is dropped.
        """
        if not launches:
            return self.browse()
        depth, values = self._chain_values(values)
        manual = "idempotency_key" in values
        manual_key = values.pop("idempotency_key", None)
        event = EVENT_TYPES.get(event_type)
        now = fields.Datetime.now()
        # The workflows' fields, read once for all of them.
        workflows = self.env["workflow.workflow"].sudo().browse(
            dict.fromkeys(workflow.id for workflow, _trigger, _matches in launches)
        )
        launches = [(workflow.with_prefetch(workflows._prefetch_ids), trigger, matches)
                    for workflow, trigger, matches in launches]
        if not manual:
            launches = self._without_active_runs(launches)
        vals_list, sinces, launched = [], [], []
        secret = None if manual else self.env["ir.config_parameter"].sudo().get_param("database.secret")
        # An event's payload, as each run-as user may see it in each company (masked fields).
        payloads = {}
        # What names each event in the keys of its workflows' runs.
        identities = {}
        for workflow, trigger, matches in launches:
            since = None
            if manual:
                keys = [manual_key] * len(matches)
            else:
                keys = []
                for record, event_keys in matches:
                    named = (record._name, record.id, id(event_keys))
                    if named not in identities:
                        identities[named] = self._event_identity(event_type, record, event_keys)
                    keys.append(self._event_key(workflow, identities[named], secret))
                # The key names the record: the creation of a record is an event no other repeats.
                if workflow.duplicate_window_minutes and not (event and event.once_per_record):
                    since = now - timedelta(minutes=workflow.duplicate_window_minutes)
            queued = workflow.execution_mode == "queued"
            common = {
                "workflow_id": workflow.id,
                "trigger_id": trigger.id,
                "event_type": event_type,
                "version_id": workflow.current_version_id.id,
                "depth": depth,
                "queue_backend": workflow.queue_backend,
                **({"state": "pending"} if queued else {"state": "running", "attempt": 1, "started_at": now}),
            }
            for (acting_record, event_keys), key in zip(matches, keys, strict=True):
                seen_as = (acting_record._name, acting_record.env.uid, acting_record.env.company.id, id(event_keys))
                if seen_as not in payloads:
                    # As jsondoc.plain gives it; the runs of the event share it, as their cache does.
                    payload = json.loads(json.dumps(masked_event_keys(acting_record, event_keys), default=str))
                    payloads[seen_as] = (event_keys, payload)
                vals_list.append({
                    **common,
                    "payload": payloads[seen_as][1],
                    "res_model": acting_record._name if acting_record else False,
                    "res_id": acting_record.id,
                    "user_id": acting_record.env.uid,
                    "company_id": acting_record.env.company.id,
                    "idempotency_key": key,
                    **values,
                })
                sinces.append(since)
                launched.append((workflow, acting_record, event_keys))
        runs = self.sudo()._insert(vals_list, duplicate_since=sinces if any(sinces) else None)
        if len(runs) < len(vals_list):
            inserted = set(runs.mapped("uuid"))
            duplicates = defaultdict(int)
            for vals, (workflow, _record, _event_keys) in zip(vals_list, launched, strict=True):
                if vals["uuid"] not in inserted:
                    duplicates[workflow.id] += 1
            launched = [launch for launch, vals in zip(launched, vals_list, strict=True) if vals["uuid"] in inserted]
            # A counter, not a write: duplicates are no change of the workflow worth tracking.
            self.env.cr.execute(
                "UPDATE workflow_workflow SET duplicate_count = COALESCE(duplicate_count, 0) + counts.duplicates "
                "FROM unnest(%s::int[], %s::int[]) AS counts(id, duplicates) WHERE workflow_workflow.id = counts.id",
                [list(duplicates), list(duplicates.values())],
            )
            workflows.browse(duplicates).invalidate_recordset(["duplicate_count"])
        pending = runs.filtered(lambda run: run.state == "pending")
        if pending:
            pending._wake_queue()
        running = [
            (run, record, event_keys)
            for run, (_workflow, record, event_keys) in zip(runs, launched, strict=True)
            if run.state == "running"
        ]
        if running:
            # One context per record as each run-as user sees it in each company: actions read
            # the record as it is when they run, nothing is memoized.
            contexts = {}
            for _run, record, event_keys in running:
                key = (record._name, record.id, record.env.uid, record.env.company.id, id(event_keys))
                if key not in contexts:
                    contexts[key] = build_context(record, event_keys, record.env.company)
            runs.browse(run.id for run, _record, _keys in running)._execute_immediate(
                {run: record for run, record, _keys in running},
                {run: contexts[record._name, record.id, record.env.uid, record.env.company.id, id(event_keys)]
                 for run, record, event_keys in running},
            )
        return runs

    @api.model
    def _chain_values(self, values):
        """The depth in the chain of runs of the runs started now, and their ``values``: failed,
        saying why, once the chain is deeper than the configured limit."""
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
        return depth, values

    @api.model
    def _without_active_runs(self, launches):
        """``launches`` (``(workflow, trigger, matches)``) without the matches of a
        single_active_run workflow whose record already has an active run of it
        (runstate.ACTIVE_STATES) or comes again in ``launches`` (another trigger of the same
        workflow, the same record twice), counted on the workflow (concurrency_skip_count).
        One query for every such workflow of the event, none without them."""
        asked = {
            (workflow.id, record._name, record.id)
            for workflow, _trigger, matches in launches if workflow.single_active_run
            for record, _event_keys in matches if record
        }
        if not asked:
            return launches
        self.flush_model(["workflow_id", "res_model", "res_id", "state"])
        workflow_ids, res_models, res_ids = zip(*asked, strict=True)
        self.env.cr.execute(SQL(
            "SELECT DISTINCT run.workflow_id, run.res_model, run.res_id FROM workflow_run run "
            "JOIN unnest(%s::int[], %s::varchar[], %s::int[]) AS asked(workflow_id, res_model, res_id) "
            "ON run.workflow_id = asked.workflow_id AND run.res_model = asked.res_model "
            "AND run.res_id = asked.res_id WHERE run.state IN %s",
            list(workflow_ids), list(res_models), list(res_ids), ACTIVE_STATES,
        ))
        active = set(self.env.cr.fetchall())
        kept_launches, skipped = [], defaultdict(int)
        for workflow, trigger, matches in launches:
            if workflow.single_active_run:
                kept = []
                for record, event_keys in matches:
                    key = (workflow.id, record._name, record.id)
                    if record and key in active:
                        skipped[workflow.id] += 1
                        continue
                    kept.append((record, event_keys))
                    if record:
                        active.add(key)
                matches = kept
            if matches:
                kept_launches.append((workflow, trigger, matches))
        if skipped:
            # A counter, not a write: skipped events are no change of the workflow worth tracking.
            self.env.cr.execute(
                "UPDATE workflow_workflow SET concurrency_skip_count = COALESCE(concurrency_skip_count, 0) "
                "+ counts.skipped FROM unnest(%s::int[], %s::int[]) AS counts(id, skipped) "
                "WHERE workflow_workflow.id = counts.id",
                [list(skipped), list(skipped.values())],
            )
            self.env["workflow.workflow"].browse(skipped).invalidate_recordset(["concurrency_skip_count"])
        return kept_launches

    @api.model
    def _event_identity(self, event_type, record, event_keys):
        """What names an event in the idempotency keys of its runs (see _event_key): its type,
        record and keys (the written values, the message id, the custom payload), as JSON, once
        for all the workflows it starts."""
        return json.dumps([event_type, record._name if record else None, record.id, event_keys],
                          sort_keys=True, default=str)

    @api.model
    def _event_key(self, workflow, event_identity, secret):
        """The default idempotency key of an event (``event_identity``) in ``workflow``. Keyed
        with the database secret (``secret``, read once for all the runs of an event): the key
        is shown with the run, and a plain hash of values that the run shows masked would give
        them away to anybody trying the few numbers that end in what the mask shows."""
        # The JSON of [workflow id, type, model, record id, keys]; as tools.hmac signs a message in
        # a scope, with the secret at hand.
        message = repr((EVENT_KEY_SCOPE, f"[{workflow.id}, {event_identity[1:]}"))
        return f"event:{hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()[:40]}"

    @api.model
    def _run_statistics(self, workflows, days):
        """The run figures of ``workflows`` over the last ``days`` days, by workflow id (see
        workflow.workflow.get_run_statistics)."""
        if not workflows:
            return {}
        self.flush_model(["workflow_id", "state", "duration_ms", "create_date"])
        self.env.cr.execute(
            """
            SELECT workflow_id,
                   count(*),
                   count(*) FILTER (WHERE state = 'success'),
                   count(*) FILTER (WHERE state = 'partial'),
                   count(*) FILTER (WHERE state = 'failed'),
                   count(*) FILTER (WHERE state IN ('pending', 'running')),
                   count(*) FILTER (WHERE state = 'skipped'),
                   count(*) FILTER (WHERE state = 'waiting'),
                   count(*) FILTER (WHERE state = 'exited'),
                   count(*) FILTER (WHERE state = 'cancelled'),
                   avg(duration_ms) FILTER (WHERE state IN ('success', 'partial', 'failed')),
                   percentile_cont(0.95) WITHIN GROUP (ORDER BY duration_ms)
                       FILTER (WHERE state IN ('success', 'partial', 'failed'))
              FROM workflow_run
             WHERE workflow_id IN %s AND create_date >= %s
             GROUP BY workflow_id
            """,
            [tuple(workflows.ids), fields.Datetime.now() - timedelta(days=days)],
        )
        names = ("run_count", "success_count", "partial_count", "failed_count", "pending_count", "skipped_count",
                 "waiting_count", "exited_count", "cancelled_count", "avg_duration_ms", "p95_duration_ms")
        return {row[0]: dict(zip(names, row[1:], strict=True)) for row in self.env.cr.fetchall()}

    def init(self):
        # Queue workers look only at pending runs, a small part of a long history.
        tools.create_index(
            self.env.cr, "workflow_run_pending_queue_index", self._table, ["id"], where="state = 'pending'"
        )
        # Waiting runs can be many (a nurture track of every new lead): the queue reads the due ones only.
        tools.create_index(
            self.env.cr, "workflow_run_waiting_queue_index", self._table, ["next_attempt_at"],
            where="state = 'waiting'",
        )
        # An Idempotency-Key given to execute starts one run of its workflow, however many
        # requests carry it at once. Manual runs only: an event's key (_event_key) names what
        # happened, and the same event runs again once the duplicate window has passed.
        if not tools.index_exists(self.env.cr, MANUAL_KEY_INDEX):
            self.env.cr.execute(SQL(
                "CREATE UNIQUE INDEX %s ON workflow_run (workflow_id, idempotency_key) WHERE %s",
                SQL.identifier(MANUAL_KEY_INDEX), SQL(MANUAL_KEY_PREDICATE),
            ))
        # Runs are looked up by key within their workflow: on every matching event (duplicates) and
        # on every execute call with a client key. A key alone would let the planner combine it
        # with the index of the workflow's whole history.
        tools.create_index(
            self.env.cr, "workflow_run_key_in_workflow_index", self._table, ["idempotency_key", "workflow_id"],
            where="idempotency_key IS NOT NULL",
        )

    @api.depends("explanation", "exit_explanation")
    def _compute_explanation_summary(self):
        for run in self:
            run.explanation_summary = (run.explanation or {}).get("summary") or False
            run.exit_summary = (run.exit_explanation or {}).get("summary") or False

    def action_retry(self):
        """Queue failed runs again; each resumes at its failed action, those that succeeded are kept."""
        self._manageable(("failed",), self.env._("Only failed runs can be retried; %(runs)s is %(state)s."))
        self.sudo().write({
            "state": "pending", "retry_count": 0, "next_attempt_at": False, "claimed_at": False,
            "finished_at": False, "error": False, "error_code": False,
            "wait_reason": self.env._("Retried by %s.", self.env.user.name),
        })
        self.sudo()._wake_queue()
        return True

    def action_resume(self):
        """Have these waiting runs go on with their next action now, without waiting any longer."""
        waiting = self._manageable(
            ("waiting",), self.env._("Only waiting runs can be resumed; %(runs)s is %(state)s.")
        )
        # Resumed now, the run would read the state its child had when it started as its output.
        children = waiting.sudo()._awaited_children()
        if children:
            raise UserError(self.env._(
                "%(runs)s waits for its sub-workflow's run %(child)s, which is %(state)s: it goes on when "
                "that run ends (cancel that run to end the wait sooner).",
                runs=", ".join(children.parent_run_id.mapped("uuid")), child=", ".join(children.mapped("uuid")),
                state=children[0].state,
            ))
        now = fields.Datetime.now()
        waiting.sudo().write({
            "resume_at": now, "next_attempt_at": now,
            "wait_reason": self.env._("Resumed by %s.", self.env.user.name),
        })
        waiting.sudo()._wake_queue()
        return True

    def action_cancel(self):
        """End these waiting or pending runs as cancelled: none of their remaining actions runs."""
        runs = self._manageable(
            ("waiting", "pending"), self.env._("Only waiting or pending runs can be cancelled; %(runs)s is %(state)s.")
        )
        runs.sudo().write({
            "state": "cancelled", "finished_at": fields.Datetime.now(), "next_attempt_at": False,
            "wait_reason": self.env._("Cancelled by %s.", self.env.user.name),
        })
        runs.sudo()._resume_waiting_parents()
        return True

    def _manageable(self, states, refusal):
        """These runs, once the current user, a Workflow Manager who may read them, may act on
        them, and each is in one of ``states``; else ``refusal`` (a translated message naming
        %(runs)s and %(state)s) is raised."""
        if not self.env.user.has_group(MANAGER_GROUP):
            raise AccessError(self.env._("Only Workflow Managers and Administrators may retry, resume or cancel runs."))
        self.check_access("read")
        others = self.filtered(lambda run: run.state not in states)
        if others:
            raise UserError(refusal % {"runs": ", ".join(others.mapped("uuid")), "state": others[0].state})
        return self

    def action_open_record(self):
        self.ensure_one()
        if self.res_model not in self.env:
            raise UserError(self.env._("The model %s of the run's record is not installed (any more).", self.res_model))
        return {
            "type": "ir.actions.act_window",
            "res_model": self.res_model,
            "res_id": self.res_id,
            "view_mode": "form",
        }
