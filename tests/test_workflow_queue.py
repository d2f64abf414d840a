import ast
import json
from contextlib import contextmanager
from datetime import timedelta

from odoo import Command, fields, tools
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged

from .common import QueueCase, example_1_values, start_webhook_receiver


@tagged("post_install", "-at_install")
class TestWorkflowQueue(QueueCase):
    """The queued mode within one test transaction: the queue's own transactions are
    savepoints of it (the registry's test mode), so every step can be checked."""

    queue_backend = "cron"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        start_webhook_receiver(cls)
        cls.queue_cron = cls.env.ref("workflow_engine.ir_cron_workflow_run_queue")

    def _queued(self, event="queue.test", actions=None, **values):
        """A queued workflow on the custom event ``event`` that notes the payload's ``n``."""
        return self.Workflow.create(dict({
            "name": f"Queued {event}",
            "execution_mode": "queued",
            "queue_backend": self.queue_backend,
            "trigger_ids": [Command.create({"event_type": "custom", "custom_event": event})],
            "action_ids": actions or [
                Command.create({"name": "Note", "ordering": 1, "action_type": "add_note",
                                "config": {"note": "Queued note {{n}}"}}),
            ],
        }, **values))

    def _notes(self, record, text):
        return record.message_ids.filtered(lambda message: text in (message.body or ""))

    @contextmanager
    def _recorded_queries(self):
        """The queries the ``with`` block runs, recorded as Odoo's assertQueries records them."""
        yield from self._patchExecute([])

    def _wake_count(self):
        """How many times the queue was asked to run."""
        return self.env["ir.cron.trigger"].search_count([("cron_id", "=", self.queue_cron.id)])

    def _make_due(self, runs):
        """Time passes: the waits of ``runs`` are over, and their starts a minute older."""
        runs.flush_recordset()
        self.env.cr.execute(
            "UPDATE workflow_run SET next_attempt_at = %s, started_at = started_at - interval '61 minutes' "
            "WHERE workflow_id IN %s",
            [fields.Datetime.now() - timedelta(seconds=1), tuple(runs.workflow_id.ids)],
        )
        self.env.invalidate_all()

    # --- queued runs ---------------------------------------------------------------------------

    def test_an_event_queues_a_pending_run_that_the_woken_queue_executes(self):
        workflow = self.Workflow.with_user(self.manager).create(
            example_1_values(execution_mode="queued", queue_backend=self.queue_backend)
        )
        wakes_before = self._wake_count()
        lead = self.env["crm.lead"].create({
            "name": "Queued lead", "type": "lead", "expected_revenue": 90000, "email_from": "a@b.example.com",
        })
        run = workflow.run_ids
        self.assertEqual((run.state, run.res_id, run.user_id, run.action_run_ids), ("pending", lead.id, self.manager,
                                                                                    self.env["workflow.action.run"]))
        self.assertNotEqual(lead.priority, "3", "nothing ran in the transaction of the change")
        self.assertEqual(self._wake_count(), wakes_before + 1, "the queue is woken, effective when the change commits")
        self.assertEqual(self._drain(), 1)
        self.assertEqual((run.state, run.attempt, run.error), ("success", 1, False))
        self.assertEqual(run.action_run_ids.mapped("state"), ["success", "success"])
        self.assertEqual(run.action_run_ids.mapped("attempt"), [1, 1])
        self.assertTrue(run.started_at and run.finished_at and run.duration_ms > 0)
        self.assertEqual(lead.priority, "3")
        note = self._notes(lead, "Qualified: 90000")
        self.assertEqual(note.author_id, self.manager.partner_id, "the actions ran as the run-as user")
        self.assertEqual(self._process(), 0, "a run is executed once")

    def test_a_manual_execution_of_a_queued_workflow_is_pending_until_the_queue_runs_it(self):
        workflow = self._queued()
        run = workflow.execute("crm.lead", self.lead.id, {"n": 7})
        self.assertEqual(run.state, "pending")
        self._drain()
        self.assertEqual(run.state, "success")
        self.assertEqual(len(self._notes(self.lead, "Queued note 7")), 1)

    def test_a_run_whose_model_is_not_installed_fails_and_touches_no_record_with_its_id(self):
        workflow = self._queued()
        partner = self.env["res.partner"].create({"name": "Shares an id"})
        run = workflow.execute("crm.lead", self.lead.id, {"n": 3})
        # The module of the run's model was uninstalled while the run waited in the queue.
        run.flush_recordset()
        self.env.cr.execute(
            "UPDATE workflow_run SET res_model = 'x_uninstalled.model', res_id = %s WHERE id = %s", [partner.id, run.id]
        )
        self.env.invalidate_all()
        self.assertEqual(self._drain(), 1)
        self.assertEqual((run.state, run.error_code), ("failed", "model_not_installed"))
        self.assertIn("x_uninstalled.model", run.error)
        self.assertFalse(self._notes(partner, "Queued note 3"), "no partner stood in for the record")
        with self.assertRaisesRegex(UserError, "x_uninstalled.model"):
            run.action_open_record()

    def test_the_chain_depth_limit_holds_across_queued_runs(self):
        self.env["ir.config_parameter"].set_param("workflow_engine.max_chain_depth", 3)
        # Each note is a timeline event that starts the workflow again: a loop.
        workflow = self.Workflow.create({
            "name": "Echo", "execution_mode": "queued", "queue_backend": self.queue_backend,
            "trigger_ids": [Command.create({"event_type": "timeline.event"})],
            "action_ids": [Command.create({"name": "Echo", "action_type": "add_note", "config": {"note": "Echo"}})],
        })
        self.lead.message_post(body="Start", message_type="comment", subtype_xmlid="mail.mt_note")
        self._drain()
        runs = workflow.run_ids.sorted("id")
        self.assertEqual(runs.mapped("depth"), [0, 1, 2, 3])
        self.assertEqual(runs.mapped("state"), ["success", "success", "success", "failed"])
        self.assertEqual(runs[-1].error_code, "chain_too_deep")

    def test_a_stale_running_run_is_queued_again_and_completes(self):
        workflow = self._queued()
        stale, live = workflow.execute("crm.lead", self.lead.id, {"n": 1}), workflow.execute(
            "crm.lead", self.lead.id, {"n": 2})
        now = fields.Datetime.now()
        stale.sudo().write({"state": "running", "claimed_at": now - timedelta(minutes=20), "attempt": 1})
        live.sudo().write({"state": "running", "claimed_at": now, "attempt": 1})
        self.env.flush_all()
        self.assertEqual(self._process(worker_timeout=600), 1)
        self.env.invalidate_all()
        self.assertEqual((stale.state, stale.attempt), ("success", 2))
        self.assertEqual(live.state, "running", "a worker that reported recently is still at work")

    # --- runs executed together ------------------------------------------------------------------

    def _batch_workflow(self):
        return self._queued(event="queue.batch", actions=[
            Command.create({"name": "Priority", "ordering": 1, "action_type": "update_field",
                            "config": {"field": "priority", "value": "{{p}}"}}),
            Command.create({"name": "Note", "ordering": 2, "action_type": "add_note",
                            "config": {"note": "Batch note {{lead.name}}"}}),
        ])

    def _batch_leads(self, count):
        return self.env["crm.lead"].create([{"name": f"Batch lead {index}", "type": "lead"} for index in range(count)])

    def test_runs_of_one_workflow_execute_together_and_a_failure_stays_with_its_run(self):
        workflow = self._batch_workflow()
        leads = self._batch_leads(6)
        runs = self.Run.browse()
        for lead in leads:
            runs |= workflow.execute("crm.lead", lead.id, {"p": "9" if lead == leads[3] else "2"})
        self.assertEqual(self._drain(), 6)
        good, bad = runs - runs[3], runs[3]
        self.assertEqual(good.mapped("state"), ["success"] * 5)
        self.assertEqual(leads.mapped("priority"), ["2", "2", "2", "0", "2", "2"],
                         "the failed update undid nothing else")
        for run, lead in zip(good, leads - leads[3], strict=True):
            update, note = run.action_run_ids.sorted("ordering")
            self.assertEqual(
                (update.state, update.output["ids"], update.output["old_value"], update.output["new_value"]),
                ("success", [lead.id], "0", "2"),
            )
            self.assertEqual(note.output["message_ids"], self._notes(lead, f"Batch note {lead.name}").ids)
            self.assertGreater(update.duration_ms, 0)
        self.assertEqual(bad.state, "failed")
        self.assertIn("'9' is not a value of priority", bad.error)
        self.assertEqual(bad.action_run_ids.sorted("ordering").mapped("state"), ["failed", "skipped"])
        self.assertFalse(self._notes(leads[3], "Batch note"), "the failed run stopped at its failed action")

    def test_a_batch_of_runs_costs_a_few_queries_more_than_one_run(self):
        if self.queue_backend != "cron":
            self.skipTest("a queue_job job executes the run it was queued for: there is no batch")
        workflow = self._batch_workflow()
        leads = self._batch_leads(21)
        workflow.execute("crm.lead", leads[0].id, {"p": "2"})
        self.env.flush_all()
        queries_before = self.cr.sql_log_count
        self.assertEqual(self._drain(), 1)
        one_run = self.cr.sql_log_count - queries_before
        for lead in leads[1:]:
            workflow.execute("crm.lead", lead.id, {"p": "2"})
        self.env.flush_all()
        queries_before = self.cr.sql_log_count
        self.assertEqual(self._drain(), 20)
        twenty_runs = self.cr.sql_log_count - queries_before
        # Run by run, twenty runs would cost twenty times as many.
        self.assertLess(twenty_runs, 2 * one_run, f"1 run: {one_run} queries, 20 runs: {twenty_runs}")
        self.assertEqual(workflow.run_ids.mapped("state"), ["success"] * 21)
        self.assertEqual(set(leads.mapped("priority")), {"2"})

    def test_runs_of_different_run_as_users_execute_apart_each_with_its_own_rights(self):
        def noting_workflow(user, note):
            return self.Workflow.with_user(user).create({
                "name": note, "execution_mode": "queued", "queue_backend": self.queue_backend,
                "trigger_ids": [Command.create({"event_type": "custom", "custom_event": "queue.users"})],
                "action_ids": [Command.create({"name": "Note", "action_type": "add_note", "config": {"note": note}})],
            })

        manager_workflow = noting_workflow(self.manager, "By manager")
        admin_workflow = noting_workflow(self.admin, "By admin")
        self.env["workflow.workflow"].emit_event("queue.users", {}, self.lead)
        self.assertEqual(self._drain(), 2)
        self.assertEqual((manager_workflow.run_ids.state, admin_workflow.run_ids.state), ("success", "success"))
        self.assertEqual(self._notes(self.lead, "By manager").author_id, self.manager.partner_id)
        self.assertEqual(self._notes(self.lead, "By admin").author_id, self.admin.partner_id)

    # --- retries ---------------------------------------------------------------------------------

    def _webhook_workflow(self, status, **values):
        return self._queued(actions=[
            Command.create({"name": "Note", "ordering": 1, "action_type": "add_note",
                            "config": {"note": "Before {{n}}"}}),
            Command.create({"name": "Hook", "ordering": 2, "action_type": "call_webhook",
                            "config": {"url": f"{self.url}/status/{status}", "body": {"n": "{{n}}"}}}),
            Command.create({"name": "After", "ordering": 3, "action_type": "update_field",
                            "config": {"field": "priority", "value": "2"}}),
        ], **values)

    def test_a_temporary_failure_is_retried_with_backoff_then_fails_and_retry_resumes_at_the_failed_action(self):
        workflow = self._webhook_workflow(503, max_retries=2, retry_delay_seconds=10)
        self.server.received.clear()
        run = workflow.execute("crm.lead", self.lead.id, {"n": 1})
        self._drain()
        self.assertEqual((run.state, run.retry_count), ("pending", 1))
        self.assertAlmostEqual(run.next_attempt_at, fields.Datetime.now() + timedelta(seconds=10),
                               delta=timedelta(seconds=5))
        self.assertIn("retry 1 of 2", run.wait_reason)
        self.assertEqual(self._process(), 0, "the run waits for its backoff")

        self._make_due(run)
        self._drain()
        self.assertEqual((run.state, run.retry_count), ("pending", 2))
        self.assertAlmostEqual(run.next_attempt_at, fields.Datetime.now() + timedelta(seconds=20),
                               delta=timedelta(seconds=5), msg="the wait doubles")
        self._make_due(run)
        self._drain()
        self.assertEqual(run.state, "failed")
        self.assertIn("HTTP 503", run.error)
        logs = run.action_run_ids.sorted(lambda log: (log.attempt, log.ordering))
        self.assertEqual(
            [(log.name, log.attempt, log.state) for log in logs],
            [("Note", 1, "success"), ("Hook", 1, "failed"), ("Hook", 2, "failed"), ("Hook", 3, "failed"),
             ("After", 3, "skipped")],
        )
        self.assertTrue(all(log.retryable for log in logs if log.state == "failed"))
        keys = {request["headers"]["Idempotency-Key"] for request in self.server.received}
        self.assertEqual(keys, {f"{run.uuid}:{workflow.action_ids[1].id}"}, "every retry carries the same key")
        failed_runs = self.env.ref("workflow_engine.workflow_run_action_failed")
        self.assertIn(run, self.Run.search(ast.literal_eval(failed_runs.domain)))

        workflow.action_ids[1].config = {"url": f"{self.url}/status/200"}
        run.with_user(self.manager).action_retry()
        self.assertEqual(run.state, "pending")
        self._drain()
        self.assertEqual(run.state, "success")
        self.assertEqual(len(self._notes(self.lead, "Before 1")), 1, "the action that succeeded is not run again")
        self.assertEqual(self.lead.priority, "2")
        self.assertEqual(run.action_run_ids.filtered(lambda log: log.attempt == 4).mapped("name"), ["Hook", "After"])

    def test_a_permanent_failure_fails_the_run_at_once(self):
        run = self._webhook_workflow(400).execute("crm.lead", self.lead.id, {"n": 1})
        self._drain()
        self.assertEqual((run.state, run.retry_count, run.attempt), ("failed", 0, 1))
        self.assertFalse(run.action_run_ids.filtered(lambda log: log.state == "failed").retryable)

    def test_retry_is_for_managers_and_failed_runs(self):
        run = self._webhook_workflow(400).execute("crm.lead", self.lead.id, {"n": 1})
        self._drain()
        with self.assertRaises(AccessError):
            run.with_user(self.user).action_retry()
        done = self._queued().execute("crm.lead", self.lead.id, {"n": 2})
        self._drain()
        with self.assertRaisesRegex(UserError, "Only failed runs can be retried"):
            done.with_user(self.manager).action_retry()

    # --- duplicates ------------------------------------------------------------------------------

    def test_an_event_key_is_the_database_secret_s_signature_as_tools_hmac_makes_it(self):
        # Keys stored before 18.0.1.7.0 were made by tools.hmac: a duplicate window that spans an
        # upgrade still knows its events.
        workflow = self._queued()
        keys = {"n": 1, "on": fields.Date.today()}
        identity = json.dumps([workflow.id, "queue.test", "crm.lead", self.lead.id, keys], sort_keys=True, default=str)
        signed = tools.hmac(self.env(su=True), "workflow_engine.event_key", identity)
        secret = self.env["ir.config_parameter"].sudo().get_param("database.secret")
        event_identity = self.Run._event_identity("queue.test", self.lead, keys)
        self.assertEqual(self.Run._event_key(workflow, event_identity, secret), f"event:{signed[:40]}")

    def test_a_repeated_event_within_the_window_starts_no_second_run(self):
        workflow = self._queued(duplicate_window_minutes=10)
        emit = self.Workflow.emit_event
        first = emit("queue.test", {"n": 1}, self.lead)
        self.assertEqual(emit("queue.test", {"n": 1}, self.lead), self.Run, "the same event again is a duplicate")
        self.assertEqual(len(emit("queue.test", {"n": 2}, self.lead)), 1, "other values are another event")
        self.assertEqual(len(emit("queue.test", {"n": 1}, self.lead | self.lead.copy())), 1)
        self.assertEqual(workflow.duplicate_count, 2)
        self.assertTrue(first.idempotency_key.startswith("event:"))

        workflow.run_ids.flush_recordset()
        self.env.cr.execute(
            "UPDATE workflow_run SET create_date = create_date - interval '11 minutes' WHERE workflow_id = %s",
            [workflow.id],
        )
        self.assertEqual(len(emit("queue.test", {"n": 1}, self.lead)), 1, "past the window, the event runs again")
        workflow.duplicate_window_minutes = 0
        self.assertEqual(len(emit("queue.test", {"n": 1}, self.lead)), 1, "a window of 0 turns detection off")
        repeated = self.Run.sudo()._insert(
            [{"workflow_id": workflow.id, "idempotency_key": "event:repeated"} for _copy in range(2)],
            duplicate_since=fields.Datetime.now() - timedelta(minutes=10),
        )
        self.assertEqual((len(repeated), repeated.state), (1, "pending"), "an event repeated in one batch runs once")

    def test_a_creation_event_is_never_a_duplicate_and_is_not_looked_up(self):
        workflow = self._queued(duplicate_window_minutes=10)
        workflow.trigger_ids = [Command.create({"event_type": "lead.created"})]
        with self._recorded_queries() as creation_queries:
            lead = self.env["crm.lead"].create({"name": "Created once", "type": "lead"})
        self.assertEqual(workflow.run_ids.res_id, lead.id)
        with self._recorded_queries() as custom_queries:
            self.Workflow.emit_event("queue.test", {"n": 1}, lead)
        self.assertEqual(len(workflow.run_ids), 2)

        def duplicate_lookups(queries):
            return [query for query in queries if "FROM workflow_run WHERE idempotency_key" in query]

        self.assertFalse(duplicate_lookups(creation_queries), "the key names a record created just now")
        self.assertEqual(len(duplicate_lookups(custom_queries)), 1, "another event may repeat an earlier one")

    # --- rate limits -----------------------------------------------------------------------------

    def test_runs_over_the_per_minute_limit_wait_in_the_queue(self):
        workflow = self._queued(max_runs_per_minute=2)
        for n in range(5):
            workflow.execute("crm.lead", self.lead.id, {"n": n})
        self.assertEqual(self._process(), 2)
        self.env.invalidate_all()
        runs = workflow.run_ids.sorted("id")
        self.assertEqual(runs.mapped("state"), ["success"] * 2 + ["pending"] * 3)
        waiting = runs[2:]
        self.assertTrue(all("2 runs per minute" in run.wait_reason for run in waiting), waiting.mapped("wait_reason"))
        self.assertTrue(all(run.next_attempt_at > fields.Datetime.now() for run in waiting))
        self.assertEqual(self._process(), 0, "delayed, not dropped: they wait")

        self._make_due(runs)
        self.assertEqual(self._process(), 2)
        self._make_due(runs)
        self._drain()
        self.assertEqual(runs.mapped("state"), ["success"] * 5)
        self.assertIn("2 runs per minute", runs[4].wait_reason, "the run log keeps why the run waited")

    def test_runs_over_the_per_record_limit_wait_an_hour(self):
        workflow = self._queued(max_runs_per_record_per_hour=1)
        other = self.lead.copy()
        first, second = (workflow.execute("crm.lead", self.lead.id, {"n": n}) for n in (1, 2))
        elsewhere = workflow.execute("crm.lead", other.id, {"n": 3})
        self._drain()
        self.assertEqual((first.state, second.state, elsewhere.state), ("success", "pending", "success"))
        self.assertIn("1 runs per hour", second.wait_reason)
        self.assertAlmostEqual(second.next_attempt_at, first.started_at + timedelta(hours=1),
                               delta=timedelta(seconds=2))

    # --- settings, retention, monitoring ---------------------------------------------------------------

    def test_the_queue_job_backend_needs_queue_job_and_its_runs_never_wait_for_it_in_vain(self):
        if "queue.job" in self.env:
            self.assertEqual(self._queued(queue_backend="queue_job").queue_backend, "queue_job")
            return
        with self.assertRaisesRegex(ValidationError, "queue_job module is not installed"):
            self._queued(queue_backend="queue_job")
        # A run queued for queue_job before it was uninstalled: the built-in queue executes it.
        run = self._queued().execute("crm.lead", self.lead.id, {"n": 4})
        run.sudo().queue_backend = "queue_job"
        self._drain()
        self.assertEqual(run.state, "success")

    def test_queue_settings_cannot_be_negative(self):
        with self.assertRaisesRegex(ValidationError, "Maximum Retries|Max Retries"):
            self._queued(max_retries=-1)

    def _runs_aged(self, workflow, ages_and_states):
        runs = self.Run.sudo().create([
            {"workflow_id": workflow.id, "state": state, "res_model": "crm.lead", "res_id": self.lead.id,
             "duration_ms": 10.0}
            for _days, state in ages_and_states
        ])
        runs.flush_recordset()
        for run, (days, _state) in zip(runs, ages_and_states, strict=True):
            self.env.cr.execute(
                "UPDATE workflow_run SET create_date = %s WHERE id = %s",
                [fields.Datetime.now() - timedelta(days=days), run.id],
            )
        self.env.invalidate_all()
        return runs

    def test_retention_deletes_old_runs_in_batches_and_keeps_failed_ones_longer(self):
        workflow = self._queued(retention_days=10, failed_retention_days=30)
        defaulted = self._queued(event="other")
        self.env.company.workflow_run_retention_days = 100
        runs = self._runs_aged(workflow, [
            (5, "success"), (15, "success"), (15, "partial"), (40, "skipped"), (15, "failed"), (40, "failed"),
            (40, "pending"),
        ])
        defaulted_runs = self._runs_aged(defaulted, [(50, "success"), (150, "success")])
        logs = self.env["workflow.action.run"].sudo().create([
            {"run_id": run.id, "name": "Logged", "action_type": "add_note", "state": "success"}
            for run in runs[:2]
        ])
        deleted = self.Run._cron_delete_expired(batch_size=2)
        self.assertEqual(deleted, 5)
        self.assertEqual(runs.exists(), runs[0] | runs[4] | runs[6])
        self.assertEqual(logs.exists(), logs[0], "the action runs went with their run")
        self.assertEqual(defaulted_runs.exists(), defaulted_runs[0], "the company's default applies")

    def test_statistics_count_the_outcomes_and_time_the_runs(self):
        workflow = self._queued()
        runs = self.Run.sudo().create([
            {"workflow_id": workflow.id, "state": state, "duration_ms": float(duration)}
            for state, duration in [("success", 10), ("success", 20), ("partial", 30), ("failed", 40),
                                    ("skipped", 0), ("pending", 0)]
        ])
        old = self._runs_aged(workflow, [(45, "failed")])
        self.assertTrue(runs and old)
        workflow.invalidate_recordset()
        self.assertEqual((workflow.success_count, workflow.partial_count, workflow.failed_count), (2, 1, 1))
        self.assertEqual(workflow.failed_run_count, 2, "the all-time counter still counts every run")
        self.assertAlmostEqual(workflow.avg_duration_ms, 25.0)
        self.assertAlmostEqual(workflow.p95_duration_ms, 38.5)
        statistics = workflow.with_user(self.user).get_run_statistics(days=60)[workflow.id]
        self.assertEqual(
            {key: statistics[key] for key in ("run_count", "success_count", "failed_count", "pending_count")},
            {"run_count": 7, "success_count": 2, "failed_count": 2, "pending_count": 1},
        )
        with self.assertRaisesRegex(UserError, "positive whole number"):
            workflow.get_run_statistics(days=0)
