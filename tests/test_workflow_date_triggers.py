import threading
from datetime import timedelta

import psycopg2
from freezegun import freeze_time

from odoo import Command, fields
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import tagged

from .common import CommittingCase, WorkflowCase
from .rest_common import RestApiCase

DEADLINE_TRIGGER = {
    "event_type": "date.reached", "entity_type": "lead", "date_field": "date_deadline",
    "date_offset": 0, "date_offset_unit": "days",
}
SCANNERS = 2
WORKER_DEADLINE = 120


def date_workflow_values(**trigger):
    """A queued workflow with one date trigger (DEADLINE_TRIGGER with ``trigger``) noting on its record."""
    return {
        "name": "Deadline reached",
        "execution_mode": "queued",
        "duplicate_window_minutes": 0,
        "trigger_ids": [Command.create({**DEADLINE_TRIGGER, **trigger})],
        "action_ids": [Command.create({"name": "Note", "ordering": 1, "action_type": "add_note",
                                       "config": {"note": "Due {{date_value}}"}})],
    }


@tagged("post_install", "-at_install")
class TestDateTriggers(WorkflowCase):
    """Date triggers with time moved forward (not slept through): each pass is given its time."""

    def setUp(self):
        super().setUp()
        self.start = fields.Datetime.now()
        self.today = fields.Date.today()
        self.Trigger = self.env["workflow.trigger"]

    def _workflow(self, **trigger):
        return self.env["workflow.workflow"].create(date_workflow_values(**trigger))

    def _lead(self, days, **values):
        """A lead whose deadline is ``days`` from today."""
        return self.env["crm.lead"].create({"name": "Dated", "date_deadline": self.today + timedelta(days=days),
                                            **values})

    def _pass(self, **delta):
        """A pass of the scan at the start of the test moved forward by ``delta``."""
        return self.Trigger._scan_dates(now=self.start + timedelta(**delta))

    def _runs(self, workflow):
        return self.env["workflow.run"].search([("workflow_id", "=", workflow.id)], order="id")

    def test_fires_once_per_date_value_again_when_it_moves_never_while_it_stays(self):
        workflow = self._workflow()
        lead = self._lead(3)
        self._pass(days=1)
        self.assertFalse(self._runs(workflow), "not due yet")
        self._pass(days=4)
        run = self._runs(workflow)
        self.assertEqual(len(run), 1)
        self.assertEqual((run.event_type, run.res_model, run.res_id, run.state),
                         ("date.reached", "crm.lead", lead.id, "pending"))
        deadline = lead.date_deadline.isoformat()
        self.assertEqual(run.payload, {"entity_type": "lead", "entity_id": lead.id, "date_field": "date_deadline",
                                       "date_value": deadline, "due_at": f"{deadline}T00:00:00"})
        self._pass(days=5)
        lead.name = "Dated, renamed"
        self._pass(days=6)
        self.assertEqual(len(self._runs(workflow)), 1, "a date that stays fires never again")
        lead.date_deadline = self.today + timedelta(days=8)
        self._pass(days=7)
        self.assertEqual(len(self._runs(workflow)), 1)
        self._pass(days=9)
        self.assertEqual(len(self._runs(workflow)), 2, "a date that moves fires for its new value")
        fires = self.env["workflow.trigger.fire"].search([("trigger_id", "=", workflow.trigger_ids.id)])
        self.assertEqual(fires.run_id, self._runs(workflow))

    def test_a_lead_created_already_due_fires_at_the_next_pass(self):
        workflow = self._workflow()
        lead = self._lead(-2)
        self._pass(minutes=1)
        self.assertEqual(self._runs(workflow).res_id, lead.id)
        self._pass(minutes=2)
        self.assertEqual(len(self._runs(workflow)), 1)

    def test_values_due_before_activation_do_not_fire_until_they_move(self):
        lead = self._lead(-2)
        workflow = self._workflow()
        self._pass(minutes=1)
        lead.name = "Still overdue"
        self._pass(minutes=2)
        self.assertFalse(self._runs(workflow), "due when the trigger was activated")
        lead.date_deadline = self.today - timedelta(days=1)
        self._pass(minutes=3)
        self.assertEqual(self._runs(workflow).res_id, lead.id, "a newly written due value fires")

    def test_a_reactivated_workflow_does_not_fire_what_came_due_while_it_was_archived(self):
        workflow = self._workflow()
        self._lead(1)
        later = self._lead(4)
        workflow.active = False
        self._pass(days=1)
        with freeze_time(self.start + timedelta(days=2)):
            workflow.active = True
        self.assertEqual(workflow.trigger_ids.date_last_pass, self.start + timedelta(days=2))
        self._pass(days=3)
        self.assertFalse(self._runs(workflow))
        self._pass(days=5)
        self.assertEqual(self._runs(workflow).res_id, later.id)

    def test_missed_passes_catch_up_once(self):
        workflow = self._workflow()
        leads = self._lead(1) | self._lead(2) | self._lead(3)
        self._pass(days=10)
        self.assertEqual(sorted(self._runs(workflow).mapped("res_id")), sorted(leads.ids))
        self._pass(days=11)
        self.assertEqual(len(self._runs(workflow)), 3)

    def test_conditions_are_evaluated_at_the_moment_of_the_pass(self):
        workflow = self._workflow(conditions={"field": "expected_revenue", "operator": "gte", "value": 1000})
        grows = self._lead(2, expected_revenue=10)
        shrinks = self._lead(2, expected_revenue=5000)
        grows.expected_revenue = 2000
        shrinks.expected_revenue = 0
        self._pass(days=3)
        self.assertEqual(self._runs(workflow).res_id, grows.id)
        fires = self.env["workflow.trigger.fire"].search([("trigger_id", "=", workflow.trigger_ids.id)])
        self.assertEqual(len(fires), 2, "the other value fired without a run: it does not fire again")

    def test_negative_offset_in_hours_on_a_datetime_field(self):
        workflow = self._workflow(date_field="date_closed", date_offset=-2, date_offset_unit="hours")
        lead = self._lead(30)
        lead.date_closed = self.start + timedelta(hours=5)
        self._pass(hours=2)
        self.assertFalse(self._runs(workflow))
        self._pass(hours=3, minutes=1)
        run = self._runs(workflow)
        self.assertEqual(run.res_id, lead.id)
        self.assertEqual(run.payload["due_at"], (lead.date_closed - timedelta(hours=2)).isoformat())

    def test_the_next_activity_deadline_and_a_contact_date(self):
        workflow = self._workflow(date_field="activity_date_deadline")
        lead = self._lead(30)
        lead.activity_schedule("mail.mail_activity_data_todo", date_deadline=self.today + timedelta(days=2))
        self._pass(days=1)
        self.assertFalse(self._runs(workflow))
        self._pass(days=3)
        self.assertEqual(self._runs(workflow).res_id, lead.id)
        contacts = self._workflow(entity_type="contact", date_field="write_date", date_offset=1,
                                  conditions={"field": "name", "operator": "eq", "value": "Dated contact"})
        partner = self.env["res.partner"].create({"name": "Dated contact"})
        self._pass(days=3)
        self.assertEqual(self._runs(contacts).res_id, partner.id)
        self.assertEqual(self._runs(contacts).payload["entity_type"], "contact")

    def test_the_workflow_company_is_respected(self):
        other = self.env["res.company"].create({"name": "Other company"})
        workflow = self._workflow()
        workflow.company_id = other
        self._lead(-1, company_id=self.env.company.id)
        mine = self._lead(-1, company_id=other.id)
        self._pass(minutes=1)
        self.assertEqual(self._runs(workflow).res_id, mine.id)

    def test_managers_read_the_fires_of_their_companies_only(self):
        other = self.env["res.company"].create({"name": "Elsewhere"})
        workflow = self._workflow()
        workflow.company_id = other
        self._lead(-1, company_id=other.id)
        self._pass(minutes=1)
        fires = self.env["workflow.trigger.fire"].search([("trigger_id", "=", workflow.trigger_ids.id)])
        self.assertEqual(len(fires.run_id), 1)
        fires_seen = self.env["workflow.trigger.fire"].with_user(self.manager)
        self.assertFalse(fires_seen.search([("id", "in", fires.ids)]))
        self.manager.company_ids |= other
        companies = fires_seen.with_context(allowed_company_ids=[self.manager.company_id.id, other.id])
        self.assertEqual(companies.search([("id", "in", fires.ids)]), fires)
        with self.assertRaises(AccessError):
            companies.browse(fires.ids).unlink()

    def test_a_pass_returns_the_next_due_time_and_the_cron_is_triggered_for_it(self):
        self._workflow(date_offset=-1)
        self._lead(5)
        self._lead(3)
        next_due = self._pass(minutes=1)
        self.assertEqual(next_due, fields.Datetime.to_datetime(self.today + timedelta(days=2)))
        cron = self.env.ref("workflow_engine.ir_cron_workflow_trigger_scan_dates")
        cron.nextcall = self.start + timedelta(days=30)
        self.Trigger._cron_scan_dates()
        self.assertIn(next_due, self.env["ir.cron.trigger"].search([("cron_id", "=", cron.id)]).mapped("call_at"))

    def test_a_date_field_that_is_no_date_of_the_model_is_refused_with_its_path(self):
        cases = [
            ({"date_field": "name"}, "date_field: 'name' is not a date or datetime field of crm.lead"),
            ({"entity_type": "contact"}, "date_field: 'date_deadline' is not a date or datetime field of res.partner"),
            ({"date_field": "my_activity_date_deadline"}, "date_field: 'my_activity_date_deadline' of crm.lead is "
             "computed when read"),
            ({"entity_type": False}, "entity_type: a Date reached trigger needs it."),
            ({"date_field": False}, "date_field: a Date reached trigger needs it."),
            ({"date_offset_unit": False}, "date_offset_unit: a Date reached trigger needs it."),
        ]
        for trigger, message in cases:
            with self.subTest(trigger=trigger), self.assertRaises(ValidationError) as caught:
                self._workflow(**trigger)
            self.assertIn(message, str(caught.exception))

    def test_the_form_offers_the_date_fields_of_the_entity(self):
        workflow = self._workflow()
        trigger = workflow.trigger_ids
        self.assertEqual((trigger.date_model, trigger.date_field_id.name), ("crm.lead", "date_deadline"))
        trigger.date_field_id = self.env.ref("crm.field_crm_lead__date_closed")
        self.assertEqual(trigger.date_field, "date_closed")
        info = self.env["workflow.workflow"].get_condition_builder_info("date.reached", "contact")
        self.assertEqual(info["res_model"], "res.partner")
        self.assertEqual(info["event_keys"], ["entity_type", "entity_id", "date_field", "date_value", "due_at"])


@tagged("post_install", "-at_install")
class TestDateTriggerScanners(CommittingCase):
    """Two servers scanning at once, with real transactions that commit: each value fires once."""

    def setUp(self):
        super().setUp()
        self.addCleanup(self._remove_committed_data)
        with self._env() as env:
            self.workflow_id = env["workflow.workflow"].create(date_workflow_values()).id
            self.start = fields.Datetime.now()
        with self._env() as env:
            today = fields.Date.today()
            env["crm.lead"].create([
                {"name": f"DTEST {index}", "date_deadline": today + timedelta(days=1 + index % 3)}
                for index in range(300)
            ])

    def _remove_committed_data(self):
        with self._env() as env:
            env["workflow.workflow"].browse(self.workflow_id).unlink()
            env["crm.lead"].search([("name", "=like", "DTEST%")]).unlink()

    def test_two_concurrent_scanners_never_fire_a_value_twice(self):
        barrier = threading.Barrier(SCANNERS)
        errors, failures = [], []

        def scan():
            try:
                barrier.wait(WORKER_DEADLINE)
                # What the cron does with a pass that failed to serialize: it runs it again.
                for _attempt in range(3):
                    try:
                        with self._env() as env:
                            env["workflow.trigger"]._scan_dates(now=self.start + timedelta(days=5))
                        return
                    except psycopg2.errors.SerializationFailure:
                        failures.append(1)
            except Exception as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

        threads = [threading.Thread(target=scan) for _index in range(SCANNERS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(WORKER_DEADLINE)
        self.assertFalse(any(thread.is_alive() for thread in threads))
        self.assertEqual(errors, [])
        with self._env() as env:
            runs = env["workflow.run"].search([("workflow_id", "=", self.workflow_id)])
            leads = env["crm.lead"].search([("name", "=like", "DTEST%")])
            self.assertEqual(sorted(runs.mapped("res_id")), sorted(leads.ids), "one run per lead")
            fires = env["workflow.trigger.fire"].search([("trigger_id.workflow_id", "=", self.workflow_id)])
            self.assertEqual(len(fires), 300)
            self.assertEqual(fires.run_id, runs)


@tagged("post_install", "-at_install")
class TestRestDateTriggers(RestApiCase):
    def _document(self, **trigger):
        return {
            "name": "Deadline tomorrow",
            "triggers": [{**DEADLINE_TRIGGER, "date_offset": -1, **trigger}],
            "actions": [{"name": "Note", "action_type": "add_note", "config": {"note": "Due tomorrow"}}],
        }

    def test_a_date_trigger_is_created_and_read_back_over_http(self):
        created = self.api("POST", "/api/v1/workflows/", self._document(), user=self.manager)
        self.assertEqual(created.status_code, 201, created.text)
        trigger = created.json()["triggers"][0]
        self.assertEqual(
            {key: trigger[key] for key in DEADLINE_TRIGGER}, {**DEADLINE_TRIGGER, "date_offset": -1},
        )
        workflow = self.env["workflow.workflow"].browse(created.json()["id"])
        self.assertEqual(workflow.trigger_ids.date_field, "date_deadline")
        self.assertTrue(workflow.trigger_ids.date_last_pass, "created active, it watches")
        read = self.api("GET", f"/api/v1/workflows/{workflow.id}/", user=self.manager).json()
        self.assertEqual(read["triggers"][0], trigger)
        other = self.api("POST", "/api/v1/workflows/", {
            "name": "Other", "triggers": [{"event_type": "lead.created"}],
        }, user=self.manager).json()
        self.assertEqual(
            {key: other["triggers"][0][key] for key in DEADLINE_TRIGGER if key != "event_type"},
            dict.fromkeys(["entity_type", "date_field", "date_offset", "date_offset_unit"]),
        )

    def test_invalid_date_triggers_are_refused_with_their_paths(self):
        document = self._document(date_field="name")
        document["triggers"].append({"event_type": "date.reached", "date_offset": 1.5})
        response = self.api("POST", "/api/v1/workflows/", document, user=self.manager)
        error = self.error_of(response, 422, "invalid_definition")
        self.assertEqual(
            [(detail["path"], detail["message"]) for detail in error["details"]],
            [
                ("triggers[1].date_offset", "must be an integer, got float"),
                ("triggers[1].entity_type", "a date.reached trigger needs it"),
                ("triggers[1].date_field", "a date.reached trigger needs it"),
                ("triggers[1].date_offset_unit", "a date.reached trigger needs it"),
                ("triggers[0].date_field", "'name' is not a date or datetime field of crm.lead"),
            ],
        )
        self.assertFalse(self.env["workflow.workflow"].search([]))
