from odoo.tests import tagged

from .rest_common import RestApiCase

SPLIT = {
    "name": "Split over REST",
    "execution_mode": "immediate",
    "goal_conditions": {"field": "probability", "operator": "gte", "value": 50},
    "actions": [
        {"name": "Split", "action_type": "split", "ordering": 1, "key": "ab",
         "config": {"variants": {"A": 50, "B": 50}}},
        {"name": "Never", "action_type": "add_note", "ordering": 2, "config": {"note": "{{steps.ab.output.variant}}"},
         "conditions": {"field": "steps.ab.output.variant", "operator": "eq", "value": "C"}},
    ],
}


@tagged("post_install", "-at_install")
class TestRestSteps(RestApiCase):
    """Step keys, action conditions, goal conditions and A/B splits in the definition, run and
    variant documents, every answer checked against the OpenAPI document."""

    def test_a_split_its_skipped_action_and_its_variant_statistics(self):
        created = self.api("POST", "/api/v1/workflows/", SPLIT, user=self.manager)
        self.assertEqual(created.status_code, 201, created.text)
        document = created.json()
        self.assertEqual(document["goal_conditions"], SPLIT["goal_conditions"])
        self.assertEqual([(action["key"], action["conditions"]) for action in document["actions"]],
                         [("ab", None), (None, SPLIT["actions"][1]["conditions"])])
        workflow_id = document["id"]
        executed = self.api("POST", f"/api/v1/workflows/{workflow_id}/execute/",
                            {"res_model": "crm.lead", "res_id": self.lead.id}, user=self.user)
        self.assertEqual(executed.status_code, 200, executed.text)
        split, never = executed.json()["action_runs"]
        self.assertIn(split["output"]["variant"], ("A", "B"))
        self.assertEqual((never["state"], never["explanation"]["result"]), ("skipped", False))
        statistics = self.api("GET", f"/api/v1/workflows/{workflow_id}/variants/?days=30", user=self.user).json()
        self.assertEqual(statistics["days"], 30)
        [variants] = [item["variants"] for item in statistics["splits"]]
        self.assertEqual(sum(variant["records"] for variant in variants), 1)
        self.assertEqual(statistics["splits"][0]["p_value"], None)

    def test_run_workflow_of_no_workflow_is_refused_with_its_path(self):
        document = dict(SPLIT, actions=[
            {"name": "Sub", "action_type": "run_workflow", "config": {"workflow": 987654}},
        ])
        error = self.error_of(self.api("POST", "/api/v1/workflows/", document, user=self.manager), 422,
                              "invalid_definition")
        self.assertEqual(error["details"], [{
            "code": "invalid_definition", "message": "no workflow 987654 in the company",
            "path": "actions[0].config.workflow",
        }])
