"""The REST API takes an API key as a bearer token and nothing else, JSON bodies only, and
answers the errors of its own routes only (issue 11, point 14)."""

import json

from werkzeug.exceptions import Forbidden

from odoo import http
from odoo.tests import tagged

from ..controllers.errors import is_api_endpoint
from .rest_common import STAGE_CHANGE, RestApiCase

FOREIGN_PATH = "/api/v1/another-addon/thing"
# What a browser adds to a top-level navigation, such as a form another site submits.
NAVIGATION_HEADERS = {
    "Sec-Fetch-Dest": "document", "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Site": "same-origin", "Sec-Fetch-User": "?1",
}


class AnotherAddonController(http.Controller):
    """A route of another addon under the API's prefix: its errors are its own."""

    @http.route(FOREIGN_PATH, type="http", auth="none", methods=["GET"], csrf=False)
    def thing(self):
        raise Forbidden("Refused by another addon.")


@tagged("post_install", "-at_install")
class TestRestAccess(RestApiCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # The routing map was built before this module defined its controller.
        cls.env.registry.clear_cache("routing")

    def _execute_url(self, workflow):
        return f"{self.base_url()}/api/v1/workflows/{workflow.id}/execute/"

    def test_a_browser_session_without_an_api_key_is_401_and_runs_nothing(self):
        workflow = self.create_workflow(execution_mode="immediate")
        self.authenticate("rest_user", "rest_user")
        body = json.dumps({"res_model": "crm.lead", "res_id": self.lead.id, "payload": STAGE_CHANGE})
        for content_type in ("text/plain", "application/json"):
            with self.subTest(content_type=content_type):
                response = self.opener.post(
                    self._execute_url(workflow), data=body, timeout=30,
                    headers=dict(NAVIGATION_HEADERS, **{"Content-Type": content_type}),
                )
                self.error_of(response, 401, "unauthorized")
                self.assertEqual(response.headers["WWW-Authenticate"], "Bearer")
        read = self.opener.get(f"{self.base_url()}/api/v1/workflows/{workflow.id}/", headers=NAVIGATION_HEADERS)
        self.error_of(read, 401, "unauthorized")
        self.assertFalse(workflow.run_ids)

    def test_a_key_in_another_scheme_is_401(self):
        for scheme in ("Basic", "Token", ""):
            with self.subTest(scheme=scheme):
                headers = {"Authorization": f"{scheme} {self.keys[self.user]}".strip()}
                self.error_of(self.api("GET", "/api/v1/workflows/", headers=headers), 401, "unauthorized")
        self.assertEqual(self.api("GET", "/api/v1/workflows/", headers={
            "Authorization": f"bearer {self.keys[self.user]}"}).status_code, 200)

    def test_a_session_and_a_key_run_as_the_key_user(self):
        self.authenticate("rest_manager", "rest_manager")
        response = self.api("GET", "/api/v1/workflows/", user=self.user)
        self.assertEqual(response.status_code, 200, response.text)
        forbidden = self.api("POST", "/api/v1/workflows/", {"name": "By the key's user"}, user=self.user)
        self.error_of(forbidden, 403, "forbidden")

    def test_a_body_that_is_not_sent_as_json_is_415_and_runs_nothing(self):
        workflow = self.create_workflow(execution_mode="immediate")
        body = json.dumps({"res_model": "crm.lead", "res_id": self.lead.id, "payload": STAGE_CHANGE})
        for content_type in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
                             "application/json-patch+json", None):
            with self.subTest(content_type=content_type):
                # None: no Content-Type at all.
                response = self.api("POST", f"/api/v1/workflows/{workflow.id}/execute/", data=body, user=self.user,
                                    headers={"Content-Type": content_type})
                error = self.error_of(response, 415, "unsupported_media_type")
                self.assertIn("application/json", error["message"])
        self.assertFalse(workflow.run_ids)
        charset = self.api("POST", f"/api/v1/workflows/{workflow.id}/execute/", data=body, user=self.user,
                           headers={"Content-Type": "application/json; charset=utf-8"})
        self.assertEqual(charset.status_code, 200, charset.text)

    def test_the_routes_of_another_addon_under_the_prefix_keep_their_own_errors(self):
        routes = self.env["ir.http"].routing_map()
        rule = next(rule for rule in routes.iter_rules() if rule.rule == FOREIGN_PATH)
        self.assertFalse(is_api_endpoint(rule.endpoint))
        refused = self.opener.get(self.base_url() + FOREIGN_PATH, timeout=30)
        self.assertEqual(refused.status_code, 403)
        self.assertNotIn("application/json", refused.headers.get("Content-Type", ""))
        self.assertIn("Refused by another addon.", refused.text)
        wrong_method = self.opener.post(self.base_url() + FOREIGN_PATH, timeout=30)
        self.assertEqual(wrong_method.status_code, 405)
        self.assertNotIn('"error"', wrong_method.text)
        # A path under the prefix that no addon serves is the API's to answer.
        self.error_of(self.api("GET", "/api/v1/no-such-thing/", user=self.user), 404, "not_found")
