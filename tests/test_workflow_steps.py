import math
from datetime import timedelta

from freezegun import freeze_time

from odoo import Command, fields
from odoo.exceptions import UserError, ValidationError
from odoo.tests import tagged
from odoo.tools import mute_logger

from ..engine import splits
from ..exceptions import InvalidDefinition
from .common import QueueCase, start_webhook_receiver

HALF = {"A": 50, "B": 50}
GOAL = {"field": "probability", "operator": "gte", "value": 50}


def action(name, action_type, config, ordering, **values):
    return Command.create({"name": name, "action_type": action_type, "config": config, "ordering": ordering,
                           **values})


@tagged("post_install", "-at_install")
class TestWorkflowSteps(QueueCase):
    """Conditional actions, step keys and their outputs, A/B splits and their statistics (#14)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        start_webhook_receiver(cls)

    def _lead(self, name="Steps lead", **values):
        return self.env["crm.lead"].create(dict({"name": name, "type": "lead", "probability": 10}, **values))

    def _workflow(self, *actions, user=None, **values):
        return self.Workflow.with_user(user or self.manager).create(dict({
            "name": "Steps", "action_ids": list(actions),
        }, **values))

    def _logs(self, run):
        return {log.name: log for log in run.action_run_ids}

    # --- conditional actions -------------------------------------------------------------

    def test_an_action_whose_conditions_do_not_hold_is_skipped_with_why_and_the_run_goes_on(self):
        lead = self._lead()
        workflow = self._workflow(
            action("Raise", "update_field", {"field": "probability", "value": 30}, 1, key="raise"),
            # Read on the record as the earlier action left it: 30, not the 10 it was created with.
            action("Hot note", "add_note", {"note": "Hot"}, 2, conditions=GOAL),
            action("Warm note", "add_note", {"note": "Warm at {{record.probability}}"}, 3, conditions={"and": [
                {"field": "probability", "operator": "eq", "value": 30},
                {"field": "steps.raise.state", "operator": "eq", "value": "success"},
            ]}),
        )
        run = workflow.execute("crm.lead", lead.id)
        logs = self._logs(run)
        self.assertEqual(run.state, "success")
        self.assertEqual({name: log.state for name, log in logs.items()},
                         {"Raise": "success", "Hot note": "skipped", "Warm note": "success"})
        skipped = logs["Hot note"]
        self.assertFalse(skipped.explanation["result"])
        self.assertEqual(skipped.explanation_summary, skipped.explanation["summary"])
        self.assertIn("probability gte 50", skipped.explanation_summary)
        self.assertIn("30", skipped.explanation_summary)
        self.assertFalse(logs["Warm note"].explanation)
        self.assertFalse(lead.message_ids.filtered(lambda message: "Hot" in (message.body or "")))
        self.assertTrue(lead.message_ids.filtered(lambda message: "Warm at 30" in (message.body or "")))

    def test_action_keys_and_conditions_are_checked_at_save(self):
        note = {"note": "n"}
        with self.assertRaisesRegex(ValidationError, "a step key is lowercase letters"):
            self._workflow(action("Bad key", "add_note", note, 1, key="Enrich"))
        with self.assertRaisesRegex(ValidationError, "unknown operator 'equals'"):
            self._workflow(action("Bad", "add_note", note, 1,
                                  conditions={"field": "probability", "operator": "equals", "value": 1}))
        with self.assertRaisesRegex(ValidationError, "goal conditions"), mute_logger("odoo.sql_db"):
            self._workflow(goal_conditions={"field": "probability", "operator": "nope", "value": 1})
        with self.assertRaises(Exception) as caught, mute_logger("odoo.sql_db"), self.env.cr.savepoint():
            self._workflow(action("One", "add_note", note, 1, key="same"), action("Two", "add_note", note, 2,
                                                                                 key="same"))
        self.assertIn("workflow_key_unique", str(caught.exception))
        with self.assertRaisesRegex(ValidationError, r"actions\[0\]\.config\.workflow: no workflow 'Nurture'"):
            self._workflow(action("Sub", "run_workflow", {"workflow": "Nurture"}, 1))

    def test_definition_documents_carry_keys_conditions_and_goal_conditions(self):
        document = {
            "name": "Document steps", "execution_mode": "immediate", "goal_conditions": GOAL,
            "actions": [
                {"name": "Split", "action_type": "split", "key": "ab", "config": {"variants": HALF}},
                {"name": "B note", "action_type": "add_note", "config": {"note": "B"},
                 "conditions": {"field": "steps.ab.output.variant", "operator": "eq", "value": "B"}},
            ],
        }
        workflow = self.env["workflow.workflow"].with_user(self.manager)._from_document(document)
        read = workflow._to_document(read_only=False)
        self.assertEqual(read["goal_conditions"], GOAL)
        self.assertEqual([(item["key"], item["conditions"]) for item in read["actions"]],
                         [("ab", None), (None, document["actions"][1]["conditions"])])
        with self.assertRaises(InvalidDefinition) as caught:
            workflow._write_document(dict(document, actions=[
                *document["actions"], {"name": "Sub", "action_type": "run_workflow", "config": {"workflow": 987654}},
            ]))
        self.assertIn({"code": "invalid_definition", "message": "no workflow 987654 in the company",
                       "path": "actions[2].config.workflow"}, caught.exception.errors)

    # --- step outputs --------------------------------------------------------------------

    def test_the_json_answer_of_a_webhook_feeds_a_later_update_field(self):
        lead = self._lead()
        workflow = self._workflow(
            action("Enrich", "call_webhook", {"url": f"{self.url}/score", "body": {"lead": "{{lead.id}}"}}, 1,
                   key="enrich"),
            action("Score", "update_field", {"field": "probability", "value": "{{steps.enrich.output.json.score}}"},
                   2, conditions={"field": "steps.enrich.output.json.score", "operator": "gt", "value": 80}),
            user=self.admin,
        )
        run = workflow.execute("crm.lead", lead.id)
        logs = self._logs(run)
        self.assertEqual(run.state, "success", run.action_run_ids.mapped("error"))
        self.assertEqual(logs["Enrich"].output["json"], {"score": 87})
        self.assertEqual(logs["Score"].state, "success")
        self.assertEqual(lead.probability, 87)

    def test_a_run_resumed_after_a_wait_reads_the_steps_before_it_from_their_action_runs(self):
        lead = self._lead()
        workflow = self._workflow(
            action("Raise", "update_field", {"field": "probability", "value": 42}, 1, key="first"),
            action("Never", "add_note", {"note": "Never"}, 2, key="never", conditions=GOAL),
            action("Wait", "wait", {"duration": {"days": 1}}, 3),
            action("Copy", "update_field", {"field": "expected_revenue", "value": "{{steps.first.output.new_value}}"},
                   4, conditions={"field": "steps.never.state", "operator": "eq", "value": "skipped"}),
            action("Big", "add_note", {"note": "Big"}, 5, conditions={
                "field": "steps.first.output.new_value", "operator": "gt", "value": 100}),
            execution_mode="queued", duplicate_window_minutes=0,
            trigger_ids=[Command.create({"event_type": "custom", "custom_event": "steps.test"})],
        )
        with freeze_time(fields.Datetime.now()) as frozen:
            run = workflow.with_user(self.manager).emit_event("steps.test", {}, lead)
            self._drain()
            self.assertEqual(run.state, "waiting")
            frozen.tick(timedelta(days=1, minutes=1))
            self._drain()
        logs = self._logs(run)
        self.assertEqual(run.state, "success", run.action_run_ids.mapped("error"))
        self.assertEqual(lead.expected_revenue, 42)
        self.assertEqual(len(run.action_run_ids), 5, "the skipped step before the wait stays decided")
        self.assertEqual(logs["Never"].state, "skipped")
        self.assertEqual(logs["Big"].state, "skipped")
        self.assertIn("steps.first.output.new_value gt 100", logs["Big"].explanation_summary)

    def test_exit_conditions_read_the_steps_before_the_wait(self):
        lead = self._lead()
        workflow = self._workflow(
            action("Raise", "update_field", {"field": "probability", "value": 42}, 1, key="first"),
            action("Wait", "wait", {"duration": {"hours": 1}}, 2),
            action("After", "add_note", {"note": "After"}, 3),
            execution_mode="queued", duplicate_window_minutes=0,
            exit_conditions={"field": "steps.first.output.new_value", "operator": "eq", "value": 42},
            trigger_ids=[Command.create({"event_type": "custom", "custom_event": "steps.exit"})],
        )
        with freeze_time(fields.Datetime.now()) as frozen:
            run = workflow.with_user(self.manager).emit_event("steps.exit", {}, lead)
            self._drain()
            frozen.tick(timedelta(hours=2))
            self._drain()
        self.assertEqual(run.state, "exited")
        self.assertIn("steps.first.output.new_value", run.exit_summary)

    # --- A/B splits ----------------------------------------------------------------------

    def test_a_thousand_leads_split_half_and_half_each_keeping_its_variant(self):
        workflow = self._workflow(action("Split", "split", {"variants": HALF}, 1, key="ab"))
        split = workflow.action_ids
        leads = self.env["crm.lead"].create([{"name": f"Lead {index}", "type": "lead"} for index in range(1000)])
        variants = [split._execute_split(lead, {"variants": HALF})["variant"] for lead in leads]
        self.assertLess(abs(variants.count("A") - 500), 40, "within 4 % of the half")
        for lead, variant in zip(leads[:5], variants[:5], strict=True):
            first, second = (workflow.execute("crm.lead", lead.id) for _run in range(2))
            self.assertEqual(first.action_run_ids.output, {"variant": variant})
            self.assertEqual(second.action_run_ids.output, {"variant": variant})

    def test_a_workflow_manager_may_use_a_split(self):
        workflow = self._workflow(action("Split", "split", {"variants": HALF}, 1))
        self.assertFalse(workflow.action_ids._capability_problem(self.manager))

    def test_variant_statistics_count_the_records_that_meet_the_goal_now(self):
        workflow = self._workflow(action("Split", "split", {"variants": HALF}, 1, key="ab"), goal_conditions=GOAL)
        leads = self.env["crm.lead"].create([
            {"name": f"Lead {index}", "type": "lead", "probability": 10} for index in range(120)
        ])
        variant_of = {}
        for lead in leads:
            variant_of[lead] = workflow.execute("crm.lead", lead.id).action_run_ids.output["variant"]
        # A lead that went through twice counts once.
        workflow.execute("crm.lead", leads[0].id)
        by_variant = {name: leads.filtered(lambda lead, name=name: variant_of[lead] == name) for name in HALF}
        by_variant["A"][::2].write({"probability": 60})
        by_variant["B"][::4].write({"probability": 80})
        # A run older than the period is left out.
        old_lead = self._lead("Old")
        old_run = workflow.execute("crm.lead", old_lead.id)
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE workflow_action_run SET create_date = now() - interval '100 days' WHERE run_id = %s", [old_run.id]
        )
        statistics = workflow.get_variant_statistics()[workflow.id]
        [split] = statistics["splits"]
        self.assertEqual((split["action_id"], split["key"]), (workflow.action_ids.id, "ab"))
        counts = {name: (len(records[::2 if name == "A" else 4]), len(records)) for name, records in by_variant.items()}
        self.assertEqual(
            [(variant["variant"], variant["conversions"], variant["records"]) for variant in split["variants"]],
            [(name, *counts[name]) for name in ("A", "B")],
        )
        (sa, na), (sb, nb) = counts["A"], counts["B"]
        pooled = (sa + sb) / (na + nb)
        z = (sa / na - sb / nb) / math.sqrt(pooled * (1 - pooled) * (1 / na + 1 / nb))
        self.assertAlmostEqual(split["p_value"], math.erfc(abs(z) / math.sqrt(2)), places=12)
        self.assertEqual(split["sentence"], splits.variant_sentence(counts))
        self.assertTrue(split["sentence"].startswith("A converts better than B"))
        self.assertAlmostEqual(split["variants"][0]["rate"], sa / na)
        self.assertEqual(workflow.get_variant_statistics(days=1)[workflow.id]["splits"][0]["variants"][0]["records"],
                         na)
        self.assertIn("A converts better than B", workflow.variant_statistics_html)
        with self.assertRaisesRegex(UserError, "days must be a whole number"):
            workflow.get_variant_statistics(days=0)
