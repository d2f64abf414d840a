"""Enrolling existing records (workflow.workflow.enroll, workflow.enrollment): the selection by the
triggers' conditions, the runs queued in batches, their progress, cancel and rights."""

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

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
