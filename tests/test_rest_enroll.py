"""POST /api/v1/workflows/{id}/enroll/: the dry run and the enrollment of existing records over
HTTP, as the OpenAPI document describes them, and every bad request refused with a 4xx."""

from odoo.tests import tagged

from .rest_common import RestApiCase

HIGH_VALUE_DEALS = {
    "name": "Follow high-value deals",
    "execution_mode": "queued",
    "triggers": [{"event_type": "deal.won", "conditions": {"field": "expected_revenue", "operator": "gte",
                                                           "value": 10000}}],
    "actions": [{"name": "Note", "action_type": "add_note", "ordering": 1, "config": {"note": "Enrolled."}}],
}


@tagged("post_install", "-at_install")
class TestRestEnroll(RestApiCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.small = cls.env["crm.lead"].create({"name": "Small deal", "type": "opportunity", "expected_revenue": 10})

    def setUp(self):
        super().setUp()
        self.workflow = self.create_workflow(HIGH_VALUE_DEALS, execution_mode="queued")
        self.path = f"/api/v1/workflows/{self.workflow.id}/enroll/"
        self.ours = [["id", "in", [self.lead.id, self.small.id, self.other_lead.id]]]

    def test_dry_run_counts_explains_and_starts_nothing(self):
        response = self.api("POST", self.path, {"domain": self.ours, "dry_run": True}, user=self.manager)
        self.assertEqual(response.status_code, 200, response.text)
        result = response.json()
        # The lead of the other company is none of the manager's.
        self.assertEqual((result["count"], result["rejected_count"]), (1, 1))
        self.assertEqual(result["records"][0]["id"], self.lead.id)
        self.assertEqual(result["records"][0]["display_name"], self.lead.display_name)
        self.assertIn("expected_revenue", result["records"][0]["explanation"])
        self.assertEqual([record["id"] for record in result["rejected"]], [self.small.id])
        self.assertNotIn("enrollment_id", result)
        self.assertFalse(self.env["workflow.run"].search([("workflow_id", "=", self.workflow.id)]))

    def test_enrollment_queues_runs_of_event_type_enrollment(self):
        response = self.api("POST", self.path, {"res_ids": [self.lead.id, self.small.id]}, user=self.manager)
        self.assertEqual(response.status_code, 202, response.text)
        result = response.json()
        self.assertEqual((result["count"], result["queued"]), (1, 1))
        enrollment = self.env["workflow.enrollment"].browse(result["enrollment_id"])
        self.assertEqual(enrollment.user_id, self.manager)
        runs = self.api("GET", f"/api/v1/workflows/{self.workflow.id}/runs/", user=self.user).json()["items"]
        self.assertEqual([(run["event_type"], run["res_id"], run["state"]) for run in runs],
                         [("enrollment", self.lead.id, "pending")])

    def test_a_workflow_user_is_refused(self):
        error = self.error_of(self.api("POST", self.path, {"dry_run": True}, user=self.user), 403, "forbidden")
        self.assertIn("Workflow Managers", error["message"])
        self.assertFalse(self.workflow.enrollment_ids)

    def test_another_company_s_workflow_is_not_found(self):
        self.error_of(self.api("POST", self.path, {"dry_run": True}, user=self.other_manager), 404, "not_found")

    def test_every_bad_request_is_refused_naming_what_is_wrong(self):
        for body, status, text in [
            ({"domain": [["foo", "=", 1]]}, 422, "domain[0]: unknown field 'foo' on crm.lead"),
            ({"domain": ["&", ["name", "=", "x"]]}, 422, "domain[0]: '&' needs 2 terms"),
            ({"domain": [["expected_revenue", ">", "lots"]]}, 422, "domain: "),
            ({"domain": {"name": "x"}}, 422, "domain: must be an array"),
            ({"res_ids": [self.lead.id, "x"]}, 422, "res_ids[1]"),
            ({"res_ids": [0]}, 422, "res_ids[0]"),
            ({"dry_run": "yes"}, 422, "dry_run: must be a boolean"),
            ({"entity_type": "contact"}, 422, "entity_type: no active trigger"),
            ({"entity_type": "planet"}, 422, "entity_type: 'planet' is no entity"),
            ({"limit": 3}, 422, "limit: unknown key"),
        ]:
            with self.subTest(body=body):
                response = self.api("POST", self.path, body, user=self.manager)
                self.assertIn(text, self.error_of(response, status, "invalid_request")["message"])
        self.assertFalse(self.workflow.enrollment_ids)
        self.assertFalse(self.env["workflow.run"].search([("workflow_id", "=", self.workflow.id)]))
