from datetime import timedelta

from freezegun import freeze_time

from odoo import fields
from odoo.tests import tagged

from .rest_common import RestApiCase

NURTURE = {
    "name": "Nurture over REST",
    "execution_mode": "queued",
    "single_active_run": True,
    "exit_conditions": {"field": "stage_id.is_won", "operator": "eq", "value": True},
    "triggers": [{"event_type": "custom", "custom_event": "nurture.rest"}],
    "actions": [
        {"name": "Hello", "action_type": "add_note", "ordering": 1, "config": {"note": "Hello {{record.name}}"}},
        {"name": "Wait", "action_type": "wait", "ordering": 2,
         "config": {"duration": {"days": 2}, "time_of_day": "09:00"}},
        {"name": "Again", "action_type": "add_note", "ordering": 3, "config": {"note": "Again {{record.name}}"}},
    ],
}


@tagged("post_install", "-at_install")
class TestRestWaits(RestApiCase):
    """Wait steps, exit conditions and one active run per record in the definition and run
    documents, every answer checked against the OpenAPI document."""

    def test_a_waiting_run_shows_its_state_and_resume_time(self):
        created = self.api("POST", "/api/v1/workflows/", NURTURE, user=self.manager)
        self.assertEqual(created.status_code, 201, created.text)
        document = created.json()
        self.assertEqual(
            (document["single_active_run"], document["exit_conditions"], document["actions"][1]["config"]),
            (True, NURTURE["exit_conditions"], NURTURE["actions"][1]["config"]),
        )
        workflow_id = document["id"]
        with freeze_time("2026-06-01 12:00:00"):
            executed = self.api("POST", f"/api/v1/workflows/{workflow_id}/execute/",
                                {"res_model": "crm.lead", "res_id": self.lead.id}, user=self.user)
            self.assertEqual(executed.status_code, 202, executed.text)
            self.assertEqual(self.env["workflow.run"]._process_queue(), 1)
        self.env.invalidate_all()
        run = self.api("GET", executed.headers["Location"], user=self.user).json()
        self.assertEqual(run["state"], "waiting")
        # Two days later is 12:00, past 09:00 in the run-as user's time zone (none set: UTC): the next 09:00.
        self.assertEqual(run["resume_at"], "2026-06-04T09:00:00Z")
        self.assertEqual(run["action_runs"][1]["output"], {"resume_at": "2026-06-04T09:00:00"})
        waiting = self.api("GET", f"/api/v1/workflows/{workflow_id}/runs/?state=waiting", user=self.user).json()
        self.assertEqual([item["id"] for item in waiting["items"]], [run["id"]])

        self.lead.stage_id = self.env["crm.stage"].search([("is_won", "=", True)], limit=1)
        self.env.flush_all()  # the queue reads the database
        with freeze_time("2026-06-04 09:00:01"):
            self.assertEqual(self.env["workflow.run"]._process_queue(), 1)
        self.env.invalidate_all()
        run = self.api("GET", executed.headers["Location"], user=self.user).json()
        self.assertEqual(run["state"], "exited")
        self.assertTrue(run["exit_explanation"]["result"])
        self.assertEqual([action_run["state"] for action_run in run["action_runs"]], ["success", "success", "skipped"])

    def test_a_wait_in_an_immediate_workflow_and_bad_exit_conditions_are_422_with_their_paths(self):
        document = dict(NURTURE, execution_mode="immediate",
                        exit_conditions={"field": "stage", "operator": "equals", "value": "Won"})
        error = self.error_of(self.api("POST", "/api/v1/workflows/", document, user=self.manager),
                              422, "invalid_definition")
        self.assertEqual(
            [(detail["path"], detail["message"]) for detail in error["details"]],
            [("exit_conditions", "unknown operator 'equals'"),
             ("actions[1]", "a wait needs the queued execution mode")],
        )
        self.assertFalse(self.env["workflow.workflow"].search([]))
        bad_wait = dict(NURTURE, actions=[{"name": "Wait", "action_type": "wait",
                                           "config": {"duration": {"days": 0}}}])
        error = self.error_of(self.api("POST", "/api/v1/workflows/", bad_wait, user=self.manager),
                              422, "invalid_definition")
        self.assertEqual([detail["path"] for detail in error["details"]], ["actions[0].config.duration"])

    def test_statistics_and_one_active_run_per_record(self):
        workflow = self.create_workflow(NURTURE, execution_mode="queued")
        for _event in range(3):
            emitted = self.api("POST", "/api/v1/events/", {"name": "nurture.rest", "record": {
                "res_model": "crm.lead", "res_id": self.lead.id}}, user=self.manager)
            self.assertEqual(emitted.status_code, 200, emitted.text)
            self.env["workflow.run"]._process_queue()
        self.env.invalidate_all()
        self.assertEqual(workflow.run_ids.mapped("state"), ["waiting"])
        self.assertEqual(workflow.concurrency_skip_count, 2)
        with freeze_time(fields.Datetime.now() + timedelta(days=3)):
            self.env["workflow.run"]._process_queue()
        self.env.invalidate_all()
        self.assertEqual(workflow.run_ids.mapped("state"), ["success"])
