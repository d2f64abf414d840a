import contextlib
import logging
import time
import traceback
import uuid
from datetime import timedelta

import psycopg2
from psycopg2.errors import DeadlockDetected

from odoo import SUPERUSER_ID, api, fields, models, tools
from odoo.exceptions import AccessError, UserError
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY
from odoo.tools import SQL

from ..engine import jsondoc
from ..engine.abbreviation import abbreviate
from ..engine.exceptions import ActionError, WorkflowError
from ..exceptions import RunCapabilityError
from .record_context import build_context
from .workflow_action import BATCHED_TYPES
from .workflow_definition_mixin import MANAGER_GROUP
from .workflow_workflow import QUEUE_BACKENDS

_logger = logging.getLogger(__name__)

QUEUE_BATCH = 100
"""Runs one queue worker claims at a time."""
WORKER_TIMEOUT_PARAM = "workflow_engine.queue_worker_timeout"
DEFAULT_WORKER_TIMEOUT = 600
"""Seconds a running queued run may go without news from its worker before it is queued again."""
CONFLICT_RETRY_DELAY = 5
"""Seconds a run waits after a database conflict (a concurrent update) before it is tried again."""
QUEUE_CRON_XMLID = "workflow_engine.ir_cron_workflow_run_queue"
CLAIM_ATTEMPTS = 5
"""Claims tried in a row when concurrent workers' claims get in the way."""
QUEUE_JOB_CHANNEL = "root.workflow"
"""The OCA queue_job channel of the jobs that execute runs."""
RETENTION_BATCH = 1000
"""Runs the retention cron deletes per query, so that no deletion holds locks for long."""
MANUAL_KEY_INDEX = "workflow_run_manual_key_unique_index"
MANUAL_KEY_PREDICATE = "event_type = 'manual' AND idempotency_key IS NOT NULL"
"""The runs whose idempotency key is unique within their workflow: those started by hand with
a client's key (execute); events repeat their keys (see workflow.workflow._event_key)."""

RUN_STATES = [
    ("pending", "Pending"),
    ("running", "Running"),
    ("success", "Success"),
    ("partial", "Partial"),
    ("failed", "Failed"),
    ("skipped", "Skipped"),
]


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
        index=True, readonly=True,
        help="The event that started the run (lead.created, deal.won, ..., manual).",
    )
    payload = fields.Json(
        readonly=True, help="The event's context keys, as the conditions and actions saw them."
    )
    res_model = fields.Char(
        string="Record Model", index=True, readonly=True, help="The model of the record the run concerns."
    )
    res_id = fields.Many2oneReference(
        string="Record ID", model_field="res_model", index=True, readonly=True,
        help="The id of the record the run concerns.",
    )
    state = fields.Selection(
        RUN_STATES, required=True, default="pending", index=True, readonly=True,
        help="Pending: waiting to run. Running: actions are executing. Success: every "
        "action succeeded. Partial: an action allowed to fail did. Failed: an action "
        "failed and stopped the run. Skipped: started by hand, but the conditions did "
        "not hold.",
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
    wait_reason = fields.Char(
        readonly=True, copy=False,
        help="Why the run waited in the queue: a retry's backoff or a rate limit.",
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
        counts it.

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
        now = self.env.cr.now()
        defaulted = [
            name for name, field in self._fields.items()
            if field.store and field.default and name != "uuid" and any(name not in vals for vals in vals_list)
        ]
        defaults = self.default_get(defaulted) if defaulted else {}
        rows = []
        for vals in vals_list:
            vals.setdefault("uuid", str(uuid.uuid4()))
            rows.append({
                **defaults, **vals,
                "create_uid": self.env.uid, "create_date": now, "write_uid": self.env.uid, "write_date": now,
            })
        if duplicate_since:
            self.flush_model(["workflow_id", "idempotency_key"])
            if len(rows) > 1:
                rows = self._unseen_rows(rows, duplicate_since)
                if not rows:
                    return self.browse()
        columns = [self._fields[name] for name in dict.fromkeys(name for row in rows for name in row)]
        params = [
            field.convert_to_column_insert(row[field.name], self, row) if field.name in row else None
            for row in rows for field in columns
        ]
        # The names are the model's fields.
        names = ", ".join(f'"{field.name}"' for field in columns)
        # A client's key starts one manual run of its workflow (see init). A request that repeats
        # the key while the first one's run is not committed waits for it here, then conflicts:
        # in Odoo's repeatable-read transactions DO NOTHING on a row the transaction cannot see
        # is a serialization failure, which Odoo retries; the retry sees the first run and
        # answers it (workflow.execute). A plain INSERT would fail with a unique violation instead.
        on_manual_key = f"ON CONFLICT (workflow_id, idempotency_key) WHERE {MANUAL_KEY_PREDICATE} DO NOTHING"
        if duplicate_since and len(rows) == 1:
            # One event, the usual case: the lookup rides in the INSERT, its values given as constants
            # so that the planner takes the index on key and workflow, not the workflow's history.
            # Typed values: a SELECT list would type them as text.
            typed = ", ".join(f"%s::{field.column_type[1]}" for field in columns)
            query = (
                f"INSERT INTO workflow_run ({names}) SELECT {typed} "  # noqa: S608
                "WHERE NOT EXISTS (SELECT FROM workflow_run WHERE idempotency_key = %s AND workflow_id = %s "
                f"AND create_date >= %s) {on_manual_key} RETURNING uuid, id"
            )
            params += [rows[0].get("idempotency_key"), rows[0]["workflow_id"], duplicate_since]
        else:
            row_sql = "(" + ", ".join(["%s"] * len(columns)) + ")"
            query = (
                f"INSERT INTO workflow_run ({names}) VALUES {', '.join([row_sql] * len(rows))} "  # noqa: S608
                f"{on_manual_key} RETURNING uuid, id"
            )
        # The conflict of a repeated key is retried, not an error worth an ERROR line.
        self.env.cr.execute(SQL(query, *params), log_exceptions=False)
        ids = dict(self.env.cr.fetchall())
        inserted = [row for row in rows if row["uuid"] in ids]
        runs = self.browse(ids[row["uuid"]] for row in inserted)
        # What the ORM's create caches: the new runs are read without a query.
        stored = [field for name, field in self._fields.items() if field.store and name != "id"]
        for field in stored:
            self.env.cache.update(runs, field, [field.convert_to_cache(row.get(field.name), runs) for row in inserted])
        runs.modified([field.name for field in stored], create=True)
        # The records these runs point to may hold their runs in cache (workflow.run_ids): read them again.
        for field in stored:
            for inverse in self.pool.field_inverses[field]:
                targets = {row[field.name] for row in inserted if row.get(field.name)}
                self.env[inverse.model_name].browse(targets).invalidate_recordset([inverse.name])
        return runs

    @api.model
    def _unseen_rows(self, rows, since):
        """``rows`` without those whose idempotency key started a run of their workflow since
        ``since`` or comes again in ``rows``: one query for a batch of events."""
        self.env.cr.execute(SQL(
            "SELECT workflow_id, idempotency_key FROM workflow_run "
            "WHERE idempotency_key = ANY(%s) AND workflow_id = ANY(%s) AND create_date >= %s",
            [row["idempotency_key"] for row in rows if row.get("idempotency_key")],
            list({row["workflow_id"] for row in rows}), since,
        ))
        seen = set(self.env.cr.fetchall())
        unseen = []
        for row in rows:
            key = (row["workflow_id"], row.get("idempotency_key"))
            if key not in seen:
                unseen.append(row)
                if key[1]:
                    seen.add(key)
        return unseen

    def init(self):
        # Queue workers look only at pending runs, a small part of a long history.
        tools.create_index(
            self.env.cr, "workflow_run_pending_queue_index", self._table, ["id"], where="state = 'pending'"
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

    @api.depends("explanation")
    def _compute_explanation_summary(self):
        for run in self:
            run.explanation_summary = (run.explanation or {}).get("summary") or False

    def action_retry(self):
        """Queue failed runs again; each resumes at its failed action, those that succeeded are kept."""
        if not self.env.user.has_group(MANAGER_GROUP):
            raise AccessError(self.env._("Only Workflow Managers and Administrators may retry runs."))
        self.check_access("read")
        not_failed = self.filtered(lambda run: run.state != "failed")
        if not_failed:
            raise UserError(self.env._(
                "Only failed runs can be retried; %(runs)s is %(state)s.",
                runs=", ".join(not_failed.mapped("uuid")), state=not_failed[0].state,
            ))
        self.sudo().write({
            "state": "pending", "retry_count": 0, "next_attempt_at": False, "claimed_at": False,
            "finished_at": False, "error": False, "error_code": False,
            "wait_reason": self.env._("Retried by %s.", self.env.user.name),
        })
        self.sudo()._wake_queue()
        return True

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

    def _execute(self, record, context):
        """Run the workflow's actions in order on this running run's ``record``, and log
        the run with one action run per action (those after a stopping failure skipped).

        ``record`` and ``context`` are in the run-as user's environment; ``self`` is
        the engine's own bookkeeping and is written with superuser rights.
        """
        self.ensure_one()
        if self._refuse_lost_capabilities():
            return self
        state = "success"
        stopped_by = None
        start = time.perf_counter()
        record = record.with_context(workflow_depth=self.depth + 1)
        logs = []
        for action in self.workflow_id.action_ids:
            if stopped_by:
                logs.append(self._action_run_vals(action, state="skipped"))
                continue
            log = self._execute_action(action, record, context)
            logs.append(log)
            if log["state"] == "failed":
                if action.allow_failure:
                    state = "partial"
                else:
                    state, stopped_by = "failed", log
        self.env["workflow.action.run"].create(logs)
        self.write({
            "state": state,
            "finished_at": fields.Datetime.now(),
            "duration_ms": (time.perf_counter() - start) * 1000,
            "error": stopped_by and f"{stopped_by['name']}: {stopped_by['error']}",
            "error_code": stopped_by and stopped_by["error_code"],
        })
        return self

    def _execute_action(self, action, record, context, run_values=None, own_transaction=False):
        """Run one action and return its action run's values (``run_values``: this run's part
        of them, when the caller has them at hand).

        The action runs in a savepoint, so that its failure undoes what it did and nothing
        else; with ``own_transaction`` (a queued run's action, alone in a transaction that
        holds nothing else to keep), a failure rolls the transaction back instead.
        """
        vals = self._action_run_vals(action, run_values)
        start = time.perf_counter()
        rendered, secrets = None, []
        try:
            with contextlib.nullcontext() if own_transaction else record.env.cr.savepoint():
                rendered, secrets = action._render_input(self, context)
                vals["output"] = action.with_env(record.env)._execute(record, rendered)
            vals["state"] = "success"
        except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY:
            raise
        except Exception as exc:  # noqa: BLE001 - every failure is logged on the run
            if record.env.cr.closed:
                raise  # the database connection is lost: no action failed, the worker did
            if own_transaction:
                record.env.cr.rollback()
            error = exc if isinstance(exc, WorkflowError) else ActionError(str(exc))
            _logger.info("workflow run %s: action %s failed: %s", self.uuid, action.id, error)
            vals.update(
                state="failed", error=str(error), error_code=error.code, traceback=traceback.format_exc(),
                output=getattr(error, "output", None), retryable=getattr(error, "retryable", False),
            )
        vals["duration_ms"] = (time.perf_counter() - start) * 1000
        return self._masked_action_run_vals(vals, rendered, secrets)

    @api.model
    def _masked_action_run_vals(self, vals, rendered, secrets):
        vals["input"] = rendered
        for key in ("input", "output", "error", "traceback"):
            vals[key] = jsondoc.mask(vals.get(key), secrets)
        # Stored abbreviated (engine.abbreviation): the action worked on whole values. The
        # traceback, for Administrators, stays whole.
        for key in ("input", "output", "error"):
            vals[key] = abbreviate(jsondoc.plain(vals[key]))
        return vals

    def _action_run_defaults(self):
        return {"run_id": self.id, "attempt": self.attempt, "company_id": self.company_id.id}

    def _action_run_vals(self, action, run_values=None, **values):
        return {
            **(run_values or self._action_run_defaults()), "action_id": action.id, "name": action.name,
            "action_type": action.action_type, "ordering": action.ordering, **values,
        }

    # --- the queue -------------------------------------------------------------------------------

    @api.model
    def _cron_process_queue(self):
        """Execute a batch of due runs; the cron calls again at once while more are due."""
        done = self._process_queue()
        self.env["ir.cron"]._notify_progress(done=done, remaining=self._due_count())

    @api.model
    def _process_queue(self, limit=QUEUE_BATCH, worker_timeout=None):
        """Claim up to ``limit`` due pending runs, execute them and return how many were claimed.

        Each claim (a row lock taken with SKIP LOCKED, then the run marked running) is
        committed before the run executes, so concurrent workers, in one server or several,
        never share a run. The runs execute apart from the caller's transaction, in one that
        commits after every action (see _execute_queued). Running runs whose worker has been
        silent for ``worker_timeout`` seconds (system parameter
        workflow_engine.queue_worker_timeout) are queued again first: their worker died.
        """
        if worker_timeout is None:
            worker_timeout = int(self.env["ir.config_parameter"].sudo().get_param(
                WORKER_TIMEOUT_PARAM, DEFAULT_WORKER_TIMEOUT
            ))
        self._requeue_stale(worker_timeout)
        run_ids = self._claim(limit)
        self._execute_claimed(run_ids)
        return len(run_ids)

    @api.model
    def _due_count(self):
        self.env.cr.execute(
            "SELECT count(*) FROM workflow_run "
            "WHERE state = 'pending' AND (next_attempt_at IS NULL OR next_attempt_at <= %s)",
            [fields.Datetime.now()],
        )
        return self.env.cr.fetchone()[0]

    @api.model
    def _requeue_stale(self, worker_timeout):
        try:
            stale_ids = self._requeue_stale_once(worker_timeout)
        except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY:
            # A worker reported on one of them meanwhile: the next pass of the queue looks again.
            return
        if stale_ids:
            _logger.warning("workflow runs %s were queued again: their worker stopped reporting", stale_ids)

    @api.model
    def _requeue_stale_once(self, worker_timeout):
        with self.env.registry.cursor() as cr:
            # A run whose row is locked is being executed: its worker is alive, however slow.
            cr.execute(
                """
                UPDATE workflow_run SET state = 'pending', claimed_at = NULL
                 WHERE id IN (SELECT id FROM workflow_run
                               WHERE state = 'running' AND claimed_at < %s
                                 FOR UPDATE SKIP LOCKED)
                RETURNING id
                """,
                [fields.Datetime.now() - timedelta(seconds=worker_timeout)],
                log_exceptions=False,  # a conflict leaves the runs to the next pass (see _requeue_stale)
            )
            stale_ids = [row[0] for row in cr.fetchall()]
            stale_runs = self.with_env(self._queue_env(cr)).browse(stale_ids)
            stale_runs.filtered(lambda run: run.queue_backend == "queue_job")._wake_queue()
        return stale_ids

    @api.model
    def _claim(self, limit, run_ids=None):
        """Mark up to ``limit`` due pending runs as running for this worker, committed, and
        return their ids; runs over their workflow's rate limit are delayed instead.

        The built-in queue's workers claim the runs of the built-in backend (and those of
        the OCA backend when queue_job is no longer installed: nothing else would run them);
        a queue_job job claims the runs ``run_ids`` it was queued for.
        """
        for attempt in range(1, CLAIM_ATTEMPTS + 1):
            try:
                return self._claim_once(limit, run_ids)
            except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY as exc:
                # Transactions see the database as it was when they started: a run that another
                # worker claimed since cannot be locked. A new transaction sees it claimed. A
                # deadlock is no such contention: two transactions locked in opposite orders.
                if isinstance(exc, DeadlockDetected):
                    _logger.warning(
                        "workflow queue: a deadlock stopped claiming runs (attempt %s of %s): %s",
                        attempt, CLAIM_ATTEMPTS, exc,
                    )
                if attempt == CLAIM_ATTEMPTS:
                    raise
        return []

    @api.model
    def _claim_once(self, limit, run_ids):
        with self.env.registry.cursor() as cr:
            now = fields.Datetime.now()
            if run_ids is None:
                scope = "AND (queue_backend = 'cron' OR %s)"
                scope_arg = "queue.job" not in self.env
            else:
                scope, scope_arg = "AND id IN %s", tuple(run_ids)
            cr.execute(
                f"""
                SELECT id FROM workflow_run
                 WHERE state = 'pending' AND (next_attempt_at IS NULL OR next_attempt_at <= %s) {scope}
                 ORDER BY id
                 LIMIT %s
                   FOR UPDATE SKIP LOCKED
                """,  # noqa: S608 - scope is one of two constant clauses
                [now, scope_arg, limit],
                # A run another worker claimed since this transaction began fails the lock: that is
                # how workers share the queue (see _claim), not an error.
                log_exceptions=False,
            )
            runs = self.with_env(self._queue_env(cr)).browse(row[0] for row in cr.fetchall())
            runs = runs._delay_over_rate_limits(now)
            if runs:
                cr.execute(
                    """
                    UPDATE workflow_run
                       SET state = 'running', claimed_at = %s, started_at = COALESCE(started_at, %s),
                           attempt = COALESCE(attempt, 0) + 1
                     WHERE id IN %s
                    """,
                    [now, now, tuple(runs.ids)],
                )
            return runs.ids

    def _delay_over_rate_limits(self, now):
        """The runs of ``self`` that their workflows' rate limits admit now; the others get a
        ``next_attempt_at`` when a slot frees up and a ``wait_reason``."""
        limited = self.workflow_id.filtered(lambda wf: wf.max_runs_per_minute or wf.max_runs_per_record_per_hour)
        if not limited:
            return self
        # Two workers claiming runs of one workflow at once could each admit the last free slot. A
        # workflow changed since the claim began fails the lock: the claim is tried again (_claim).
        self.env.cr.execute(
            "SELECT id FROM workflow_workflow WHERE id IN %s ORDER BY id FOR UPDATE", [tuple(limited.ids)],
            log_exceptions=False,
        )
        delayed = {}
        for workflow in limited:
            runs = self.filtered(lambda run, wf=workflow: run.workflow_id == wf)
            if workflow.max_runs_per_minute:
                runs = runs._admit_per_workflow(workflow, now, delayed)
            if workflow.max_runs_per_record_per_hour:
                runs._admit_per_record(workflow, now, delayed)
        for run, (until, reason) in delayed.items():
            run.write({"next_attempt_at": until, "wait_reason": reason})
        if delayed:
            self.browse(run.id for run in delayed)._wake_queue()
        return self.filtered(lambda run: run not in delayed)

    def _admit_per_workflow(self, workflow, now, delayed):
        window_start = now - timedelta(minutes=1)
        self.env.cr.execute(
            """
            SELECT count(*), min(started_at) FROM workflow_run
             WHERE workflow_id = %s AND started_at > %s AND state != 'pending'
            """,
            [workflow.id, window_start],
        )
        started, oldest = self.env.cr.fetchone()
        free = max(workflow.max_runs_per_minute - started, 0)
        until = (oldest or now) + timedelta(minutes=1)
        reason = self.env._(
            "Rate limit: %(limit)s runs per minute of this workflow; waited until %(until)s UTC.",
            limit=workflow.max_runs_per_minute, until=until.replace(microsecond=0),
        )
        for run in self[free:]:
            delayed[run] = (until, reason)
        return self[:free]

    def _admit_per_record(self, workflow, now, delayed):
        self.env.cr.execute(
            """
            SELECT res_model, res_id, count(*), min(started_at) FROM workflow_run
             WHERE workflow_id = %s AND started_at > %s AND state != 'pending' AND res_id IS NOT NULL
             GROUP BY res_model, res_id
            """,
            [workflow.id, now - timedelta(hours=1)],
        )
        started = {(model, res_id): (count, oldest) for model, res_id, count, oldest in self.env.cr.fetchall()}
        limit = workflow.max_runs_per_record_per_hour
        for run in self.filtered("res_id"):
            count, oldest = started.get((run.res_model, run.res_id), (0, now))
            if count < limit:
                started[run.res_model, run.res_id] = (count + 1, oldest)
                continue
            until = oldest + timedelta(hours=1)
            delayed[run] = (until, self.env._(
                "Rate limit: %(limit)s runs per hour of this workflow on one record; waited until %(until)s UTC.",
                limit=limit, until=until.replace(microsecond=0),
            ))

    @api.model
    def _queue_env(self, cr):
        # What the caller's context holds (a form's defaults, a test's switches) is not the run's.
        return api.Environment(cr, SUPERUSER_ID, {})

    @api.model
    def _execute_claimed(self, run_ids):
        """Execute the claimed runs ``run_ids``: those of one workflow, run-as user, company
        and depth together (see _execute_queued), on a cursor of their own."""
        if not run_ids:
            return
        with self.env.registry.cursor() as cr:
            runs = self.with_env(self._queue_env(cr)).browse(run_ids)
            groups = runs.grouped(lambda run: (run.workflow_id, run.user_id, run.company_id, run.res_model, run.depth))
            group_ids = [group.ids for group in groups.values()]
        for ids in group_ids:
            self._execute_claimed_group(ids)

    @api.model
    def _execute_claimed_group(self, run_ids):
        try:
            with self.env.registry.cursor() as cr:
                runs = self.with_env(self._queue_env(cr)).browse(run_ids)
                try:
                    runs._execute_queued()
                    # What the last action and the runs' end wrote meets the database here, where a
                    # conflict is handled as one, not at the commit, as if the connection were lost.
                    cr.flush()
                except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY as exc:
                    cr.rollback()
                    runs.filtered(lambda run: run.state == "running")._requeue_after_conflict(exc)
                except psycopg2.Error:
                    raise
                except Exception as exc:  # noqa: BLE001 - a run never takes its worker down
                    _logger.exception("workflow runs %s could not be executed", run_ids)
                    cr.rollback()
                    runs.filtered(lambda run: run.state == "running")._finish(
                        "failed", error=self.env._("The run could not be executed: %s", exc)
                    )
        except psycopg2.Error:
            # The connection itself failed (its backend was terminated, the server went
            # away): the runs stay running until the stale timeout queues them again.
            _logger.warning("workflow runs %s: their worker lost the database connection", run_ids, exc_info=True)

    def _execute_queued(self):
        """Run the actions of these claimed runs that have not settled yet, committing the
        outcome of each action as it ends, so that a crash later keeps what was done and logged.

        The runs share a workflow, run-as user, company and depth. Each action runs for all
        of them in turn, as one batch where its type allows (one write, one batch of notes:
        see workflow.action._execute_many), and one commit keeps every run's outcome of it.
        """
        runs = self.filtered(lambda run: run.state == "running")
        if not runs or runs._refuse_lost_capabilities():
            return
        workflow = runs.workflow_id
        if runs[0].res_model and runs[0].res_model not in self.env:
            # Another model may have records with the same ids: the run acts on its own or on none.
            runs._finish("failed", error_code="model_not_installed", error=self.env._(
                "The model %s of the run's record is not installed (any more).", runs[0].res_model
            ))
            return
        records, missing = runs._acting_records()
        if missing:
            for run in missing:
                run._finish("failed", error=self.env._(
                    "%(model)s record %(id)s no longer exists.", model=run.res_model, id=run.res_id
                ))
            # Kept now: a failed action alone in its transaction rolls it back (see _execute_step).
            self.env.cr.commit()  # pylint: disable=invalid-commit
            runs -= missing
            if not runs:
                return
        company = records[runs[0]].env.company
        contexts = {run: build_context(records[run], run.payload or {}, company) for run in runs}
        for run, record in records.items():
            records[run] = record.with_context(workflow_depth=run.depth + 1)
        settled, states = runs._settled_actions()
        # Read before the first commit, which empties the transaction's cache.
        run_values = {run: run._action_run_defaults() for run in runs}
        durations = {run: run.duration_ms for run in runs}
        actions = workflow.action_ids
        stepped = False
        for index, action in enumerate(actions):
            step = runs.filtered(lambda run, action=action: action.id not in settled[run])
            if not step:
                continue
            if stepped:
                # The runs own this cursor (see _execute_claimed_group): the outcome of each action
                # is kept as it ends; the last one's is kept with the end of the runs.
                self.env.cr.commit()  # pylint: disable=invalid-commit
            stepped = True
            step._heartbeat(durations)
            logs = step._execute_step(action, records, contexts, run_values)
            if len(step) == 1 and logs[step]["state"] == "failed":
                # The failure rolled the transaction back, and the heartbeat's lock with it.
                step._heartbeat(durations)
            self.env["workflow.action.run"].create(list(logs.values()))
            for run, log in logs.items():
                durations[run] += log["duration_ms"]
                if log["state"] != "failed":
                    continue
                if action.allow_failure:
                    states[run] = "partial"
                    continue
                later_actions = actions[index + 1:].filtered(lambda later, run=run: later.id not in settled[run])
                run._stop_or_retry(log, later_actions)
                runs -= run
        if runs:
            runs._heartbeat(durations)
            for state, finished in runs.grouped(states.get).items():
                finished._finish(state)

    def _acting_records(self):
        """The record of each of these runs (of one model), as their run-as user sees it in
        their company, by run; and the runs whose record no longer exists."""
        workflow = self.workflow_id
        model = self[:1].res_model
        # A run without a record (a custom event's payload alone) still needs an environment to
        # act in; a run's model that is not installed is refused before (see _execute_queued).
        records = self.env[model or "res.partner"].browse(
            self.filtered("res_id").mapped("res_id") if model else ()
        ).exists()
        records = records.with_user(self[:1].user_id or workflow.run_as_user_id)
        records = records.with_company(self[:1].company_id or records.env.company)
        by_id = {record.id: record for record in records}
        acting = {run: by_id.get(run.res_id, records.browse()) for run in self}
        missing = self.filtered(lambda run: run.res_model and not acting[run])
        return acting, missing

    def _settled_actions(self):
        """The ids of the actions of each of these runs that settled in an earlier attempt (they
        succeeded, or failed while allowed to), by run; and each run's state so far."""
        settled = {run: set() for run in self}
        states = dict.fromkeys(self, "success")
        # Only a resumed run has actions that settled in an earlier attempt.
        for log in self.filtered(lambda run: run.attempt > 1).action_run_ids:
            if log.state == "success" or (log.state == "failed" and log.action_id.allow_failure):
                settled[log.run_id].add(log.action_id.id)
                if log.state == "failed":
                    states[log.run_id] = "partial"
        return settled, states

    def _execute_step(self, action, records, contexts, run_values):
        """Run ``action`` for each of these runs, on its record of ``records`` with its context
        of ``contexts``, and return each run's action run values.

        Where the action allows, the runs' rendered configs run as one batch, in a savepoint;
        should the batch fail, each run runs the action alone, so that a failure is logged on
        its own run and undoes nothing of the others.
        """
        if len(self) == 1 or action.action_type not in BATCHED_TYPES or not self[0].res_model:
            return {
                run: run._execute_action(action, records[run], contexts[run], run_values[run],
                                         own_transaction=len(self) == 1)
                for run in self
            }
        start = time.perf_counter()
        targets = records[self[0]].browse([records[run].id for run in self])
        rendered = outputs = None
        try:
            rendered = [action._render_input(run, contexts[run]) for run in self]
            configs = [config for config, _secrets in rendered]
            if action._can_execute_many(targets, configs):
                with self.env.cr.savepoint():
                    outputs = action.with_env(targets.env)._execute_many(targets, configs)
        except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY:
            raise
        except Exception as exc:  # noqa: BLE001 - each run tries alone and logs its own failure
            _logger.info(
                "workflow action %s failed as a batch of %s runs; each tries alone: %s", action.id, len(self), exc
            )
        if outputs is None:
            return {
                run: run._execute_action(action, records[run], contexts[run], run_values[run]) for run in self
            }
        duration_ms = (time.perf_counter() - start) * 1000 / len(self)
        return {
            run: self._masked_action_run_vals(
                run._action_run_vals(action, run_values[run], state="success", output=output, duration_ms=duration_ms),
                config, secrets,
            )
            for run, (config, secrets), output in zip(self, rendered, outputs, strict=True)
        }

    def _heartbeat(self, durations):
        """Tell the stale reaper that these runs' worker is alive, and keep their duration so
        far (``durations``, by run). The update also locks the runs' rows until the transaction
        ends: the reaper skips locked runs, so a long action is never run twice."""
        self.env.cr.execute(
            """
            UPDATE workflow_run SET claimed_at = %s, duration_ms = progress.duration_ms
              FROM unnest(%s::int[], %s::float8[]) AS progress(id, duration_ms)
             WHERE workflow_run.id = progress.id
            """,
            [fields.Datetime.now(), self.ids, [durations[run] for run in self]],
        )
        self.invalidate_recordset(["claimed_at", "duration_ms"])

    def _stop_or_retry(self, log, remaining_actions):
        """After the failed action of ``log``: queue the run again after a backoff when the
        failure is temporary and retries are left, otherwise fail it."""
        workflow = self.workflow_id
        error = f"{log['name']}: {log['error']}"
        if log.get("retryable") and self.retry_count < workflow.max_retries:
            until = fields.Datetime.now() + timedelta(seconds=workflow.retry_delay_seconds * 2**self.retry_count)
            self.write({
                "state": "pending",
                "retry_count": self.retry_count + 1,
                "next_attempt_at": until,
                "claimed_at": False,
                "error": error,
                "error_code": log["error_code"],
                "wait_reason": self.env._(
                    "Attempt %(attempt)s failed; retry %(retry)s of %(max)s at %(until)s UTC.",
                    attempt=self.attempt, retry=self.retry_count + 1, max=workflow.max_retries,
                    until=until.replace(microsecond=0),
                ),
            })
            self._wake_queue()
            return
        self.env["workflow.action.run"].create([
            self._action_run_vals(action, state="skipped") for action in remaining_actions
        ])
        self._finish("failed", error=error, error_code=log["error_code"])

    def _refuse_lost_capabilities(self):
        """Fail this run, saying why, when its run-as user may no longer run the workflow:
        nobody's lost rights are used."""
        try:
            self.workflow_id._check_run_capabilities()
        except RunCapabilityError as exc:
            self._finish("failed", error=str(exc), error_code=exc.code)
            return True
        return False

    def _finish(self, state, error=False, error_code=False, **values):
        self.write({
            "state": state,
            "finished_at": fields.Datetime.now(),
            "next_attempt_at": False,
            "error": error,
            "error_code": error_code,
            **values,
        })

    def _requeue_after_conflict(self, conflict):
        """Queue these runs again shortly after the database ``conflict`` that stopped them. A
        serialization failure is the ordinary contention of concurrent transactions; a deadlock
        means two transactions locked rows in opposite orders: it is logged, and the runs say so
        (error code ``deadlock``) until they end."""
        until = fields.Datetime.now() + timedelta(seconds=CONFLICT_RETRY_DELAY)
        values = {
            "state": "pending",
            "next_attempt_at": until,
            "claimed_at": False,
            "wait_reason": self.env._("A concurrent update got in the way; tried again shortly after."),
        }
        if isinstance(conflict, DeadlockDetected):
            _logger.warning("workflow runs %s: stopped by a deadlock, queued again: %s", self.ids, conflict)
            values.update(
                error_code="deadlock",
                error=self.env._("A deadlock with another transaction stopped the run: %s", conflict),
                wait_reason=self.env._(
                    "A deadlock with another transaction stopped the run; tried again shortly after."
                ),
            )
        self.write(values)
        self._wake_queue()

    # --- retention -------------------------------------------------------------------------------

    @api.model
    def _cron_delete_expired(self, batch_size=RETENTION_BATCH):
        """Delete the finished runs older than their workflow's retention period (failed runs:
        the failed-run period), ``batch_size`` runs per query; return how many were deleted."""
        self.env.flush_all()
        deleted = 0
        # Only workflows that have runs: archived ones keep their history under the same rules.
        workflows = self.env["workflow.workflow"].with_context(active_test=False).sudo().search(
            [("run_ids", "!=", False)]
        )
        now = fields.Datetime.now()
        for workflow in workflows:
            company = workflow.company_id or self.env.company
            kept_days = workflow.retention_days or company.workflow_run_retention_days
            kept_failed_days = workflow.failed_retention_days or company.workflow_failed_run_retention_days
            if kept_days:
                deleted += self._delete_in_batches(
                    workflow, ("success", "partial", "skipped"), now - timedelta(days=kept_days), batch_size
                )
            if kept_failed_days:
                deleted += self._delete_in_batches(
                    workflow, ("failed",), now - timedelta(days=kept_failed_days), batch_size
                )
        return deleted

    @api.model
    def _delete_in_batches(self, workflow, states, before, batch_size):
        deleted = 0
        while True:
            # Action runs go with their run (ON DELETE CASCADE).
            self.env.cr.execute(
                """
                DELETE FROM workflow_run
                 WHERE id IN (SELECT id FROM workflow_run
                               WHERE workflow_id = %s AND state IN %s AND create_date < %s
                               LIMIT %s)
                """,
                [workflow.id, states, before, batch_size],
            )
            deleted += self.env.cr.rowcount
            if self.env.cr.rowcount < batch_size:
                break
        if deleted:
            self.env.invalidate_all()
        return deleted

    def _wake_queue(self):
        """Have these pending runs executed once this transaction commits (a rollback cancels
        it), each not before its ``next_attempt_at``: by the built-in queue's cron, or by a
        queue_job job each."""
        cron_runs = self
        if "queue.job" in self.env:
            job_runs = self.filtered(lambda run: run.queue_backend == "queue_job")
            job_runs._enqueue_jobs()
            cron_runs -= job_runs
        waits = [run.next_attempt_at for run in cron_runs if run.next_attempt_at]
        flags = self.env.cr.precommit.data
        # One trigger per transaction is enough for the runs due at once.
        woken_now = len(waits) == len(cron_runs) or flags.get("workflow_engine.queue_woken")
        if woken_now and not waits:
            return
        cron = self.env.ref(QUEUE_CRON_XMLID).sudo()
        if waits:
            cron._trigger(min(waits))
        if not woken_now:
            flags["workflow_engine.queue_woken"] = True
            cron._trigger()

    def _enqueue_jobs(self):
        """Queue one OCA queue_job job per run, on the workflow channel, to start at the run's
        ``next_attempt_at`` (at once when empty)."""
        if not self:
            return
        channels = self.env["queue.job.channel"].sudo()
        if not channels.search_count([("complete_name", "=", QUEUE_JOB_CHANNEL)], limit=1):
            # Listed in queue_job's channels, where an administrator sets its removal interval.
            channels.create({
                "name": QUEUE_JOB_CHANNEL.split(".")[-1], "parent_id": self.env.ref("queue_job.channel_root").id,
            })
        for run in self:
            job = run.with_delay(
                channel=QUEUE_JOB_CHANNEL, eta=run.next_attempt_at or None, description=self.env._(
                    "Workflow run %(run)s of %(workflow)s", run=run.uuid, workflow=run.workflow_id.name
                ),
            )._execute_as_job()
            run.job_uuid = job.uuid

    def _execute_as_job(self):
        """The OCA queue_job job of these runs: the built-in queue's claim and execution. A run
        already claimed or finished by then is left alone: a job performed twice runs nothing
        twice. A run not due yet (its job was started by hand too early) gets a job for later."""
        run_ids = self._claim(len(self), run_ids=self.ids)
        self._execute_claimed(run_ids)
        now = fields.Datetime.now()
        left = self.sudo().browse(set(self.ids) - set(run_ids))
        # Claims and executions committed elsewhere: what this transaction cached is stale.
        left.invalidate_recordset(["state", "next_attempt_at"])
        early = left.filtered(
            lambda run: run.state == "pending" and run.next_attempt_at and run.next_attempt_at > now
        )
        early._enqueue_jobs()
        return self.env._(
            "%(executed)s run(s) executed, %(skipped)s no longer pending, %(early)s not due yet.",
            executed=len(run_ids), skipped=len(self) - len(run_ids) - len(early), early=len(early),
        )
