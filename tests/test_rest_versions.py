from odoo.tests import tagged

from .rest_common import RestApiCase, example_2


@tagged("post_install", "-at_install")
class TestRestVersions(RestApiCase):
    def test_versions_are_listed_newest_first_with_their_definition_and_changes(self):
        created = self.api("POST", "/api/v1/workflows/", example_2(), user=self.manager).json()
        self.api("PUT", f"/api/v1/workflows/{created['id']}/", example_2(priority=30), user=self.manager)
        response = self.api("GET", f"/api/v1/workflows/{created['id']}/versions/", user=self.user)
        self.assertEqual(response.status_code, 200, response.text)
        page = response.json()
        self.assertEqual(page["count"], 2)
        self.assertEqual([item["version"] for item in page["items"]], [2, 1])
        latest, first = page["items"]
        self.assertEqual((latest["author_id"], latest["workflow_id"]), (self.manager.id, created["id"]))
        self.assertEqual(latest["changes"], "priority: 10 → 30")
        self.assertIsNone(first["changes"])
        self.assertEqual(first["definition"]["priority"], 10)
        self.assertEqual(latest["definition"]["actions"][0]["name"], "E-mail the deal owner")
        self.assertNotIn("id", latest["definition"])

    def test_versions_are_paginated_like_runs(self):
        workflow = self.create_workflow()
        for priority in (11, 12):
            workflow.with_user(self.manager).write({"priority": priority})
        page = self.api("GET", f"/api/v1/workflows/{workflow.id}/versions/?limit=2", user=self.user).json()
        self.assertEqual(([item["version"] for item in page["items"]], page["count"], page["next_offset"]),
                         ([3, 2], 3, 2))
        self.assertIn("offset=2", page["next"])

    def test_versions_of_a_hidden_workflow_are_404_and_outsiders_get_403(self):
        workflow = self.create_workflow(user=self.other_manager)
        self.error_of(self.api("GET", f"/api/v1/workflows/{workflow.id}/versions/", user=self.user), 404, "not_found")
        self.error_of(self.api("GET", f"/api/v1/workflows/{workflow.id}/versions/", user=self.outsider),
                      403, "forbidden")
