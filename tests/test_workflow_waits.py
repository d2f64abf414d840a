from datetime import datetime, timedelta

from freezegun import freeze_time

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged

from .common import EXAMPLE_3_EXIT_CONDITIONS, QueueCase, example_3_values


@tagged("post_install", "-at_install")
class TestWorkflowWaits(QueueCase):
    """Wait steps, exit conditions and one active run per record, with time moved forward
    (freezegun) rather than slept through: the queue resumes what is due at the moment it looks."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["crm.tag"].create({"name": "nurture_track"})
        cls.stages = {stage.name: stage for stage in cls.env["crm.stage"].search([])}
        cls.nurture = cls.Workflow.with_user(cls.manager).create(example_3_values())

    def _new_lead(self, name="Curious visitor", **values):
        return self.env["crm.lead"].create(dict({
            "name": name, "type": "lead", "email_from": "visitor@example.com", "probability": 10,
            "user_id": self.manager.id, "stage_id": self.stages["New"].id,
        }, **values))

    def _run_of(self, workflow, lead):
        return workflow.run_ids.filtered(lambda run: run.res_id == lead.id)

    def _mails(self, lead, subject):
        """The e-mails posted on ``lead`` with ``subject`` (one message each, whatever its recipients)."""
        return lead.message_ids.filtered(lambda message: message.subject == subject)

    def _waiting_workflow(self, wait_config, **values):
        """A queued workflow on a custom event of its own (see _emit): a note, the wait, a note."""
        self.waiting_workflows = getattr(self, "waiting_workflows", 0) + 1
        return self.Workflow.with_user(self.manager).create(dict({
            "name": "Waits", "execution_mode": "queued", "duplicate_window_minutes": 0,
            "trigger_ids": [Command.create({"event_type": "custom",
                                            "custom_event": f"wait.test.{self.waiting_workflows}"})],
            "action_ids": [
                Command.create({"name": "Before", "ordering": 1, "action_type": "add_note",
                                "config": {"note": "Before the wait: {{record.name}}"}}),
                Command.create({"name": "Wait", "ordering": 2, "action_type": "wait", "config": wait_config}),
                Command.create({"name": "After", "ordering": 3, "action_type": "add_note",
                                "config": {"note": "After the wait: {{record.name}}"}}),
            ],
        }, **values))

    def _emit(self, workflow, lead):
        runs = workflow.with_user(self.manager).emit_event(workflow.trigger_ids.custom_event, {}, lead)
        self._drain()
        return runs

    def _notes(self, lead, text):
        return lead.message_ids.filtered(lambda message: text in (message.body or ""))

    # --- the design's Example 3 ----------------------------------------------------------------

    def test_example_3_track_runs_for_a_week_waiting_in_the_queue(self):
        start = fields.Datetime.now()
        with freeze_time(start):
            lead = self._new_lead()
            self._drain()
        run = self._run_of(self.nurture, lead)
        self.assertEqual(run.state, "waiting", run.action_run_ids.mapped("error"))
        self.assertEqual(lead.tag_ids.mapped("name"), ["nurture_track"])
        self.assertEqual(len(self._mails(lead, "Welcome, Curious visitor")), 1)
        wait = run.action_run_ids.filtered(lambda log: log.action_type == "wait")
        self.assertEqual(run.resume_at, start + timedelta(days=3))
        self.assertEqual(wait.output, {"resume_at": (start + timedelta(days=3)).isoformat()})
        self.assertIn("waiting until", run.wait_reason)

        with freeze_time(start + timedelta(days=2)):
            self.assertEqual(self._drain(), 0, "nothing is due before the three days are over")
        lead.name = "Curious visitor, renamed"
        with freeze_time(start + timedelta(days=3, minutes=1)):
            self.assertEqual(self._drain(), 1)
        self.assertEqual(run.state, "waiting")
        self.assertEqual(run.resume_at, start + timedelta(days=7, minutes=1))
        self.assertEqual(
            len(self._mails(lead, "Still interested, Curious visitor, renamed?")), 1,
            "the run resumed with the record as it is now, not as it was",
        )
        self.assertFalse(lead.activity_ids)

        with freeze_time(start + timedelta(days=7, minutes=2)):
            self.assertEqual(self._drain(), 1)
        self.assertEqual(run.state, "success")
        self.assertEqual(run.attempt, 1, "resuming after a wait is no new attempt")
        self.assertEqual(
            [(log.name, log.state) for log in run.action_run_ids.sorted("ordering")],
            [("Tag as nurture_track", "success"), ("First e-mail", "success"), ("Wait three days", "success"),
             ("Second e-mail", "success"), ("Wait four days", "success"), ("Follow-up task", "success")],
        )
        self.assertEqual(lead.activity_ids.summary, "Nurture follow-up: Curious visitor, renamed")
        self.assertEqual(lead.activity_ids.user_id, self.manager)

    def test_example_3_a_lead_won_during_the_first_wait_exits_the_track(self):
        start = fields.Datetime.now()
        with freeze_time(start):
            lead = self._new_lead()
            self._drain()
        run = self._run_of(self.nurture, lead)
        self.assertEqual(run.state, "waiting")
        lead.stage_id = self.stages["Won"]
        with freeze_time(start + timedelta(days=3, minutes=1)):
            self.assertEqual(self._drain(), 1)
        self.assertEqual(run.state, "exited")
        self.assertFalse(self._mails(lead, "Still interested, Curious visitor?"), "no second e-mail")
        self.assertFalse(lead.activity_ids)
        self.assertTrue(run.exit_explanation["result"])
        self.assertIn("stage_id.is_won", run.exit_summary)
        self.assertEqual(
            run.action_run_ids.filtered(lambda log: log.state == "skipped").mapped("name"),
            ["Second e-mail", "Wait four days", "Follow-up task"],
        )
        self.assertEqual(self.nurture.exited_count, 1)

    def test_a_lead_lost_during_a_wait_exits_too(self):
        with freeze_time(fields.Datetime.now()) as frozen:
            lead = self._new_lead()
            self._drain()
            lead.action_set_lost()
            frozen.tick(timedelta(days=3, minutes=1))
            self._drain()
        self.assertEqual(self._run_of(self.nurture, lead).state, "exited")

    # --- wait steps ----------------------------------------------------------------------------

    def test_a_resumed_run_whose_record_was_deleted_fails_saying_so(self):
        workflow = self._waiting_workflow({"duration": {"hours": 1}})
        lead = self._new_lead("Short-lived")
        with freeze_time(fields.Datetime.now()) as frozen:
            run = self._emit(workflow, lead)
            self.assertEqual(run.state, "waiting")
            lead_id = lead.id
            lead.unlink()
            frozen.tick(timedelta(hours=1, seconds=1))
            self._drain()
        # Nobody reads a record that no longer exists, nor its runs but the administrator.
        self.assertEqual(run.sudo().state, "failed")
        self.assertEqual(run.sudo().error, f"crm.lead record {lead_id} no longer exists.")

    def test_a_stopped_worker_changes_nothing_of_a_waiting_run(self):
        workflow = self._waiting_workflow({"duration": {"days": 1}})
        run = self._emit(workflow, self.lead)
        resume_at = run.resume_at
        # The stale reaper queues again the running runs of a dead worker: a waiting run has none.
        self._process(worker_timeout=0)
        self.env.invalidate_all()
        self.assertEqual((run.state, run.resume_at, run.attempt), ("waiting", resume_at, 1))
        with freeze_time(resume_at + timedelta(seconds=1)):
            self._drain()
        self.assertEqual(run.state, "success")
        self.assertEqual(len(self._notes(self.lead, "After the wait")), 1)
        self.assertEqual(len(self._notes(self.lead, "Before the wait")), 1, "nothing ran twice")

    def test_a_wait_until_a_rendered_date_at_a_time_of_day_across_a_daylight_saving_change(self):
        self.manager.tz = "Europe/Brussels"
        self.lead.date_deadline = "2026-03-29"
        workflow = self._waiting_workflow({"until": "{{record.date_deadline}}", "time_of_day": "09:00"})
        with freeze_time("2026-03-27 10:00:00"):
            run = self._emit(workflow, self.lead)
        # Brussels moves from UTC+1 to UTC+2 on that Sunday at 02:00: 09:00 there is 07:00 UTC.
        self.assertEqual(run.resume_at, datetime(2026, 3, 29, 7, 0))
        duration = self._waiting_workflow({"duration": {"days": 1}, "time_of_day": "09:00"})
        with freeze_time("2026-03-27 10:00:00"):
            # One day later is Saturday 11:00 local, past 09:00: Sunday 09:00 local, on summer time.
            run = self._emit(duration, self.lead)
        self.assertEqual(run.resume_at, datetime(2026, 3, 29, 7, 0))
        with freeze_time("2026-03-20 10:00:00"):
            run = self._emit(duration, self.lead)
        self.assertEqual(run.resume_at, datetime(2026, 3, 22, 8, 0), "09:00 local on winter time is 08:00 UTC")

    def test_a_wait_needs_the_queued_execution_mode(self):
        with self.assertRaisesRegex(ValidationError, r"actions\[1\]: a wait needs the queued execution mode"):
            self.Workflow.with_user(self.manager).create({
                "name": "Immediate wait", "execution_mode": "immediate",
                "action_ids": [
                    Command.create({"name": "Note", "ordering": 1, "action_type": "add_note",
                                    "config": {"note": "x"}}),
                    Command.create({"name": "Wait", "ordering": 2, "action_type": "wait",
                                    "config": {"duration": {"days": 1}}}),
                ],
            })
        workflow = self._waiting_workflow({"duration": {"days": 1}})
        with self.assertRaisesRegex(ValidationError, r"actions\[1\]: a wait needs the queued execution mode"):
            workflow.execution_mode = "immediate"

    def test_a_wait_config_is_checked_with_its_path(self):
        for config, message in [
            ({"duration": {"days": -1}}, "config.duration.days"),
            ({"duration": {"fortnights": 1}}, "config.duration"),
            ({"duration": {"days": 1}, "until": "2026-01-01"}, "config"),
            ({"duration": {"days": 1}, "time_of_day": "25:00"}, "config.time_of_day"),
        ]:
            with self.subTest(config=config), self.assertRaisesRegex(ValidationError, message):
                self._waiting_workflow(config)

    def test_a_wait_until_a_value_that_is_no_date_fails_the_run_naming_it(self):
        workflow = self._waiting_workflow({"until": "{{record.name}}"})
        run = self._emit(workflow, self.lead)
        self.assertEqual(run.state, "failed")
        self.assertIn("config.until", run.error)
        self.assertIn("Big opportunity", run.error)

    # --- resume now, cancel --------------------------------------------------------------------

    def test_a_manager_resumes_a_waiting_run_now_or_cancels_it(self):
        workflow = self._waiting_workflow({"duration": {"weeks": 2}})
        second_lead = self._new_lead("Second")
        first, second = (self._emit(workflow, lead) for lead in (self.lead, second_lead))
        self.assertEqual((first.state, second.state), ("waiting", "waiting"))
        with self.assertRaises(AccessError):
            first.with_user(self.user).action_resume()
        first.with_user(self.manager).action_resume()
        self._drain()
        self.assertEqual(first.state, "success")
        second.with_user(self.manager).action_cancel()
        self.assertEqual(second.state, "cancelled")
        self.assertTrue(second.finished_at)
        with freeze_time(fields.Datetime.now() + timedelta(weeks=3)):
            self._drain()
        self.assertEqual(second.state, "cancelled", "a cancelled run never resumes")
        self.assertFalse(self._notes(second_lead, "After the wait"))
        with self.assertRaisesRegex(UserError, "Only waiting runs can be resumed"):
            second.with_user(self.manager).action_resume()
        with self.assertRaisesRegex(UserError, "Only waiting or pending runs can be cancelled"):
            first.with_user(self.manager).action_cancel()
        self.assertEqual((workflow.waiting_count, workflow.cancelled_count, workflow.success_count), (0, 1, 1))

    # --- exit conditions and one active run ---------------------------------------------------

    def test_exit_conditions_are_checked_with_their_path_and_shown_by_the_dry_run(self):
        # assertRaises, unlike assertRaisesRegex, rolls back what the refused write did.
        with self.assertRaises(ValidationError) as refused:
            self.nurture.exit_conditions = {"field": "name", "operator": "bogus", "value": 1}
        self.assertIn("Invalid exit conditions: <root>: unknown operator 'bogus'", str(refused.exception))
        lead = self._new_lead()
        self.assertFalse(self.nurture.dry_run("crm.lead", lead.id)["exits"])
        lead.stage_id = self.stages["Won"]
        result = self.nurture.dry_run("crm.lead", lead.id)
        self.assertTrue(result["exits"])
        self.assertEqual(result["exit_conditions"], EXAMPLE_3_EXIT_CONDITIONS)

    def test_one_active_run_per_record_skips_and_counts_events_meanwhile(self):
        workflow = self._waiting_workflow({"duration": {"days": 1}}, single_active_run=True)
        first = self._emit(workflow, self.lead)
        self.assertEqual(first.state, "waiting")
        again = self._emit(workflow, self.lead)
        self.assertFalse(again, "the lead is in the workflow already")
        other = self._emit(workflow, self._new_lead("Another lead"))
        self.assertEqual(other.state, "waiting", "another record is not held back")
        self.assertEqual(workflow.concurrency_skip_count, 1)
        with freeze_time(fields.Datetime.now() + timedelta(days=1, minutes=1)):
            self._drain()
        self.assertEqual(first.state, "success")
        self.assertEqual(self._emit(workflow, self.lead).state, "waiting", "once the run ended, a new one starts")

    def test_one_active_run_per_record_across_triggers_and_workflows_of_one_event(self):
        workflow = self._waiting_workflow({"duration": {"days": 1}}, single_active_run=True)
        event = workflow.trigger_ids.custom_event
        # A second trigger of the same workflow on the same event: one run, not one per trigger.
        workflow.with_user(self.manager).trigger_ids = [Command.create({"event_type": "custom", "custom_event": event})]
        other = self._waiting_workflow({"duration": {"days": 1}}, single_active_run=True)
        other.with_user(self.manager).trigger_ids.custom_event = event
        other_lead = self._new_lead("Another lead")
        def emit():
            runs = workflow.with_user(self.manager).emit_event(event, {}, self.lead | other_lead)
            self._drain()
            return runs

        runs = emit()
        self.assertEqual(
            sorted((run.workflow_id.id, run.res_id) for run in runs),
            sorted((flow.id, lead.id) for flow in workflow | other for lead in self.lead | other_lead),
        )
        self.assertEqual((workflow.concurrency_skip_count, other.concurrency_skip_count), (2, 0))
        self.assertFalse(emit(), "every record is in both workflows")
        self.assertEqual((workflow.concurrency_skip_count, other.concurrency_skip_count), (6, 2))
