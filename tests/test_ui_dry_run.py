import json
from contextlib import contextmanager
from unittest.mock import patch

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.sql_db import Cursor
from odoo.tests import Form, tagged

from odoo.addons.workflow_engine.engine.jsondoc import MASK

from .common import WorkflowCase, example_1_values

WRITING_STATEMENTS = ("INSERT", "UPDATE", "DELETE")


@tagged("post_install", "-at_install")
class TestWorkflowDryRun(WorkflowCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.workflow = cls.Workflow.with_user(cls.manager).create(example_1_values())

    @contextmanager
    def assertWritesNothing(self):
        statements = []
        execute = Cursor.execute

        def recording_execute(cursor, query, params=None, log_exceptions=True):
            statements.append(str(query).lstrip().split(None, 1)[0].upper())
            return execute(cursor, query, params, log_exceptions)

        self.env.flush_all()
        with patch.object(Cursor, "execute", recording_execute):
            yield
            self.env.flush_all()
        self.assertFalse([statement for statement in statements if statement in WRITING_STATEMENTS])

    def test_explains_a_matching_lead_and_renders_each_action(self):
        with self.assertWritesNothing():
            result = self.workflow.with_user(self.user).dry_run("crm.lead", self.lead.id)
        self.assertTrue(result["holds"])
        self.assertEqual(result["trigger_id"], self.workflow.trigger_ids.id)
        self.assertEqual(result["trigger_name"], "Lead created")
        self.assertEqual(result["conditions"], self.workflow.trigger_ids.conditions)
        explanation = result["explanation"]
        self.assertEqual(
            [(leaf["path"], leaf["actual"], leaf["result"]) for leaf in explanation["leaves"]],
            [("and[0]", 120000.0, True), ("and[1]", "buyer@acme.example.com", True)],
        )
        self.assertEqual(explanation["decisive"]["path"], "and[1]")
        self.assertIn("endswith", explanation["summary"])
        self.assertEqual(
            result["actions"],
            [
                {
                    "id": self.workflow.action_ids[0].id, "name": "Qualify", "action_type": "update_field",
                    "input": {"entity_type": "lead", "entity_id": self.lead.id, "field": "priority", "value": "3"},
                },
                {
                    "id": self.workflow.action_ids[1].id, "name": "Explain", "action_type": "add_note",
                    "input": {
                        "entity_type": "lead", "entity_id": self.lead.id,
                        "note": "Qualified: 120000.0 expected from Acme", "visibility": "internal",
                    },
                },
            ],
        )
        self.assertFalse(self.workflow.run_ids)
        self.assertEqual(self.lead.priority, "0")

    def test_says_which_comparison_fails_and_still_renders_the_actions(self):
        small = self.env["crm.lead"].create({"name": "Small", "expected_revenue": 10, "email_from": "a@b.example.com"})
        result = self.workflow.dry_run("crm.lead", small.id)
        self.assertFalse(result["holds"])
        self.assertEqual(result["trigger_id"], self.workflow.trigger_ids.id)
        self.assertEqual(result["explanation"]["decisive"]["path"], "and[0]")
        self.assertEqual(result["explanation"]["decisive"]["actual"], 10)
        self.assertEqual(len(result["explanation"]["leaves"]), 1)
        self.assertEqual(result["actions"][0]["input"]["entity_id"], small.id)

    def test_reports_each_action_that_would_fail_before_doing_anything(self):
        self.workflow.action_ids[0].config = {"field": "priority", "value": "{{lead.typo}}"}
        self.env["workflow.action"].create({
            "workflow_id": self.workflow.id, "name": "Mail", "ordering": 3, "action_type": "send_email",
            "config": {"to": "{{lead.email_from}}", "subject": "{{lead.id}}", "body": "Hi"},
        })
        actions = self.workflow.dry_run("crm.lead", self.lead.id)["actions"]
        self.assertEqual(actions[0]["error"], "value: undefined variable 'lead.typo'")
        self.assertNotIn("input", actions[0])
        self.assertNotIn("error", actions[1])
        self.assertEqual(actions[2]["input"]["subject"], self.lead.id)
        self.assertEqual(actions[2]["error"], "config.subject: must be a string, got int")

    def test_a_webhook_renders_with_the_secrets_and_shows_them_masked(self):
        self.env["workflow.secret"].create({"name": "api_key", "value": "s3cr3t-t0ken"})
        workflow = self.Workflow.with_user(self.admin).create({
            "name": "Webhook with a secret",
            "action_ids": [Command.create({
                "name": "Notify", "action_type": "call_webhook", "config": {
                    "url": "https://hooks.example.com/lead", "headers": {"Authorization": "Bearer {{api_key}}"},
                    "body": {"lead_id": "{{lead.id}}", "token": "{{api_key}}"},
                },
            })],
        })
        with self.assertWritesNothing():
            [action] = workflow.with_user(self.admin).dry_run("crm.lead", self.lead.id)["actions"]
        self.assertNotIn("error", action)
        self.assertEqual(action["input"]["headers"]["Authorization"], f"Bearer {MASK}")
        self.assertEqual(action["input"]["body"], {"lead_id": self.lead.id, "token": MASK})
        self.assertNotIn("s3cr3t-t0ken", json.dumps(action))

    def test_payload_keys_reach_conditions_and_templates(self):
        self.workflow.trigger_ids.conditions = {"field": "new_stage", "operator": "eq", "value": "Won"}
        self.workflow.action_ids[1].config = {"note": "Now {{new_stage}}"}
        result = self.workflow.dry_run("crm.lead", self.lead.id, {"new_stage": "Won"})
        self.assertTrue(result["holds"])
        self.assertEqual(result["actions"][1]["input"], {"note": "Now Won"})

    def test_without_active_trigger_the_workflow_always_holds(self):
        self.workflow.trigger_ids.active = False
        result = self.workflow.dry_run("crm.lead", self.lead.id)
        self.assertTrue(result["holds"])
        self.assertFalse(result["trigger_id"])
        self.assertIsNone(result["conditions"])
        self.assertEqual(result["explanation"]["summary"], "no condition (true)")

    def test_refuses_what_execute_refuses(self):
        with self.assertRaises(UserError):
            self.workflow.dry_run("workflow.run", 1)
        with self.assertRaises(UserError):
            self.workflow.dry_run("crm.lead", self.lead.id, ["not", "an", "object"])
        outsider = self.new_outsider()
        with self.assertRaises(AccessError):
            self.workflow.with_user(outsider).dry_run("crm.lead", self.lead.id)

    def test_wizard_shows_the_result_as_soon_as_a_record_is_picked(self):
        wizard = Form(self.env["workflow.dry.run.wizard"].with_user(self.user).with_context(
            default_workflow_id=self.workflow.id
        ))
        self.assertFalse(wizard.result)
        with self.assertWritesNothing():
            wizard.record_ref = self.lead
            self.assertTrue(wizard.result["holds"])
        wizard.payload_text = "{oops"
        self.assertEqual(wizard.result, {"error": "payload: invalid JSON at line 1 column 2: "
                                                  "Expecting property name enclosed in double quotes"})
        wizard.payload_text = "[1]"
        self.assertEqual(wizard.result, {"error": "The payload must be a JSON object."})

    def test_wizard_opened_from_a_lead_tests_that_lead(self):
        action = self.env.ref("workflow_engine.workflow_dry_run_wizard_action_crm_lead")
        self.assertEqual(action.binding_model_id.model, "crm.lead")
        wizard = Form(self.env["workflow.dry.run.wizard"].with_context(
            active_model="crm.lead", active_id=self.lead.id, default_workflow_id=self.workflow.id,
        ))
        self.assertEqual(wizard.record_ref, f"crm.lead,{self.lead.id}")
        self.assertTrue(wizard.result["holds"])
