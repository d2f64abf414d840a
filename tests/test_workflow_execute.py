import json

from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from odoo.addons.workflow_engine.exceptions import IdempotencyConflict

from .common import WorkflowCase, example_1_values


@tagged("post_install", "-at_install")
class TestWorkflowExecute(WorkflowCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.workflow = cls.Workflow.with_user(cls.manager).create(example_1_values())

    def _notes(self, lead):
        return lead.message_ids.filtered(
            lambda message: message.subtype_id == self.env.ref("mail.mt_note")
        )

    def _action(self, workflow, ordering, action_type, config, allow_failure=False):
        return self.env["workflow.action"].create({
            "workflow_id": workflow.id, "name": f"Step {ordering}", "ordering": ordering,
            "action_type": action_type, "config": config, "allow_failure": allow_failure,
        })

    def test_execute_example_1_on_matching_lead(self):
        notes_before = self._notes(self.lead)
        run = self.workflow.with_user(self.manager).execute("crm.lead", self.lead.id)
        self.assertEqual(run.state, "success", run.error)
        self.assertEqual(self.lead.priority, "3")
        new_notes = self._notes(self.lead) - notes_before
        self.assertEqual(len(new_notes), 1)
        self.assertIn("Qualified: 120000.0 expected from Acme", new_notes.body)
        self.assertEqual(new_notes.author_id, self.manager.partner_id)
        self.assertEqual(run.action_run_ids.mapped("state"), ["success", "success"])
        self.assertEqual(run.action_run_ids.mapped("action_type"), ["update_field", "add_note"])
        self.assertTrue(all(action_run.duration_ms > 0 for action_run in run.action_run_ids))
        self.assertGreaterEqual(run.duration_ms, sum(run.action_run_ids.mapped("duration_ms")))
        self.assertEqual(run.action_run_ids[0].input["entity_id"], self.lead.id)
        self.assertEqual(run.action_run_ids[0].output["old_value"], "0")
        self.assertEqual(run.action_run_ids[1].output["message_ids"], new_notes.ids)
        self.assertEqual((run.res_model, run.res_id), ("crm.lead", self.lead.id))
        self.assertEqual(run.trigger_id, self.workflow.trigger_ids)
        self.assertEqual(run.user_id, self.manager)
        self.assertTrue(run.started_at and run.finished_at)
        self.assertEqual(len(run.uuid), 36)
        self.assertEqual(self.workflow.run_count, 1)

    def test_workflow_user_may_execute_and_actions_run_as_the_manager(self):
        run = self.workflow.with_user(self.user).execute("crm.lead", self.lead.id)
        self.assertEqual(run.state, "success", run.error)
        self.assertEqual(run.user_id, self.manager)
        self.assertEqual(self.lead.write_uid, self.manager)

    def test_user_without_workflow_group_cannot_execute(self):
        outsider = self.new_outsider()
        with self.assertRaises(AccessError):
            self.workflow.with_user(outsider).execute("crm.lead", self.lead.id)

    def test_conditions_that_do_not_hold_skip_the_run_and_say_why(self):
        small = self.env["crm.lead"].create({
            "name": "Small", "expected_revenue": 10, "email_from": "x@shop.example.com",
        })
        run = self.workflow.execute("crm.lead", small.id, {"source": "manual test"})
        self.assertEqual(run.state, "skipped")
        self.assertFalse(run.action_run_ids)
        self.assertEqual(small.priority, "0")
        decisive = run.explanation["decisive"]
        self.assertEqual(decisive["path"], "and[0]")
        self.assertEqual(decisive["actual"], 10)
        self.assertIn("expected_revenue", run.error)
        self.assertEqual(run.payload, {"source": "manual test"})

    def test_payload_keys_reach_conditions_and_templates(self):
        workflow = self.Workflow.create({
            "name": "Stage note",
            "trigger_ids": [(0, 0, {"event_type": "deal.stage_changed", "conditions": {
                "field": "new_stage", "operator": "eq", "value": "Proposition"}})],
            "action_ids": [(0, 0, {"name": "Note", "action_type": "add_note",
                                   "config": {"note": "Moved to {{new_stage}} by {{user.name}}"}})],
        })
        run = workflow.execute("crm.lead", self.lead.id, {"new_stage": "Proposition"})
        self.assertEqual(run.state, "success", run.error)
        self.assertIn(f"Moved to Proposition by {self.env.user.name}", self._notes(self.lead)[0].body)
        self.assertEqual(workflow.execute("crm.lead", self.lead.id, {"new_stage": "New"}).state, "skipped")

    def test_allowed_failure_is_logged_and_the_run_goes_on(self):
        workflow = self.Workflow.create({"name": "Tolerant"})
        self._action(workflow, 1, "update_field", {"field": "no_such_field", "value": 1}, allow_failure=True)
        self._action(workflow, 2, "add_note", {"note": "still here"})
        run = workflow.execute("crm.lead", self.lead.id)
        self.assertEqual(run.state, "partial")
        failed, noted = run.action_run_ids
        self.assertEqual(failed.state, "failed")
        self.assertIn("crm.lead has no field 'no_such_field'", failed.error)
        self.assertEqual(failed.error_code, "action_error")
        self.assertEqual(noted.state, "success")
        self.assertIn("still here", self._notes(self.lead)[0].body)

    def test_failure_stops_the_run_and_keeps_earlier_work(self):
        workflow = self.Workflow.create({"name": "Strict"})
        self._action(workflow, 1, "update_field", {"field": "priority", "value": "2"})
        self._action(workflow, 2, "update_field", {"field": "priority", "value": "urgent"})
        self._action(workflow, 3, "add_note", {"note": "never written"})
        run = workflow.execute("crm.lead", self.lead.id)
        self.assertEqual(run.state, "failed")
        self.assertEqual(run.action_run_ids.mapped("state"), ["success", "failed", "skipped"])
        self.assertIn("'urgent' is not a value of priority", run.error)
        self.assertEqual(self.lead.priority, "2")
        self.assertFalse(self._notes(self.lead).filtered(lambda m: "never written" in m.body))

    def test_failed_action_is_rolled_back_alone(self):
        workflow = self.Workflow.create({"name": "Rollback"})
        self._action(workflow, 1, "update_field", {"field": "partner_name", "value": "Renamed"})
        self._action(
            workflow, 2, "update_field",
            {"entity_type": "lead", "entity_id": 0, "field": "name", "value": "x"},
            allow_failure=True,
        )
        run = workflow.execute("crm.lead", self.lead.id)
        self.assertEqual(run.state, "partial")
        self.assertIn("crm.lead record 0 does not exist", run.action_run_ids[1].error)
        self.assertEqual(self.lead.partner_name, "Renamed")

    def test_undefined_template_variable_fails_naming_it(self):
        workflow = self.Workflow.create({"name": "Typo"})
        self._action(workflow, 1, "add_note", {"note": "Hello {{lead.first_nme}}"})
        run = workflow.execute("crm.lead", self.lead.id)
        self.assertEqual(run.state, "failed")
        self.assertEqual(run.action_run_ids.error_code, "template_error")
        self.assertIn("lead.first_nme", run.action_run_ids.error)

    def test_update_field_resolves_aliases_and_relations_by_name(self):
        self.admin.name = "Senior Rep"
        workflow = self.Workflow.create({"name": "Assign"})
        self._action(workflow, 1, "update_field", {"field": "owner", "value": "Senior Rep"})
        self._action(workflow, 2, "update_field", {"field": "stage", "value": "Qualified"})
        self._action(workflow, 3, "update_field", {"field": "amount", "value": "75000"})
        run = workflow.execute("crm.lead", self.lead.id)
        self.assertEqual(run.state, "success", run.error)
        self.assertEqual(self.lead.user_id, self.admin)
        self.assertEqual(self.lead.stage_id.name, "Qualified")
        self.assertEqual(self.lead.expected_revenue, 75000)

    def test_update_field_refuses_fields_nobody_may_write(self):
        workflow = self.Workflow.create({"name": "Readonly"})
        self._action(workflow, 1, "update_field", {"field": "create_uid", "value": 1}, True)
        self._action(workflow, 2, "update_field", {"field": "day_open", "value": 3}, True)
        run = workflow.execute("crm.lead", self.lead.id)
        self.assertEqual(run.action_run_ids.mapped("state"), ["failed", "failed"])
        self.assertIn("field 'create_uid' of crm.lead cannot be written", run.action_run_ids[0].error)
        self.assertIn("field 'day_open' of crm.lead cannot be written", run.action_run_ids[1].error)

    def test_update_field_writes_with_the_run_as_users_rights(self):
        restricted = self.env["res.users"].create({
            "name": "Own leads only", "login": "own_leads",
            "groups_id": [(6, 0, [
                self.env.ref("sales_team.group_sale_salesman").id,
                self.env.ref("workflow_engine.group_workflow_manager").id,
            ])],
        })
        other_rep = self.env["res.users"].create({
            "name": "Other rep", "login": "other_rep",
            "groups_id": [(6, 0, [self.env.ref("sales_team.group_sale_salesman").id])],
        })
        self.lead.user_id = other_rep
        workflow = self.Workflow.create({"name": "Restricted", "run_as_user_id": restricted.id})
        self._action(workflow, 1, "update_field", {"field": "priority", "value": "1"})
        run = workflow.execute("crm.lead", self.lead.id)
        self.assertEqual(run.state, "failed")
        self.assertIn("crm.lead", run.action_run_ids.error)
        self.assertEqual(self.lead.priority, "0")

    def test_execute_refuses_unknown_records(self):
        with self.assertRaises(UserError):
            self.workflow.execute("crm.lead", 0)
        with self.assertRaises(UserError):
            self.workflow.execute("no.such.model", 1)
        with self.assertRaises(UserError):
            self.workflow.execute("crm.lead", self.lead.id, ["not", "a", "dict"])

    def test_counters(self):
        self.workflow.execute("crm.lead", self.lead.id)
        failing = self.Workflow.create({"name": "Failing"})
        self._action(failing, 1, "update_field", {"field": "nope", "value": 1})
        failing.execute("crm.lead", self.lead.id)
        failing.execute("crm.lead", self.lead.id)
        self.assertEqual((self.workflow.run_count, self.workflow.failed_run_count), (1, 0))
        self.assertEqual((failing.run_count, failing.failed_run_count), (2, 2))

    def test_idempotency_key_returns_the_earlier_run(self):
        first = self.workflow.execute("crm.lead", self.lead.id, {"a": 1}, idempotency_key="req-1")
        again = self.workflow.execute("crm.lead", self.lead.id, {"a": 1}, idempotency_key="req-1")
        self.assertEqual(again, first)
        self.assertEqual(self.workflow.run_count, 1)
        self.assertEqual(first.idempotency_key, "req-1")
        with self.assertRaises(IdempotencyConflict):
            self.workflow.execute("crm.lead", self.lead.id, {"a": 2}, idempotency_key="req-1")
        other = self.workflow.execute("crm.lead", self.lead.id, {"a": 2}, idempotency_key="req-2")
        self.assertNotEqual(other, first)

    def test_a_run_stores_its_explanation_and_inputs_abbreviated(self):
        workflow = self.Workflow.with_user(self.manager).create({
            "name": "Two hundred thousand revenues",
            "trigger_ids": [(0, 0, {"event_type": "lead.created", "conditions": {
                "field": "expected_revenue", "operator": "in", "value": list(range(200_000)),
            }})],
            "action_ids": [(0, 0, {"name": "Note", "action_type": "add_note", "config": {"note": "{{ 'x' * 5000 }}"}})],
        })
        run = workflow.execute("crm.lead", self.lead.id)
        # Evaluated on the whole list: the lead's 120000 lies far past what the log keeps of it.
        self.assertEqual(run.state, "success", run.error)
        self.assertLess(len(json.dumps(run.explanation)), 10_000)
        self.assertEqual(run.explanation["decisive"]["expected"][-1], "… [199900 more items]")
        self.assertTrue(run.explanation["summary"].endswith("more characters]"))
        action_run = run.action_run_ids
        self.assertIn("x" * 5000, self.env["mail.message"].browse(action_run.output["message_ids"]).body)
        self.assertEqual(action_run.input["note"], "x" * 2000 + "… [3000 more characters]")
        small = self.env["crm.lead"].create({"name": "Small", "expected_revenue": 0.5})
        skipped = workflow.execute("crm.lead", small.id)
        self.assertEqual(skipped.state, "skipped")
        self.assertLess(len(skipped.error), 3000)
        self.assertLess(len(json.dumps(skipped.explanation)), 10_000)
