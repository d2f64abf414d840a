from unittest.mock import patch

from odoo import Command
from odoo.tests import tagged

from ..models.workflow_run_execute import ActionSavepoints
from .common import WorkflowCase, start_webhook_receiver


@tagged("post_install", "-at_install")
class TestWorkflowOnePass(WorkflowCase):
    """The immediate runs of one event whose actions all stay in the transaction run in one pass
    (one savepoint for all), and again action by action should anything fail in it."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        start_webhook_receiver(cls)

    def setUp(self):
        super().setUp()
        self.server.received.clear()

    def _on_new_lead(self, name, actions, count=1, event_type="lead.created"):
        return self.Workflow.with_user(self.admin).create([{
            "name": f"{name} {index}",
            "trigger_ids": [Command.create({
                "event_type": event_type, "conditions": {"field": "name", "operator": "eq", "value": name},
            })],
            "action_ids": [
                Command.create({"name": f"Step {ordering}", "ordering": ordering, **action})
                for ordering, action in enumerate(actions, start=1)
            ],
        } for index in range(count)])

    def _notes(self, lead, text):
        return lead.message_ids.filtered(lambda message: text in (message.body or ""))

    def _create_lead(self, name):
        """A new lead named ``name``, and how the run loops of its event ran: for each, whether in
        one pass (OnePass) or action by action (ActionSavepoints)."""
        Run = type(self.env["workflow.run"])
        run_actions = Run._run_actions
        loops = []

        def spied(runs, records, contexts, queued, savepoints=None):
            loops.append(type(savepoints or ActionSavepoints(runs.env.cr)).__name__)
            return run_actions(runs, records, contexts, queued, savepoints=savepoints)

        with patch.object(Run, "_run_actions", spied):
            lead = self.env["crm.lead"].create({"name": name, "type": "lead"})
            self.env.flush_all()
        return lead, loops

    def test_runs_of_transactional_actions_take_one_savepoint_not_one_per_action(self):
        actions = [
            {"action_type": "update_field", "config": {"field": "priority", "value": "2"}},
            {"action_type": "add_note", "config": {"note": "Noted {{lead.name}}"}},
        ]
        self._on_new_lead("One pass", actions, count=5)
        # The same runs, but for a webhook whose conditions never hold: they run action by action.
        never = {"field": "expected_revenue", "operator": "lt", "value": 0}
        webhook = {"action_type": "call_webhook", "config": {"url": f"{self.url}/hook"}, "conditions": never}
        self._on_new_lead("Action by action", [*actions, webhook], count=5)

        one_pass, one_pass_loops = self._create_lead("One pass")
        by_action, by_action_loops = self._create_lead("Action by action")
        for lead in (one_pass, by_action):
            runs = self.env["workflow.run"].search([("res_model", "=", "crm.lead"), ("res_id", "=", lead.id)])
            self.assertEqual(runs.mapped("state"), ["success"] * 5)
            self.assertEqual(lead.priority, "2")
            self.assertEqual(len(self._notes(lead, f"Noted {lead.name}")), 5)
        self.assertFalse(self.server.received)
        self.assertEqual(one_pass_loops, ["OnePass"])
        self.assertEqual(by_action_loops, ["ActionSavepoints"])

    def test_a_failure_in_the_pass_is_logged_as_action_by_action_and_the_pass_leaves_nothing(self):
        [failing] = self._on_new_lead("Failing", [
            {"action_type": "add_note", "config": {"note": "Written once"}},
            {"action_type": "update_field", "config": {"field": "priority", "value": "urgent"}},
            {"action_type": "add_note", "config": {"note": "Never written"}},
        ])
        [other] = self._on_new_lead("Failing", [
            {"action_type": "add_note", "config": {"note": "The other workflow"}},
            {"action_type": "update_field", "config": {"field": "priority", "value": "1"}},
        ])
        lead, loops = self._create_lead("Failing")
        self.assertEqual(failing.run_ids.state, "failed")
        self.assertEqual(failing.run_ids.action_run_ids.mapped("state"), ["success", "failed", "skipped"])
        self.assertIn("'urgent' is not a value of priority", failing.run_ids.error)
        self.assertEqual(other.run_ids.state, "success")
        self.assertEqual(len(self._notes(lead, "Written once")), 1)
        self.assertEqual(len(self._notes(lead, "The other workflow")), 1)
        self.assertFalse(self._notes(lead, "Never written"))
        self.assertEqual(lead.priority, "1")
        self.assertEqual(len(failing.run_ids | other.run_ids), 2)
        self.assertEqual(loops, ["OnePass", "ActionSavepoints"])

    def test_a_webhook_of_a_run_that_the_pass_starts_is_called_once(self):
        [converting] = self._on_new_lead("Converted", [
            {"action_type": "update_field", "config": {"field": "type", "value": "opportunity"}},
            {"action_type": "add_note", "config": {"note": "Converted here"}},
        ])
        # Started by the conversion, inside the pass: its webhook must not be called by a pass
        # that is then rolled back, and called again after it.
        [calling] = self._on_new_lead("Converted", [
            {"action_type": "call_webhook", "config": {"url": f"{self.url}/hook", "body": {"id": "{{lead.id}}"}}},
        ], event_type="lead.converted")
        lead, loops = self._create_lead("Converted")
        self.assertEqual(lead.type, "opportunity")
        self.assertEqual(converting.run_ids.state, "success")
        self.assertEqual(calling.run_ids.mapped("state"), ["success"])
        self.assertEqual(len(self.server.received), 1)
        self.assertEqual(len(self._notes(lead, "Converted here")), 1)
        # The pass, the webhook's run within it (action by action, as inside a pass), then both again.
        self.assertEqual(loops, ["OnePass", "ActionSavepoints", "ActionSavepoints", "ActionSavepoints"])
