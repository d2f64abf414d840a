"""The built-in queue of runs: the cron's entry point, claims, stale runs, rate limits, heartbeats,
retries after a failure or a database conflict, and the wake-up of the queue's workers."""

import logging
from datetime import timedelta

import psycopg2
from psycopg2.errors import DeadlockDetected

from odoo import SUPERUSER_ID, api, fields, models
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY

from ..engine import runstate
from .workflow_run import RUN_LOGGER

_logger = logging.getLogger(RUN_LOGGER)

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


class WorkflowRun(models.Model):
    _inherit = "workflow.run"

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
            "WHERE (state = 'pending' AND (next_attempt_at IS NULL OR next_attempt_at <= %s)) "
            "OR (state = 'waiting' AND next_attempt_at <= %s)",
            [fields.Datetime.now()] * 2,
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
            # Rate limits count the runs that start: a waiting run started before.
            runs = runs._delay_over_rate_limits(now)
            if len(runs) < limit:
                # Waiting runs are looked up apart, by their own index: they can be many, few of them due.
                cr.execute(
                    f"""
                    SELECT id FROM workflow_run
                     WHERE state = 'waiting' AND next_attempt_at <= %s {scope}
                     ORDER BY next_attempt_at, id
                     LIMIT %s
                       FOR UPDATE SKIP LOCKED
                    """,  # noqa: S608 - scope is one of two constant clauses
                    [now, scope_arg, limit - len(runs)],
                    log_exceptions=False,
                )
                runs |= runs.browse(row[0] for row in cr.fetchall())
            if runs:
                # A resumed run goes on with the attempt it waited in.
                cr.execute(
                    """
                    UPDATE workflow_run
                       SET attempt = CASE WHEN state = 'waiting' THEN attempt ELSE COALESCE(attempt, 0) + 1 END,
                           state = 'running', claimed_at = %s, started_at = COALESCE(started_at, %s)
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

    def _retry_later(self, log):
        """After the failed action of ``log`` stopped this queued run: queue it again after a
        backoff and return True when the failure is temporary and retries are left."""
        workflow = self.workflow_id
        delay = runstate.retry_delay(log.get("retryable"), self.retry_count, workflow.max_retries,
                                     workflow.retry_delay_seconds)
        if delay is None:
            return False
        until = fields.Datetime.now() + timedelta(seconds=delay)
        self.write({
            "state": "pending",
            "retry_count": self.retry_count + 1,
            "next_attempt_at": until,
            "claimed_at": False,
            "error": f"{log['name']}: {log['error']}",
            "error_code": log["error_code"],
            "wait_reason": self.env._(
                "Attempt %(attempt)s failed; retry %(retry)s of %(max)s at %(until)s UTC.",
                attempt=self.attempt, retry=self.retry_count + 1, max=workflow.max_retries,
                until=until.replace(microsecond=0),
            ),
        })
        self._wake_queue()
        return True

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
        # By its cached id: env.ref would look the cron up in the database on every event.
        cron = self.env["ir.cron"].sudo().browse(self.env["ir.model.data"]._xmlid_to_res_id(QUEUE_CRON_XMLID))
        if waits:
            cron._trigger(min(waits))
        if not woken_now:
            flags["workflow_engine.queue_woken"] = True
            cron._trigger()
