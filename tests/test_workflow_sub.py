from datetime import timedelta

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged

from ..engine import splits
from ..exceptions import InvalidDefinition
from .common import QueueCase


def action(name, action_type, config, ordering, **values):
    return Command.create({"name": name, "action_type": action_type, "config": config, "ordering": ordering,
                           **values})


RAISE = {"field": "probability", "value": 60}


@tagged("post_install", "-at_install")
class TestWorkflowSub(QueueCase):
    """Sub-workflows (the run_workflow action), step order checked at every save (#14)."""

    def _lead(self, name="Sub lead", **values):
        return self.env["crm.lead"].create(dict({"name": name, "type": "lead", "probability": 10}, **values))

    def _workflow(self, name, *actions, user=None, **values):
        return self.Workflow.with_user(user or self.manager).create(dict({
            "name": name, "duplicate_window_minutes": 0, "action_ids": list(actions),
        }, **values))

    def _logs(self, run):
        return {log.name: log for log in run.action_run_ids}

    def _settle(self):
        self.env.flush_all()
        self._process()
        self.env.invalidate_all()

    # --- immediate children --------------------------------------------------------------

    def test_an_immediate_child_runs_as_its_own_user_one_level_deeper_and_knows_its_parent(self):
        lead = self._lead()
        child = self._workflow("Nurture", action("Raise", "update_field", RAISE, 1, key="raise"), user=self.admin)
        parent = self._workflow(
            "Parent",
            action("Sub", "run_workflow", {"workflow": "Nurture", "payload": {"origin": "{{lead.name}}"}}, 1,
                   key="sub"),
            action("Note", "add_note", {"note": "child {{steps.sub.output.state}}"}, 2),
        )
        run = parent.execute("crm.lead", lead.id)
        logs = self._logs(run)
        self.assertEqual(run.state, "success", run.action_run_ids.mapped("error"))
        [child_run] = run.child_run_ids
        self.assertEqual(child_run.workflow_id, child)
        self.assertEqual(child_run.parent_run_id, run)
        self.assertEqual((child_run.state, child_run.depth, child_run.user_id), ("success", run.depth + 1, self.admin))
        self.assertEqual(child_run.payload, {"origin": "Sub lead"})
        self.assertEqual(logs["Sub"].output, {"run_id": child_run.id, "uuid": child_run.uuid, "state": "success"})
        self.assertEqual(lead.probability, 60)
        self.assertTrue(lead.message_ids.filtered(lambda message: "child success" in (message.body or "")))

    def test_a_child_whose_conditions_do_not_hold_is_skipped_and_another_record_may_be_named(self):
        lead, other = self._lead(), self._lead("Other lead")
        child = self._workflow("Picky", action("Raise", "update_field", RAISE, 1), trigger_ids=[Command.create({
            "event_type": "lead.created",
            "conditions": {"field": "probability", "operator": "gte", "value": 50},
        })])
        parent = self._workflow("Parent", action("Sub", "run_workflow", {
            "workflow": child.id, "record": other.id, "entity_type": "lead",
        }, 1))
        run = parent.execute("crm.lead", lead.id)
        [child_run] = run.child_run_ids
        self.assertEqual(run.state, "success")
        self.assertEqual((child_run.state, child_run.res_id), ("skipped", other.id))
        self.assertEqual(self._logs(run)["Sub"].output["state"], "skipped")
        self.assertEqual(other.probability, 10)

    def test_a_failed_child_fails_the_action_unless_it_may_fail(self):
        lead = self._lead()
        self._workflow("Broken", action("Bad", "update_field", {"field": "probability", "value": "high"}, 1))
        parent = self._workflow("Parent", action("Sub", "run_workflow", {"workflow": "Broken"}, 1),
                                action("After", "add_note", {"note": "after"}, 2))
        run = parent.execute("crm.lead", lead.id)
        logs = self._logs(run)
        self.assertEqual((run.state, run.error_code), ("failed", "sub_workflow_failed"))
        self.assertEqual((logs["Sub"].state, logs["After"].state), ("failed", "skipped"))
        self.assertIn("ended failed", logs["Sub"].error)
        # The child's run is kept, with its failure: the action failed without undoing it.
        self.assertEqual(run.child_run_ids.state, "failed")
        parent.action_ids[0].allow_failure = True
        run = parent.execute("crm.lead", lead.id)
        self.assertEqual(run.state, "partial")
        self.assertEqual(self._logs(run)["After"].state, "success")

    def test_a_workflow_that_calls_itself_is_stopped_by_the_chain_depth(self):
        lead = self._lead()
        self.env["ir.config_parameter"].sudo().set_param("workflow_engine.max_chain_depth", 3)
        loop = self._workflow("Loop", action("Again", "run_workflow", {"workflow": "Loop"}, 1))
        run = loop.execute("crm.lead", lead.id)
        runs = self.env["workflow.run"].search([("workflow_id", "=", loop.id)], order="depth")
        self.assertEqual(runs.mapped("depth"), [0, 1, 2, 3])
        self.assertEqual(runs[-1].error_code, "chain_too_deep")
        self.assertEqual(runs[1:].mapped("parent_run_id"), runs[:-1])
        self.assertEqual((run.state, run.error_code), ("failed", "sub_workflow_failed"))

    # --- queued children waited for --------------------------------------------------------

    def test_a_parent_waits_for_its_queued_child_and_reads_its_steps(self):
        lead = self._lead()
        self._workflow("Enrich", action("Raise", "update_field", RAISE, 1, key="raise"), execution_mode="queued")
        parent = self._workflow(
            "Parent",
            action("Sub", "run_workflow", {"workflow": "Enrich", "wait": True}, 1, key="sub"),
            action("Note", "add_note", {"note": "raised to {{steps.sub.output.steps.raise.output.new_value}}"}, 2,
                   conditions={"field": "steps.sub.output.state", "operator": "eq", "value": "success"}),
            execution_mode="queued",
        )
        run = parent.execute("crm.lead", lead.id)
        self._settle()
        [child_run] = run.child_run_ids
        self.assertEqual((run.state, run.next_attempt_at), ("waiting", False))
        self.assertIn(child_run.uuid, run.wait_reason)
        self.assertEqual(child_run.state, "pending")
        self._settle()
        # The child ran; the parent, never claimed while its child ran, is due now.
        self.assertEqual(child_run.state, "success")
        self.assertEqual(run.state, "waiting")
        self.assertTrue(run.next_attempt_at)
        self._settle()
        logs = self._logs(run)
        self.assertEqual(run.state, "success", run.action_run_ids.mapped("error"))
        self.assertEqual(logs["Sub"].output["state"], "success")
        self.assertEqual(logs["Sub"].output["steps"]["raise"]["output"]["new_value"], 60)
        self.assertEqual(logs["Note"].state, "success")
        self.assertTrue(lead.message_ids.filtered(lambda message: "raised to 60" in (message.body or "")))

    def test_a_failed_queued_child_fails_its_waiting_parent(self):
        lead = self._lead()
        self._workflow("Broken", action("Bad", "update_field", {"field": "probability", "value": "high"}, 1),
                       execution_mode="queued")
        parent = self._workflow(
            "Parent", action("Sub", "run_workflow", {"workflow": "Broken", "wait": True}, 1),
            action("After", "add_note", {"note": "after"}, 2), execution_mode="queued",
        )
        run = parent.execute("crm.lead", lead.id)
        self._drain()
        logs = self._logs(run)
        self.assertEqual(run.child_run_ids.state, "failed")
        self.assertEqual((run.state, run.error_code), ("failed", "sub_workflow_failed"))
        self.assertEqual((logs["Sub"].state, logs["After"].state), ("failed", "skipped"))

    def _waiting_parent(self, allow_failure=False):
        """A queued parent waiting at its run_workflow action for its queued child, still pending."""
        lead = self._lead()
        self._workflow("Enrich", action("Raise", "update_field", RAISE, 1, key="raise"), execution_mode="queued")
        parent = self._workflow(
            "Parent", action("Sub", "run_workflow", {"workflow": "Enrich", "wait": True}, 1, key="sub",
                             allow_failure=allow_failure),
            action("After", "add_note", {"note": "sub {{steps.sub.state}}"}, 2), execution_mode="queued",
        )
        run = parent.execute("crm.lead", lead.id)
        self._settle()
        self.assertEqual((run.state, run.next_attempt_at, run.child_run_ids.state), ("waiting", False, "pending"))
        return run, run.child_run_ids

    def test_resume_now_is_refused_while_the_child_runs_and_cancel_leaves_the_child_alone(self):
        run, child = self._waiting_parent()
        with self.assertRaises(UserError) as caught:
            run.with_user(self.manager).action_resume()
        self.assertIn(f"{run.uuid} waits for its sub-workflow's run {child.uuid}, which is pending",
                      str(caught.exception))
        self.assertEqual((run.state, run.next_attempt_at), ("waiting", False))
        run.with_user(self.manager).action_cancel()
        self.assertEqual((run.state, child.state), ("cancelled", "pending"))
        self._drain()
        # The child, a run of its own workflow, ends as it would have; the cancelled parent stays so.
        self.assertEqual((run.state, child.state), ("cancelled", "success"))
        self.assertEqual(self._logs(run)["Sub"].output["state"], "pending")
        self.assertNotIn("After", self._logs(run))

    def test_a_parent_whose_child_an_administrator_deletes_fails_saying_so(self):
        run, child = self._waiting_parent()
        uuid = child.uuid
        with self.assertRaises(AccessError):
            child.with_user(self.manager).unlink()
        child.with_user(self.admin).unlink()
        logs = self._logs(run)
        self.assertEqual((run.state, run.error_code), ("failed", "sub_workflow_deleted"))
        self.assertEqual(logs["Sub"].error, f"the sub-workflow's run {uuid} was deleted before it ended")
        self.assertEqual((logs["Sub"].state, logs["After"].state), ("failed", "skipped"))
        self.assertIn(uuid, run.error)

    def test_a_parent_whose_childs_workflow_a_manager_deletes_fails_saying_so(self):
        run, child = self._waiting_parent()
        uuid = child.uuid
        child.workflow_id.with_user(self.manager).unlink()
        self.assertFalse(child.exists())
        self.assertEqual((run.state, run.error_code), ("failed", "sub_workflow_deleted"))
        self.assertIn(uuid, run.error)

    def test_a_parent_whose_child_retention_deletes_goes_on_when_it_may_fail(self):
        run, child = self._waiting_parent(allow_failure=True)
        uuid = child.uuid
        # Retention deletes ended runs only; this child's end is written as a run of an earlier
        # version of the addon could have ended, without waking its parent.
        child.sudo().write({"state": "success"})
        child.workflow_id.retention_days = 10
        child.flush_recordset()
        self.env.cr.execute("UPDATE workflow_run SET create_date = %s WHERE id = %s",
                            [fields.Datetime.now() - timedelta(days=11), child.id])
        self.env.invalidate_all()
        self.assertEqual(self.Run._cron_delete_expired(), 1)
        self.assertFalse(child.exists())
        self.assertEqual(run.state, "waiting")
        self.assertTrue(run.next_attempt_at, "the parent is due again")
        self._drain()
        logs = self._logs(run)
        self.assertEqual(run.state, "partial", run.action_run_ids.mapped("error"))
        self.assertEqual((logs["Sub"].state, logs["Sub"].error_code), ("failed", "sub_workflow_deleted"))
        self.assertIn(uuid, logs["Sub"].error)
        self.assertEqual(logs["After"].state, "success")
        self.assertEqual(logs["After"].input["note"], "sub failed")

    # --- refusals at save ----------------------------------------------------------------

    def test_sub_workflows_are_refused_at_save_with_their_path(self):
        other_company = self.env["res.company"].create({"name": "Other company"})
        self.Workflow.create({"name": "Elsewhere", "company_id": other_company.id})
        self._workflow("Webhook", action("Hook", "call_webhook", {"url": "https://example.com/"}, 1),
                       user=self.admin)
        cases = [
            ("Nope", r"actions\[0\]\.config\.workflow: no workflow 'Nope' in the company"),
            ("Webhook", r"actions\[0\]\.config\.workflow: .* may not run the workflow 'Webhook'"),
        ]
        for reference, message in cases:
            with self.assertRaisesRegex(ValidationError, message):
                self._workflow("Parent", action("Sub", "run_workflow", {"workflow": reference}, 1))
        elsewhere = self.Workflow.search([("name", "=", "Elsewhere")])
        with self.assertRaisesRegex(ValidationError, r"actions\[0\]\.config\.workflow: .* another company"):
            self._workflow("Parent", action("Sub", "run_workflow", {"workflow": elsewhere.id}, 1))
        with self.assertRaisesRegex(ValidationError, r"actions\[0\]\.config\.wait: .* queued execution mode"):
            self._workflow("Parent", action("Sub", "run_workflow", {"workflow": "Webhook", "wait": True}, 1),
                           user=self.admin)
        with self.assertRaises(InvalidDefinition) as caught:
            self.env["workflow.workflow"].with_user(self.manager)._from_document({
                "name": "Document", "actions": [{"name": "Sub", "action_type": "run_workflow",
                                                 "config": {"workflow": elsewhere.id}}],
            })
        self.assertEqual([error["path"] for error in caught.exception.errors], ["actions[0].config.workflow"])

    def test_a_step_read_before_it_runs_is_refused_at_a_form_save(self):
        note = action("Note", "add_note", {"note": "{{steps.enrich.output.new_value}}"}, 1)
        with self.assertRaisesRegex(ValidationError, r"actions\[0\]\.config\.note: steps\.enrich is not an earlier"):
            self._workflow("Order", note)
        with self.assertRaisesRegex(ValidationError, r"actions\[0\]\.config\.note: steps\.enrich is not an earlier"):
            self._workflow("Order", note, action("Enrich", "update_field", RAISE, 2, key="enrich"))
        workflow = self._workflow("Order", action("Enrich", "update_field", RAISE, 1, key="enrich"),
                                  action("Note", "add_note", {"note": "{{steps.enrich.output.new_value}}"}, 2))
        with self.assertRaisesRegex(ValidationError, r"actions\[1\]\.config\.note: steps\.enrich is not an earlier"):
            workflow.action_ids[0].write({"ordering": 3})


@tagged("post_install", "-at_install")
class TestWorkflowDryRunSteps(QueueCase):
    """What a dry run shows of conditional actions, splits and steps known only at run time (#14)."""

    def test_a_dry_run_shows_conditions_variants_and_the_steps_known_at_run_time(self):
        lead = self.env["crm.lead"].create({"name": "Dry lead", "type": "lead", "probability": 10})
        variants = {"A": 50, "B": 50}
        workflow = self.Workflow.with_user(self.manager).create({"name": "Dry", "action_ids": [
            action("Split", "split", {"variants": variants}, 1, key="ab"),
            action("Raise", "update_field", RAISE, 2, key="raise"),
            action("Cold", "add_note", {"note": "cold"}, 3,
                   conditions={"field": "probability", "operator": "gte", "value": 50}),
            action("Branch", "add_note", {"note": "variant {{steps.ab.output.variant}}"}, 4,
                   conditions={"field": "steps.ab.output.variant", "operator": "in", "value": ["A", "B"]}),
            action("Later", "update_field", {"field": "probability", "value": "{{steps.raise.output.new_value}}"}, 5,
                   conditions={"field": "steps.raise.state", "operator": "eq", "value": "success"}),
        ]})
        split, raise_, cold, branch, later = workflow.with_user(self.user).dry_run("crm.lead", lead.id)["actions"]
        variant = splits.choose_variant(variants, workflow.id, f"crm.lead,{lead.id}")
        self.assertEqual(split["variant"], variant)
        self.assertNotIn("condition", raise_)
        self.assertEqual(cold["condition"]["holds"], False)
        self.assertIn("probability gte 50", cold["condition"]["summary"])
        self.assertEqual(branch["condition"]["holds"], True)
        self.assertEqual(branch["input"], {"note": f"variant {variant}"})
        self.assertNotIn("known_at_run_time", branch)
        self.assertIsNone(later["condition"]["holds"])
        self.assertIn("steps.raise", later["condition"]["summary"])
        self.assertEqual(later["known_at_run_time"], ["config.value"])
        self.assertEqual(later["input"]["value"], "(known at run time)")
        self.assertNotIn("error", later)
