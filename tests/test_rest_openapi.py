import json
import re

from odoo.tests import tagged

from ..controllers.errors import is_api_endpoint
from .rest_common import HTTP_METHODS, OPENAPI, STAGE_CHANGE, RestApiCase, example_2, resolve

ONE_MEBIBYTE = 1024 * 1024
TEXT = {"Content-Type": "text/plain"}


def _references(node):
    if isinstance(node, dict):
        if "$ref" in node:
            yield node["$ref"]
        for value in node.values():
            yield from _references(value)
    elif isinstance(node, list):
        for value in node:
            yield from _references(value)


def _operations():
    for template, item in OPENAPI["paths"].items():
        for method, operation in item.items():
            if method in HTTP_METHODS:
                yield template, method.upper(), operation


@tagged("post_install", "-at_install")
class TestRestOpenapi(RestApiCase):
    def test_the_document_is_openapi_3_1_and_every_reference_resolves(self):
        self.assertEqual(OPENAPI["openapi"], "3.1.0")
        for reference in set(_references(OPENAPI)):
            self.assertTrue(reference.startswith("#/components/"), reference)
            resolve({"$ref": reference})
        for template, method, operation in _operations():
            statuses = set(operation["responses"])
            with self.subTest(operation=f"{method} {template}"):
                if operation.get("security") != []:
                    self.assertIn("401", statuses)
                    self.assertIn("403", statuses)
                if "requestBody" in operation:
                    self.assertTrue({"400", "413", "415"} <= statuses)

    def test_the_served_document_is_the_one_in_the_repository(self):
        response = self.api("GET", "/api/v1/openapi.json")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.json(), OPENAPI)

    def test_every_route_of_the_api_is_documented_and_every_documented_route_exists(self):
        routes = set()
        for rule in self.env["ir.http"].routing_map().iter_rules():
            # Other addons may have routes under the prefix too: they are not the API's.
            if rule.rule.startswith("/api/v1/") and is_api_endpoint(rule.endpoint):
                template = re.sub(r"<(?:\w+:)?\w+>", "{id}", rule.rule)
                routes |= {(template, method) for method in rule.methods - {"HEAD", "OPTIONS"}}
        self.assertEqual(routes, {(template, method) for template, method, _operation in _operations()})

    def test_every_documented_answer_happens_and_matches_the_document(self):
        workflow = self.create_workflow()
        doomed = self.create_workflow(example_2(name="To delete"))
        run = workflow.execute("crm.lead", self.lead.id, STAGE_CHANGE)
        # Until the engine queues runs, a queued one is logged by hand.
        self.env["workflow.run"].create({
            "workflow_id": workflow.id, "state": "pending", "res_model": "crm.lead", "res_id": self.lead.id,
            "payload": STAGE_CHANGE, "idempotency_key": "queued", "company_id": self.company.id,
            "event_type": "manual",
        })
        user, manager, outsider = self.user, self.manager, self.outsider
        execute = {"res_model": "crm.lead", "res_id": self.lead.id, "payload": STAGE_CHANGE}
        record = {"res_model": "crm.lead", "res_id": self.lead.id}
        event = {"name": "invoice.overdue", "payload": {"amount": 5}, "record": record}
        huge = example_2(description="x" * ONE_MEBIBYTE)
        invalid = example_2(triggers=[{"event_type": "deal.closed"}])
        workflows = "/api/v1/workflows/"
        one = f"/api/v1/workflows/{workflow.id}/"
        missing = "/api/v1/workflows/999999/"

        def call(method, path, body=None, **options):
            return lambda: self.api(method, path, body, **options)

        scenarios = {
            (workflows, "GET", "200"): call("GET", workflows, user=user),
            (workflows, "GET", "400"): call("GET", f"{workflows}?limit=0", user=user),
            (workflows, "GET", "401"): call("GET", workflows),
            (workflows, "GET", "403"): call("GET", workflows, user=outsider),
            (workflows, "POST", "201"): call("POST", workflows, example_2(), user=manager),
            (workflows, "POST", "400"): call("POST", workflows, data=b"{", user=manager),
            (workflows, "POST", "401"): call("POST", workflows, example_2()),
            (workflows, "POST", "403"): call("POST", workflows, example_2(), user=user),
            (workflows, "POST", "413"): call("POST", workflows, huge, user=manager),
            (workflows, "POST", "415"): call("POST", workflows, data=b"{}", user=manager, headers=TEXT),
            (workflows, "POST", "422"): call("POST", workflows, invalid, user=manager),
            ("/api/v1/workflows/validate/", "POST", "200"): call(
                "POST", "/api/v1/workflows/validate/", example_2(), user=user),
            ("/api/v1/workflows/validate/", "POST", "400"): call(
                "POST", "/api/v1/workflows/validate/", data=b"[", user=user),
            ("/api/v1/workflows/validate/", "POST", "401"): call("POST", "/api/v1/workflows/validate/", example_2()),
            ("/api/v1/workflows/validate/", "POST", "403"): call(
                "POST", "/api/v1/workflows/validate/", example_2(), user=outsider),
            ("/api/v1/workflows/validate/", "POST", "413"): call(
                "POST", "/api/v1/workflows/validate/", huge, user=user),
            ("/api/v1/workflows/validate/", "POST", "415"): call(
                "POST", "/api/v1/workflows/validate/", data=b"{}", user=user, headers=TEXT),
            ("/api/v1/workflows/validate/", "POST", "422"): call(
                "POST", "/api/v1/workflows/validate/", invalid, user=user),
            ("/api/v1/workflows/{id}/", "GET", "200"): call("GET", one, user=user),
            ("/api/v1/workflows/{id}/", "GET", "401"): call("GET", one),
            ("/api/v1/workflows/{id}/", "GET", "403"): call("GET", one, user=outsider),
            ("/api/v1/workflows/{id}/", "GET", "404"): call("GET", missing, user=user),
            ("/api/v1/workflows/{id}/", "PUT", "200"): call(
                "PUT", one, example_2(execution_mode="immediate"), user=manager),
            ("/api/v1/workflows/{id}/", "PUT", "400"): call("PUT", one, data=b"{'name': 1}", user=manager),
            ("/api/v1/workflows/{id}/", "PUT", "401"): call("PUT", one, example_2()),
            ("/api/v1/workflows/{id}/", "PUT", "403"): call("PUT", one, example_2(), user=user),
            ("/api/v1/workflows/{id}/", "PUT", "404"): call("PUT", missing, example_2(), user=manager),
            ("/api/v1/workflows/{id}/", "PUT", "413"): call("PUT", one, huge, user=manager),
            ("/api/v1/workflows/{id}/", "PUT", "415"): call("PUT", one, data=b"{}", user=manager, headers=TEXT),
            ("/api/v1/workflows/{id}/", "PUT", "422"): call("PUT", one, invalid, user=manager),
            ("/api/v1/workflows/{id}/", "DELETE", "204"): call("DELETE", f"{workflows}{doomed.id}/", user=manager),
            ("/api/v1/workflows/{id}/", "DELETE", "401"): call("DELETE", one),
            ("/api/v1/workflows/{id}/", "DELETE", "403"): call("DELETE", one, user=user),
            ("/api/v1/workflows/{id}/", "DELETE", "404"): call("DELETE", missing, user=manager),
            ("/api/v1/workflows/{id}/execute/", "POST", "200"): call("POST", f"{one}execute/", execute, user=user),
            ("/api/v1/workflows/{id}/execute/", "POST", "202"): call(
                "POST", f"{one}execute/", execute, user=user, headers={"Idempotency-Key": "queued"}),
            ("/api/v1/workflows/{id}/execute/", "POST", "400"): call(
                "POST", f"{one}execute/", data=b"res_id=1", user=user),
            ("/api/v1/workflows/{id}/execute/", "POST", "401"): call("POST", f"{one}execute/", execute),
            ("/api/v1/workflows/{id}/execute/", "POST", "403"): call(
                "POST", f"{one}execute/", execute, user=outsider),
            ("/api/v1/workflows/{id}/execute/", "POST", "404"): call(
                "POST", f"{missing}execute/", execute, user=user),
            ("/api/v1/workflows/{id}/execute/", "POST", "409"): call(
                "POST", f"{one}execute/", dict(execute, payload={"new_stage": "Won"}), user=user,
                headers={"Idempotency-Key": "queued"}),
            ("/api/v1/workflows/{id}/execute/", "POST", "413"): call("POST", f"{one}execute/", huge, user=user),
            ("/api/v1/workflows/{id}/execute/", "POST", "415"): call(
                "POST", f"{one}execute/", data=json.dumps(execute), user=user, headers=TEXT),
            ("/api/v1/workflows/{id}/execute/", "POST", "422"): call(
                "POST", f"{one}execute/", dict(execute, res_model="no.such.model"), user=user),
            ("/api/v1/workflows/{id}/enroll/", "POST", "200"): call(
                "POST", f"{one}enroll/", {"dry_run": True}, user=manager),
            ("/api/v1/workflows/{id}/enroll/", "POST", "202"): call(
                "POST", f"{one}enroll/", {"res_ids": [self.lead.id]}, user=manager),
            ("/api/v1/workflows/{id}/enroll/", "POST", "400"): call("POST", f"{one}enroll/", data=b"{", user=manager),
            ("/api/v1/workflows/{id}/enroll/", "POST", "401"): call("POST", f"{one}enroll/", {}),
            ("/api/v1/workflows/{id}/enroll/", "POST", "403"): call("POST", f"{one}enroll/", {}, user=user),
            ("/api/v1/workflows/{id}/enroll/", "POST", "404"): call("POST", f"{missing}enroll/", {}, user=manager),
            ("/api/v1/workflows/{id}/enroll/", "POST", "413"): call("POST", f"{one}enroll/", huge, user=manager),
            ("/api/v1/workflows/{id}/enroll/", "POST", "415"): call(
                "POST", f"{one}enroll/", data=b"{}", user=manager, headers=TEXT),
            ("/api/v1/workflows/{id}/enroll/", "POST", "422"): call(
                "POST", f"{one}enroll/", {"domain": [["foo", "=", 1]]}, user=manager),
            ("/api/v1/workflows/{id}/runs/", "GET", "200"): call("GET", f"{one}runs/", user=user),
            ("/api/v1/workflows/{id}/runs/", "GET", "400"): call("GET", f"{one}runs/?state=done", user=user),
            ("/api/v1/workflows/{id}/runs/", "GET", "401"): call("GET", f"{one}runs/"),
            ("/api/v1/workflows/{id}/runs/", "GET", "403"): call("GET", f"{one}runs/", user=outsider),
            ("/api/v1/workflows/{id}/runs/", "GET", "404"): call("GET", f"{missing}runs/", user=user),
            ("/api/v1/workflows/{id}/versions/", "GET", "200"): call("GET", f"{one}versions/", user=user),
            ("/api/v1/workflows/{id}/versions/", "GET", "400"): call("GET", f"{one}versions/?limit=0", user=user),
            ("/api/v1/workflows/{id}/versions/", "GET", "401"): call("GET", f"{one}versions/"),
            ("/api/v1/workflows/{id}/versions/", "GET", "403"): call("GET", f"{one}versions/", user=outsider),
            ("/api/v1/workflows/{id}/versions/", "GET", "404"): call("GET", f"{missing}versions/", user=user),
            ("/api/v1/workflows/{id}/variants/", "GET", "200"): call("GET", f"{one}variants/", user=user),
            ("/api/v1/workflows/{id}/variants/", "GET", "400"): call("GET", f"{one}variants/?days=0", user=user),
            ("/api/v1/workflows/{id}/variants/", "GET", "401"): call("GET", f"{one}variants/"),
            ("/api/v1/workflows/{id}/variants/", "GET", "403"): call("GET", f"{one}variants/", user=outsider),
            ("/api/v1/workflows/{id}/variants/", "GET", "404"): call("GET", f"{missing}variants/", user=user),
            ("/api/v1/workflow-runs/{id}/", "GET", "200"): call("GET", f"/api/v1/workflow-runs/{run.id}/", user=user),
            ("/api/v1/workflow-runs/{id}/", "GET", "401"): call("GET", f"/api/v1/workflow-runs/{run.id}/"),
            ("/api/v1/workflow-runs/{id}/", "GET", "403"): call(
                "GET", f"/api/v1/workflow-runs/{run.id}/", user=outsider),
            ("/api/v1/workflow-runs/{id}/", "GET", "404"): call("GET", "/api/v1/workflow-runs/999999/", user=user),
            ("/api/v1/events/", "POST", "200"): call("POST", "/api/v1/events/", event, user=user),
            ("/api/v1/events/", "POST", "400"): call("POST", "/api/v1/events/", data=b"", user=user),
            ("/api/v1/events/", "POST", "401"): call("POST", "/api/v1/events/", event),
            ("/api/v1/events/", "POST", "403"): call("POST", "/api/v1/events/", event, user=outsider),
            ("/api/v1/events/", "POST", "404"): call(
                "POST", "/api/v1/events/", dict(event, record=dict(record, res_id=999999)), user=user),
            ("/api/v1/events/", "POST", "413"): call("POST", "/api/v1/events/", huge, user=user),
            ("/api/v1/events/", "POST", "415"): call(
                "POST", "/api/v1/events/", data=json.dumps(event), user=user, headers=TEXT),
            ("/api/v1/events/", "POST", "422"): call("POST", "/api/v1/events/", {"payload": {}}, user=user),
            ("/api/v1/openapi.json", "GET", "200"): call("GET", "/api/v1/openapi.json"),
        }
        documented = {
            (template, method, status)
            for template, method, operation in _operations()
            for status in operation["responses"]
        }
        self.assertEqual(set(scenarios), documented, "each documented answer needs a scenario here")
        for (template, method, status), send in scenarios.items():
            with self.subTest(answer=f"{method} {template} {status}"):
                response = send()
                self.assertEqual(response.status_code, int(status), response.text)

    def test_a_method_a_documented_path_lacks_answers_as_the_document_says(self):
        documented = resolve(OPENAPI["components"]["responses"]["MethodNotAllowed"])
        response = self.api("PATCH", "/api/v1/workflows/", example_2(), user=self.manager)
        self.error_of(response, 405, "method_not_allowed")
        self.assertTrue(set(documented["headers"]) <= set(response.headers))
        referenced = set(_references(OPENAPI["paths"]))
        unused = {
            name for name in OPENAPI["components"]["responses"]
            if f"#/components/responses/{name}" not in referenced
        }
        self.assertEqual(unused, {"MethodNotAllowed"}, "the other responses are checked with their operations")
