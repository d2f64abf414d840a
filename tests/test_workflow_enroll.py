"""Enrolling existing records (workflow.workflow.enroll, workflow.enrollment): the selection by the
triggers' conditions, the runs queued in batches, their progress, cancel and rights."""

import json

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from .common import QueueCase

HIGH_VALUE = {"field": "expected_revenue", "operator": "gte", "value": 1000}


@tagged("post_install", "-at_install")
class TestWorkflowEnroll(QueueCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.leads = cls.env["crm.lead"].create([
            {"name": f"Enroll {index}", "type": "lead", "expected_revenue": index * 500,
             "email_from": f"enroll{index}@example.com"}
            for index in range(6)
        ])
        cls.workflow = cls.Workflow.create({
            "name": "Tag high-value leads",
            "execution_mode": "queued",
            "run_as_user_id": cls.manager.id,
            "trigger_ids": [Command.create({"event_type": "lead.created", "conditions": HIGH_VALUE})],
            "action_ids": [Command.create({
                "name": "Prioritize", "ordering": 1, "action_type": "update_field",
                "config": {"field": "priority", "value": "2"},
            })],
        })

    def _ours(self):
        """Among the leads, only those of this test."""
        return [("id", "in", self.leads.ids)]

    def _progress_messages(self, user):
        """The progress notifications sent on the bus to ``user`` so far, in order."""
        # What this transaction sent is written at its commit.
        self.env.cr.precommit.run()
        channel = json.dumps([self.env.cr.dbname, "res.partner", user.partner_id.id], separators=(",", ":"))
        messages = [json.loads(bus.message) for bus in self.env["bus.bus"].sudo().search(
            [("channel", "=", channel)], order="id")]
        return [message["payload"] for message in messages if message["type"] == "workflow_enrollment_progress"]

    def _runs_by_record(self):
        runs = self.env["workflow.run"].search([("workflow_id", "=", self.workflow.id)])
        counts = {}
        for run in runs:
            counts[run.res_id] = counts.get(run.res_id, 0) + 1
        return counts

    def test_dry_run_counts_and_explains_without_starting(self):
        result = self.workflow.with_user(self.manager).enroll(domain=self._ours(), dry_run=True)
        # 1000, 1500, 2000 and 2500 hold; 0 and 500 do not.
        self.assertEqual(result["count"], 4)
        self.assertEqual([record["id"] for record in result["records"]], self.leads[2:].ids)
        self.assertTrue(all(record["accepted"] for record in result["records"]))
        self.assertIn("expected_revenue", result["records"][0]["explanation"])
        self.assertEqual(result["rejected_count"], 2)
        self.assertEqual([record["id"] for record in result["rejected"]], self.leads[:2].ids)
        self.assertFalse(result["rejected"][0]["accepted"])
        self.assertNotIn("enrollment_id", result)
        self.assertFalse(self.env["workflow.run"].search([("workflow_id", "=", self.workflow.id)]))
        self.assertFalse(self.workflow.enrollment_ids)

    def test_enrollment_over_a_domain_runs_with_its_progress(self):
        result = self.workflow.with_user(self.manager).enroll(domain=self._ours())
        enrollment = self.env["workflow.enrollment"].browse(result["enrollment_id"])
        self.assertRecordValues(enrollment, [{
            "state": "running", "total": 4, "queued": 4, "done": 0, "failed": 0, "user_id": self.manager.id,
            "res_model": "crm.lead", "entity_type": "lead",
        }])
        runs = enrollment.run_ids
        self.assertEqual(sorted(runs.mapped("res_id")), self.leads[2:].ids)
        self.assertEqual(set(runs.mapped("event_type")), {"enrollment"})
        self.assertEqual(set(runs.mapped("state")), {"pending"})
        self.assertEqual(set(runs.mapped("user_id").ids), {self.manager.id})
        self.assertEqual(len(set(runs.mapped("uuid"))), 4)
        self._drain()
        self.assertRecordValues(enrollment, [{"state": "done", "done": 4, "failed": 0, "progress": 100.0}])
        self.assertTrue(enrollment.finished_at)
        self.assertEqual(self.leads[2:].mapped("priority"), ["2"] * 4)
        self.assertEqual(self.leads[:2].mapped("priority"), ["0"] * 2)

    def test_workflow_user_may_not_enroll(self):
        with self.assertRaises(AccessError):
            self.workflow.with_user(self.user).enroll(domain=self._ours())
        self.assertFalse(self.workflow.enrollment_ids)

    def test_bad_input_is_named(self):
        workflow = self.workflow.with_user(self.manager)
        for kwargs, message in [
            ({"domain": "nope"}, "domain: a domain is a list"),
            ({"domain": 0}, "domain: a domain is a list"),
            ({"res_ids": 0}, "res_ids: a list"),
            ({"domain": [["foo", "=", 1]]}, r"domain\[0\]: unknown field 'foo' on crm.lead"),
            ({"domain": [["user_id.foo", "=", 1]]}, r"domain\[0\]: unknown field 'foo' on res.users"),
            ({"domain": ["|", ["name", "=", "x"]]}, r"domain\[0\]: '\|' needs 2 terms"),
            ({"domain": [["name", "~", "x"]]}, r"domain\[0\]: unknown operator"),
            ({"domain": [["expected_revenue", "=", "lots"]]}, "domain: "),
            ({"res_ids": [1, "2"]}, r"res_ids\[1\]"),
            ({"res_ids": 3}, "res_ids: a list"),
            ({"entity_type": "contact"}, "entity_type: no active trigger"),
            ({"entity_type": "planet"}, "entity_type: 'planet' is no entity"),
        ]:
            with self.subTest(kwargs=kwargs), self.assertRaisesRegex(UserError, message):
                workflow.enroll(dry_run=True, **kwargs)

    def test_enrollment_of_a_selection_reports_its_progress_on_the_bus(self):
        selected = self.leads[1:4]
        result = self.workflow.with_user(self.manager).enroll(res_ids=selected.ids)
        # 500 does not hold: two records selected, one rejected.
        self.assertEqual((result["count"], result["queued"], result["rejected_count"]), (2, 2, 1))
        enrollment = self.env["workflow.enrollment"].browse(result["enrollment_id"])
        self.env.flush_all()
        self.assertEqual(self.Run._process_queue(limit=1), 1)
        self.env.invalidate_all()
        self.assertRecordValues(enrollment, [{"state": "running", "done": 1, "failed": 0, "progress": 50.0}])
        self.assertEqual(self.Run._process_queue(limit=1), 1)
        self.env.invalidate_all()
        self.assertRecordValues(enrollment, [{"state": "done", "done": 2, "progress": 100.0}])
        # The enrollment's own message is written at its commit, in the test after the workers' ones.
        messages = sorted(self._progress_messages(self.manager), key=lambda message: message["done"])
        self.assertEqual(messages, [
            {"id": enrollment.id, "total": 2, "queued": 2, "done": 0, "failed": 0, "state": "running",
             "progress": 0.0},
            {"id": enrollment.id, "total": 2, "queued": 2, "done": 1, "failed": 0, "state": "running",
             "progress": 50.0},
            {"id": enrollment.id, "total": 2, "queued": 2, "done": 2, "failed": 0, "state": "done",
             "progress": 100.0},
        ])
        self.assertFalse(self._progress_messages(self.admin), "the progress is the enrolling user's")

    def test_failed_runs_are_counted_as_failed(self):
        self.workflow.action_ids.config = {"field": "no_such_field", "value": "2"}
        result = self.workflow.with_user(self.manager).enroll(domain=self._ours())
        self._drain()
        enrollment = self.env["workflow.enrollment"].browse(result["enrollment_id"])
        self.assertRecordValues(enrollment, [{"state": "done", "done": 0, "failed": 4, "progress": 100.0}])

    def test_cancel_in_the_middle_starts_nothing_after_it_and_keeps_what_was_done(self):
        result = self.workflow.with_user(self.manager).enroll(domain=self._ours())
        enrollment = self.env["workflow.enrollment"].browse(result["enrollment_id"])
        self.env.flush_all()
        self.assertEqual(self.Run._process_queue(limit=1), 1)
        # A second run is claimed by a worker, which has not executed it yet.
        started = self.Run._claim(1)
        self.assertEqual(len(started), 1)
        self.env.invalidate_all()
        with self.assertRaises(AccessError):
            enrollment.with_user(self.user).action_cancel()
        enrollment.with_user(self.manager).action_cancel()
        self.assertRecordValues(enrollment, [{"state": "cancelled", "done": 1, "failed": 2}])
        self.assertTrue(enrollment.finished_at)
        # The worker goes on with the run it had started; nothing else is left to run.
        self.Run._execute_claimed(started)
        self.assertEqual(self._drain(), 0)
        runs = enrollment.run_ids
        self.assertEqual(sorted(runs.mapped("state")), ["cancelled", "cancelled", "success", "success"])
        self.assertEqual(sorted(self.leads[2:].mapped("priority")), ["0", "0", "2", "2"])
        self.assertRecordValues(enrollment, [{"state": "cancelled", "done": 2, "failed": 2, "progress": 100.0}])
        with self.assertRaisesRegex(UserError, "Only running enrollments"):
            enrollment.with_user(self.manager).action_cancel()

    def test_a_second_enrollment_while_the_first_runs_enrolls_no_record_twice(self):
        workflow = self.workflow.with_user(self.manager)
        first = workflow.enroll(res_ids=self.leads[2:4].ids)
        second = workflow.enroll(domain=self._ours())
        self.assertEqual((first["queued"], second["count"], second["queued"]), (2, 4, 2))
        self.assertEqual(self._runs_by_record(), dict.fromkeys(self.leads[2:].ids, 1))
        self._drain()
        enrollments = self.env["workflow.enrollment"].browse([first["enrollment_id"], second["enrollment_id"]])
        self.assertEqual(enrollments.mapped("state"), ["done", "done"])
        # Once they are done, enrolling the same records again is on purpose.
        third = workflow.enroll(domain=self._ours())
        self.assertEqual(third["queued"], 4)
        self.assertEqual(self._runs_by_record(), dict.fromkeys(self.leads[2:].ids, 2))

    def test_one_active_run_per_record_applies_and_is_counted(self):
        self.workflow.single_active_run = True
        self.env["workflow.run"].sudo().create({
            "workflow_id": self.workflow.id, "state": "waiting", "res_model": "crm.lead", "res_id": self.leads[2].id,
            "event_type": "lead.created",
        })
        result = self.workflow.with_user(self.manager).enroll(domain=self._ours())
        self.assertEqual((result["count"], result["queued"]), (4, 3))
        self.assertEqual(self.workflow.concurrency_skip_count, 1)

    def test_records_are_those_both_the_run_as_user_and_the_caller_may_read(self):
        own = "base.group_user,sales_team.group_sale_salesman,workflow_engine.group_workflow_manager"
        ann = new_test_user(self.env, "wf_enroll_ann", groups=own)
        bob = new_test_user(self.env, "wf_enroll_bob", groups=own)
        self.leads[2:4].user_id = ann
        self.leads[3:5].user_id = bob
        self.leads[5].user_id = False
        workflow = self.workflow.with_user(self.admin)
        # Runs as Ann, who reads her own leads and those of nobody.
        workflow.run_as_user_id = ann
        result = workflow.enroll(domain=self._ours(), dry_run=True)
        self.assertEqual([record["id"] for record in result["records"]], [self.leads[2].id, self.leads[5].id])
        # The leads of Bob are rejected: not for their values, for the run-as user's rights.
        rejected = {record["id"]: record["explanation"] for record in result["rejected"]}
        self.assertIn("wf_enroll_ann (the run-as user) may not read it", rejected[self.leads[4].id])
        # Bob enrolls: his own leads and those of nobody, of which Ann may read only the latter.
        self.env.ref("workflow_engine.group_workflow_manager").users = [Command.link(bob.id)]
        result = workflow.with_user(bob).enroll(domain=self._ours())
        self.assertEqual(sorted(self.env["workflow.run"].search([
            ("enrollment_id", "=", result["enrollment_id"])]).mapped("res_id")), [self.leads[5].id])

    def test_a_condition_partly_decided_in_python(self):
        # icontains is no SQL comparison (casefold is no ilike): the search takes a superset.
        self.workflow.trigger_ids.conditions = {"and": [
            HIGH_VALUE, {"field": "name", "operator": "icontains", "value": "ENROLL 3"},
        ]}
        result = self.workflow.with_user(self.manager).enroll(domain=self._ours())
        self.assertEqual((result["count"], result["queued"]), (1, 1))
        self.assertEqual(self.env["workflow.enrollment"].browse(result["enrollment_id"]).run_ids.res_id,
                         self.leads[3].id)
        self.assertEqual(result["rejected_count"], 5)

    def test_the_entity_chooses_the_triggers(self):
        self.workflow.trigger_ids = [Command.create({
            "event_type": "contact.created", "conditions": {"field": "name", "operator": "eq", "value": "Enroll me"},
        })]
        contact = self.env["res.partner"].create({"name": "Enroll me"})
        self.env["res.partner"].create({"name": "Not me"})
        workflow = self.workflow.with_user(self.manager)
        self.assertEqual(workflow.enroll(domain=self._ours(), dry_run=True)["count"], 4)
        result = workflow.enroll(entity_type="contact")
        enrollment = self.env["workflow.enrollment"].browse(result["enrollment_id"])
        self.assertRecordValues(enrollment, [{"res_model": "res.partner", "entity_type": "contact", "total": 1}])
        self.assertEqual(enrollment.run_ids.res_id, contact.id)
        self.assertEqual(enrollment.run_ids.trigger_id, self.workflow.trigger_ids[1])

    def test_the_chain_depth_applies(self):
        self.env["ir.config_parameter"].sudo().set_param("workflow_engine.max_chain_depth", 1)
        result = self.workflow.with_user(self.manager).with_context(workflow_depth=1).enroll(domain=self._ours())
        enrollment = self.env["workflow.enrollment"].browse(result["enrollment_id"])
        self.assertEqual(set(enrollment.run_ids.mapped("error_code")), {"chain_too_deep"})
        self.assertRecordValues(enrollment, [{"state": "done", "failed": 4}])

    def test_view_runs(self):
        result = self.workflow.with_user(self.manager).enroll(domain=self._ours())
        enrollment = self.env["workflow.enrollment"].browse(result["enrollment_id"])
        action = enrollment.with_user(self.user).action_view_runs()
        self.assertEqual(self.env["workflow.run"].search(action["domain"]), enrollment.run_ids)
