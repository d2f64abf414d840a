import logging
import threading
import time
from contextlib import contextmanager

import psycopg2

from odoo import SUPERUSER_ID, Command, fields
from odoo.sql_db import connection_info_for
from odoo.tests import tagged
from odoo.tests.common import get_db_name

from .common import CommittingCase

RUN_COUNT = 2000
WAITING_RUN_COUNT = 400
WORKER_DEADLINE = 300
"""Seconds after which a test gives up on its workers: a hang fails instead of blocking the suite."""


@contextmanager
def _records_of(logger_name, level):
    """The records of at least ``level`` that ``logger_name`` logs in any thread meanwhile
    (assertLogs sees only the records that reach it, and fails when there are none)."""
    records = []
    handler = logging.Handler(level)
    handler.emit = records.append
    logger = logging.getLogger(logger_name)
    logger.addHandler(handler)
    try:
        yield records
    finally:
        logger.removeHandler(handler)


@tagged("post_install", "-at_install")
class TestQueueWorkers(CommittingCase):
    """The queue as servers run it: real transactions that commit, concurrent workers on
    connections of their own, and a worker whose database connection is killed."""

    queue_backend = "cron"

    def setUp(self):
        super().setUp()
        self.thread_errors = []
        with self._env() as env:
            self.lead_id = env["crm.lead"].create({"name": "QTEST queue lead", "type": "lead"}).id
            self.workflow_id = env["workflow.workflow"].create({
                "name": "Queue workers", "execution_mode": "queued", "duplicate_window_minutes": 0,
                "queue_backend": self.queue_backend,
                "trigger_ids": [
                    Command.create({"event_type": "lead.created",
                                    "conditions": {"field": "name", "operator": "startswith", "value": "QTEST run"}}),
                    Command.create({"event_type": "custom", "custom_event": "queue.workers"}),
                ],
                "action_ids": [
                    Command.create({"name": "First", "ordering": 1, "action_type": "add_note",
                                    "config": {"note": "First {{n}} of {{record.name}}"}}),
                    Command.create({"name": "Second", "ordering": 2, "action_type": "add_note",
                                    "config": {"note": "Second {{n}} of {{record.name}}"}}),
                ],
            }).id
        self.addCleanup(self._remove_committed_data)

    def _remove_committed_data(self):
        with self._env() as env:
            env["workflow.workflow"].browse(self.workflow_id).unlink()
            env["crm.lead"].search([("name", "=like", "QTEST%")]).unlink()

    def _runs(self, env):
        return env["workflow.run"].search([("workflow_id", "=", self.workflow_id)])

    def _worker(self, processed, limit=50):
        """A queue worker: it executes due runs until none is left, and appends to ``processed``
        how many it took each time."""
        while True:
            with self._env() as env:
                claimed = env["workflow.run"]._process_queue(limit=limit)
            if not claimed:
                return
            processed.append(claimed)

    def _in_thread(self, target, *args):
        """A thread running ``target(*args)``; what it raises fails the test at ``_join``."""
        def run():
            try:
                target(*args)
            except Exception as exc:  # noqa: BLE001 - reported by _join
                self.thread_errors.append(exc)
                raise

        thread = threading.Thread(target=run)
        thread.start()
        return thread

    def _join(self, threads):
        for thread in threads:
            thread.join(WORKER_DEADLINE)
        self.assertFalse(any(thread.is_alive() for thread in threads), "the workers finished in time")
        self.assertEqual(self.thread_errors, [], "no worker failed")

    def _wake_count(self, env):
        """How many times the queue was asked to run."""
        cron = env.ref("workflow_engine.ir_cron_workflow_run_queue")
        return env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)])

    def _notes(self, env, prefix):
        return env["mail.message"].search_count([
            ("model", "=", "crm.lead"), ("res_id", "=", self.lead_id), ("body", "like", prefix),
        ])

    def test_a_rolled_back_change_leaves_no_run_and_a_committed_one_runs_once(self):
        with self._env() as env:
            # A lead carries no n: its creation is noted under its name only.
            env["workflow.action"].search([("workflow_id", "=", self.workflow_id)]).write({
                "config": {"note": "Noted {{record.name}}"},
            })
        with self._env() as env:
            wakes = self._wake_count(env)
            env["crm.lead"].create({"name": "QTEST run rolled back", "type": "lead"})
            self.assertEqual(len(self._runs(env)), 1)
            env.cr.rollback()
        with self._env() as env:
            self.assertFalse(self._runs(env), "the run went with the change")
            self.assertEqual(self._wake_count(env), wakes, "nor was the queue woken")
            env["crm.lead"].create({"name": "QTEST run committed", "type": "lead"})
        with self._env() as env:
            run = self._runs(env)
            self.assertEqual(run.state, "pending")
            self.assertEqual(self._wake_count(env), wakes + 1, "the commit woke the queue")
        self._worker([])
        with self._env() as env:
            run = self._runs(env)
            self.assertEqual((run.state, run.attempt), ("success", 1))
            self.assertEqual(run.action_run_ids.mapped("state"), ["success", "success"])
            self.assertEqual(env["workflow.run"]._process_queue(), 0)

    def test_two_workers_drain_2000_runs_each_exactly_once(self):
        with self._env() as env:
            self._pending_runs(env, RUN_COUNT)._wake_queue()
        processed = [[], []]
        with _records_of("odoo.sql_db", logging.ERROR) as database_errors:
            self._join([self._in_thread(self._worker, claims) for claims in processed])
        self.assertEqual(
            [record.getMessage() for record in database_errors], [],
            "workers that meet on the queue are no error",
        )
        with self._env() as env:
            self._assert_each_run_done_once(env, processed, RUN_COUNT, actions=2)
            env.cr.execute(
                "SELECT count(*), count(DISTINCT body) FROM mail_message WHERE model = 'crm.lead' AND res_id = %s "
                "AND (body LIKE %s OR body LIKE %s)",
                [self.lead_id, "%First %", "%Second %"],
            )
            self.assertEqual(env.cr.fetchone(), (2 * RUN_COUNT, 2 * RUN_COUNT), "no note was written twice")

    def test_two_workers_resume_waiting_runs_each_exactly_once(self):
        with self._env() as env:
            # First, then a wait of an hour, then Second.
            env["workflow.action"].create({
                "workflow_id": self.workflow_id, "name": "Wait", "ordering": 1, "action_type": "wait",
                "config": {"duration": {"hours": 1}},
            })
            second = env["workflow.action"].search([("workflow_id", "=", self.workflow_id), ("name", "=", "Second")])
            second.ordering = 3
            self._pending_runs(env, WAITING_RUN_COUNT)._wake_queue()
        self._worker([])
        with self._env() as env:
            runs = self._runs(env)
            self.assertEqual(set(runs.mapped("state")), {"waiting"})
            self._make_waits_due(env, runs)
        processed = [[], []]
        self._join([self._in_thread(self._worker, claims) for claims in processed])
        with self._env() as env:
            self._assert_each_run_done_once(env, processed, WAITING_RUN_COUNT, actions=3)
            self.assertEqual(self._notes(env, "%Second %"), WAITING_RUN_COUNT, "no run was resumed twice")

    def test_a_run_whose_worker_is_killed_resumes_without_repeating_committed_actions(self):
        self._queue_a_run_that_writes_the_lead()
        with self._blocker_and_watcher() as (blocker, killer):
            # The lead is locked: the worker commits its first action, then waits on the second.
            blocker.cursor().execute("SELECT id FROM crm_lead WHERE id = %s FOR UPDATE", [self.lead_id])
            worker = self._in_thread(self._worker, [])
            waiting_pid = self._wait_for_lock_waiter(killer)
            killer.cursor().execute("SELECT pg_terminate_backend(%s)", [waiting_pid])
            blocker.rollback()
            self._join([worker])

        with self._env() as env:
            run = self._runs(env)
            self.assertEqual(run.state, "running", "the killed worker could not finish the run")
            self.assertEqual(run.action_run_ids.mapped("name"), ["First"], "the first action had committed")
        # The stale timeout is counted in whole seconds since the last heartbeat.
        time.sleep(1.1)
        with self._env() as env:
            env["workflow.run"]._requeue_stale(worker_timeout=0)
        processed = []
        self._worker(processed)
        self.assertEqual(sum(processed), 1)
        with self._env() as env:
            run = self._runs(env)
            self.assertEqual((run.state, run.attempt), ("success", 2))
            self.assertEqual(
                [(log.name, log.attempt, log.state) for log in run.action_run_ids.sorted("id")],
                [("First", 1, "success"), ("Second", 2, "success")],
            )
            self.assertEqual(self._notes(env, "%First 1%"), 1, "the committed action was not repeated")
            self.assertEqual(env["crm.lead"].browse(self.lead_id).priority, "2")

    def test_a_deadlock_is_reported_as_a_deadlock_and_the_run_tried_again(self):
        self._queue_a_run_that_writes_the_lead()
        with self._blocker_and_watcher() as (blocker, watcher):
            cursor = blocker.cursor()
            # The worker, waiting first, is the one whose deadlock check finds the cycle.
            cursor.execute("SET deadlock_timeout = '60s'")
            cursor.execute("SELECT id FROM crm_lead WHERE id = %s FOR UPDATE", [self.lead_id])
            with _records_of("odoo.addons.workflow_engine.models.workflow_run", logging.WARNING) as warnings:
                worker = self._in_thread(self._worker, [])
                self._wait_for_lock_waiter(watcher)
                # The worker holds its run's row (its heartbeat) and waits for the lead: wait for the row.
                cursor.execute("SELECT id FROM workflow_run WHERE workflow_id = %s FOR UPDATE", [self.workflow_id])
                blocker.rollback()
                self._join([worker])
        with self._env() as env:
            run = self._runs(env)
            self.assertEqual((run.state, run.error_code), ("pending", "deadlock"))
            self.assertIn("deadlock", run.wait_reason)
            self.assertIn("deadlock", run.error)
            self.assertEqual(run.action_run_ids.mapped("name"), ["First"], "the first action had committed")
            self.assertTrue(any("deadlock" in record.getMessage() for record in warnings), "and it was logged")
            wait = (run.next_attempt_at - fields.Datetime.now()).total_seconds()
        # Whatever the backend, the run is due when its wait is over.
        time.sleep(max(wait, 0) + 1)
        self._worker([])
        with self._env() as env:
            run = self._runs(env)
            self.assertEqual((run.state, run.error_code, run.attempt), ("success", False, 2))
            self.assertEqual(env["crm.lead"].browse(self.lead_id).priority, "2")

    def _queue_a_run_that_writes_the_lead(self):
        """One pending run: its first action notes on the lead, its second writes the lead."""
        with self._env() as env:
            env["workflow.action"].search([("workflow_id", "=", self.workflow_id), ("name", "=", "Second")]).write({
                "action_type": "update_field", "config": {"field": "priority", "value": "2"},
            })
            env["workflow.workflow"].emit_event("queue.workers", {"n": 1}, env["crm.lead"].browse(self.lead_id))

    def _pending_runs(self, env, count):
        """``count`` pending runs of the workflow on the lead, the payload's n numbering them."""
        return env["workflow.run"].create([
            {"workflow_id": self.workflow_id, "state": "pending", "event_type": "custom", "payload": {"n": n},
             "res_model": "crm.lead", "res_id": self.lead_id, "user_id": SUPERUSER_ID,
             "company_id": env.company.id, "queue_backend": self.queue_backend}
            for n in range(count)
        ])

    def _make_waits_due(self, env, runs):
        """The hour that ``runs`` wait is over: time moved forward, not slept through."""
        env.cr.execute(
            "UPDATE workflow_run SET next_attempt_at = next_attempt_at - interval '1 hour' WHERE id IN %s",
            [tuple(runs.ids)],
        )

    def _assert_each_run_done_once(self, env, processed, count, actions):
        """The ``count`` runs were claimed once in all by the two workers of ``processed``, both
        taking a share, and each ran its ``actions`` actions once, in its first attempt."""
        self.assertEqual(sum(map(sum, processed)), count, "every run was claimed once in all")
        self.assertTrue(all(processed), "both workers took a share")
        runs = self._runs(env)
        self.assertEqual(set(runs.mapped("state")), {"success"})
        self.assertEqual(set(runs.mapped("attempt")), {1})
        env.cr.execute(
            "SELECT count(*), count(DISTINCT (run_id, action_id)) FROM workflow_action_run WHERE run_id IN %s",
            [tuple(runs.ids)],
        )
        self.assertEqual(env.cr.fetchone(), (actions * count,) * 2, "each action ran once per run")

    @contextmanager
    def _blocker_and_watcher(self):
        """Two connections of their own to the test database: one to hold locks in a transaction,
        one in autocommit to watch (or end) the worker's backend."""
        dsn = connection_info_for(get_db_name())[1]
        blocker = psycopg2.connect(**dsn)
        watcher = psycopg2.connect(**dsn)
        watcher.autocommit = True
        try:
            yield blocker, watcher
        finally:
            blocker.close()
            watcher.close()

    def _wait_for_lock_waiter(self, connection):
        deadline = time.monotonic() + 60
        with connection.cursor() as cursor:
            while time.monotonic() < deadline:
                cursor.execute(
                    "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
                rows = cursor.fetchall()
                if rows:
                    return rows[0][0]
                time.sleep(0.05)
        self.fail("the worker never waited for the locked lead")
