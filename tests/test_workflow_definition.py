from odoo.exceptions import AccessError, ValidationError
from odoo.tests import tagged

from .common import EXAMPLE_1_CONDITIONS, WorkflowCase, example_1_values

BAD_OPERATOR = {
    "and": [
        {"field": "expected_revenue", "operator": "gte", "value": 1},
        {"or": [{"field": "partner_name", "operator": "equals", "value": "Acme"}]},
    ]
}


@tagged("post_install", "-at_install")
class TestWorkflowDefinition(WorkflowCase):
    def test_manager_creates_example_1(self):
        workflow = self.Workflow.with_user(self.manager).create(example_1_values())
        self.assertEqual(workflow.trigger_ids.event_type, "lead.created")
        self.assertEqual(workflow.trigger_ids.conditions, EXAMPLE_1_CONDITIONS)
        self.assertEqual(workflow.action_ids.mapped("action_type"), ["update_field", "add_note"])
        self.assertEqual(workflow.company_id, self.env.company)
        self.assertEqual(workflow.run_as_user_id, self.manager)

    def test_invalid_condition_names_the_bad_node(self):
        values = example_1_values()
        values["trigger_ids"][0][2]["conditions"] = BAD_OPERATOR
        with self.assertRaises(ValidationError) as caught:
            self.Workflow.with_user(self.manager).create(values)
        self.assertIn("and[1].or[0]: unknown operator 'equals'", str(caught.exception))
        self.assertFalse(self.Workflow.search([("name", "=", values["name"])]))

    def test_conditions_accept_json_text_and_refuse_broken_json(self):
        workflow = self.Workflow.with_user(self.manager).create(example_1_values())
        trigger = workflow.trigger_ids
        trigger.conditions = '{"field": "partner_name", "operator": "eq", "value": "Acme"}'
        self.assertEqual(trigger.conditions["value"], "Acme")
        with self.assertRaises(ValidationError) as caught:
            trigger.conditions = '{"field": "partner_name", '
        self.assertIn("invalid JSON at line 1", str(caught.exception))
        self.assertEqual(trigger.conditions["value"], "Acme")

    def test_conditions_text_round_trips(self):
        workflow = self.Workflow.with_user(self.manager).create(example_1_values())
        trigger = workflow.trigger_ids
        trigger.conditions_text = '{"not": {"field": "stage", "operator": "eq", "value": "Won"}}'
        self.assertEqual(trigger.conditions, {"not": {"field": "stage", "operator": "eq", "value": "Won"}})
        with self.assertRaises(ValidationError) as caught:
            trigger.conditions_text = '{"field": "stage", "operator": "like", "value": "W"}'
        self.assertIn("unknown operator 'like'", str(caught.exception))

    def test_custom_trigger_needs_an_event_name(self):
        workflow = self.Workflow.with_user(self.manager).create(example_1_values())
        with self.assertRaises(ValidationError):
            workflow.trigger_ids.event_type = "custom"
        workflow.trigger_ids.write({"event_type": "custom", "custom_event": "invoice.overdue"})
        self.assertEqual(workflow.trigger_ids.display_name, "Custom event: invoice.overdue")

    def test_action_config_is_checked_against_its_schema(self):
        cases = [
            ("add_note", {"note": "x", "visibilty": "internal"}, "unknown key 'visibilty'"),
            ("send_email", {"to": "a@example.com", "body": "hi"}, "missing required key 'subject'"),
            ("add_note", {"note": "x", "visibility": "secret"}, "config.visibility"),
            ("add_note", {"note": "Hello {{ lead.name"}, "config.note"),
            ("update_field", ["field", "value"], "config"),
        ]
        workflow = self.Workflow.with_user(self.manager).create({"name": "Schema"})
        Action = self.env["workflow.action"].with_user(self.manager)
        for action_type, config, message in cases:
            with self.subTest(action_type=action_type, config=config):
                with self.assertRaises(ValidationError) as caught:
                    Action.create({
                        "workflow_id": workflow.id, "name": "Bad", "action_type": action_type,
                        "config": config,
                    })
                self.assertIn(message, str(caught.exception))
        self.assertFalse(workflow.action_ids)

    def test_failed_create_leaves_nothing_behind(self):
        values = example_1_values()
        values["action_ids"][1][2]["config"] = {"note": "x", "unexpected": 1}
        with self.assertRaises(ValidationError):
            self.Workflow.with_user(self.manager).create(values)
        self.assertFalse(self.env["workflow.trigger"].search([("workflow_id.name", "=", values["name"])]))
        self.assertFalse(self.Workflow.search([("name", "=", values["name"])]))

    def test_user_reads_but_cannot_define_workflows(self):
        workflow = self.Workflow.with_user(self.manager).create(example_1_values())
        as_user = workflow.with_user(self.user)
        self.assertEqual(as_user.name, workflow.name)
        self.assertEqual(as_user.trigger_ids.conditions, EXAMPLE_1_CONDITIONS)
        with self.assertRaises(AccessError):
            self.Workflow.with_user(self.user).create(example_1_values())
        with self.assertRaises(AccessError):
            as_user.write({"name": "Renamed"})
        with self.assertRaises(AccessError):
            as_user.trigger_ids.write({"conditions": None})
        with self.assertRaises(AccessError):
            as_user.action_ids.unlink()
        with self.assertRaises(AccessError):
            as_user.unlink()

    def test_only_administrators_edit_runs(self):
        workflow = self.Workflow.with_user(self.manager).create(example_1_values())
        run = workflow.execute("crm.lead", self.lead.id)
        for user in (self.user, self.manager):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                run.with_user(user).write({"error": "tampered"})
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                run.action_run_ids.with_user(user).unlink()
        run.with_user(self.admin).write({"error": "annotated"})
        self.assertEqual(run.error, "annotated")

    def test_records_of_another_company_are_invisible(self):
        other = self.env["res.company"].create({"name": "Other Co"})
        workflow = self.Workflow.with_user(self.manager).create(example_1_values())
        foreign = self.Workflow.create(example_1_values(name="Foreign", company_id=other.id))
        foreign_run = foreign.execute("crm.lead", self.lead.id)
        visible = self.Workflow.with_user(self.user).search([])
        self.assertIn(workflow, visible)
        self.assertNotIn(foreign, visible)
        self.assertFalse(self.env["workflow.run"].with_user(self.user).search([("id", "=", foreign_run.id)]))
        self.assertFalse(
            self.env["workflow.trigger"].with_user(self.user).search([("workflow_id", "=", foreign.id)])
        )

    def test_priority_orders_workflows(self):
        low = self.Workflow.create({"name": "Low", "priority": 1})
        high = self.Workflow.create({"name": "High", "priority": 50})
        tie = self.Workflow.create({"name": "Tie", "priority": 50})
        found = self.Workflow.search([("id", "in", (low | high | tie).ids)])
        self.assertEqual(found.ids, [high.id, tie.id, low.id])

    def test_only_administrators_lend_another_users_rights(self):
        with self.assertRaises(AccessError):
            self.Workflow.with_user(self.manager).create(example_1_values(run_as_user_id=self.admin.id))
        own = self.Workflow.with_user(self.manager).create(example_1_values(run_as_user_id=self.manager.id))
        with self.assertRaises(AccessError):
            own.with_user(self.manager).write({"run_as_user_id": self.admin.id})
        lent = self.Workflow.with_user(self.admin).create(example_1_values(run_as_user_id=self.manager.id))
        self.assertEqual(lent.run_as_user_id, self.manager)
        lent.with_user(self.manager).write({"name": "Renamed by the manager"})
        self.assertEqual(lent.run_as_user_id, self.manager)

    def test_the_run_as_user_must_be_a_workflow_manager(self):
        with self.assertRaises(ValidationError) as caught:
            self.Workflow.with_user(self.admin).create(example_1_values(run_as_user_id=self.user.id))
        self.assertIn("the run-as user must be a Workflow Manager", str(caught.exception))
