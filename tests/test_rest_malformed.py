"""Malformed requests get a 4xx with the documented error body, never a 500 (issue 11, point
12), and ``validate`` answers what create and PUT answer."""

import json
import xmlrpc.client

from odoo.tests import tagged
from odoo.tools import mute_logger

from odoo.addons.base.controllers.rpc import RPC_FAULT_CODE_WARNING

from .rest_common import OPENAPI, STAGE_CHANGE, RestApiCase, example_2

PAST_INTEGER = 2**31
PAST_BIGINT = 2**63
BAD_TEXTS = {"NUL": "a\x00b", "lone surrogate": "a\ud800b"}


def _deeply_nested(levels, leaf):
    for _level in range(levels):
        leaf = {"not": leaf}
    return leaf


@tagged("post_install", "-at_install")
class TestRestMalformedRequests(RestApiCase):
    def _definition_answers(self, document):
        """The answers of validate, create and PUT to ``document``, as (status, error code, paths)."""
        workflow = self.create_workflow()
        answers = []
        for method, path in (
            ("POST", "/api/v1/workflows/validate/"),
            ("POST", "/api/v1/workflows/"),
            ("PUT", f"/api/v1/workflows/{workflow.id}/"),
        ):
            # json.dumps writes a lone surrogate as the escape \ud800, which JSON allows.
            response = self.api(method, path, data=json.dumps(document), user=self.manager)
            error = response.json().get("error") or {}
            answers.append((response.status_code, error.get("code"), [detail["path"] for detail in error["details"]]))
        return answers

    def assertRefusedAlike(self, document, paths):
        self.assertEqual(self._definition_answers(document), [(422, "invalid_definition", paths)] * 3)

    def test_ids_past_a_postgresql_integer_are_404_on_every_id_route(self):
        workflow = self.create_workflow()
        execute = {"res_model": "crm.lead", "res_id": self.lead.id, "payload": STAGE_CHANGE}
        bodies = {"put": example_2(), "post": execute}
        enroll = {"dry_run": True}
        routes = [
            (method.upper(), template, enroll if template.endswith("/enroll/") else bodies.get(method))
            for template, item in OPENAPI["paths"].items() if "{id}" in template
            for method in item if method in bodies or method in ("get", "delete")
        ]
        self.assertEqual(len(routes), 9)
        for method, template, body in routes:
            for record_id in (PAST_INTEGER, PAST_BIGINT, 10**30):
                with self.subTest(route=f"{method} {template}", id=record_id):
                    path = template.replace("{id}", str(record_id))
                    self.error_of(self.api(method, path, body, user=self.manager), 404, "not_found")
        self.assertTrue(workflow.exists())

    def test_an_offset_past_a_postgresql_integer_is_400_naming_it(self):
        workflow = self.create_workflow()
        for path in ("/api/v1/workflows/", f"/api/v1/workflows/{workflow.id}/runs/",
                     f"/api/v1/workflows/{workflow.id}/versions/"):
            for offset in (PAST_INTEGER, PAST_BIGINT):
                with self.subTest(path=path, offset=offset):
                    response = self.api("GET", f"{path}?offset={offset}", user=self.user)
                    self.assertEqual(self.error_of(response, 400, "bad_request")["details"][0]["path"], "offset")
        last = self.api("GET", f"/api/v1/workflows/?offset={PAST_INTEGER - 1}", user=self.user).json()
        self.assertEqual((last["items"], last["next"]), ([], None))

    def test_a_limit_past_the_maximum_is_clamped_as_documented(self):
        self.assertIn("clamped to 200", OPENAPI["components"]["parameters"]["Limit"]["description"])
        self.assertNotIn("maximum", OPENAPI["components"]["parameters"]["Limit"]["schema"])
        page = self.api("GET", f"/api/v1/workflows/?limit={PAST_BIGINT}", user=self.user).json()
        self.assertEqual(page["limit"], 200)

    def test_a_run_as_user_or_company_past_a_postgresql_integer_is_refused_alike(self):
        for key in ("run_as_user_id", "company_id"):
            with self.subTest(key=key):
                self.assertRefusedAlike(example_2(**{key: 2**40}), [key])

    def test_an_action_type_that_is_no_string_is_refused_alike(self):
        for action_type in ({}, [], 3):
            with self.subTest(action_type=action_type):
                actions = [dict(example_2()["actions"][0], action_type=action_type)]
                self.assertRefusedAlike(example_2(actions=actions), ["actions[0].action_type"])

    def test_text_that_cannot_be_stored_is_refused_alike_with_its_path(self):
        for kind, text in BAD_TEXTS.items():
            with self.subTest(kind=kind):
                self.assertRefusedAlike(example_2(name=text), ["name"])
                self.assertRefusedAlike(example_2(description=text), ["description"])
                document = example_2()
                document["actions"][1]["config"]["note"] = text
                document["triggers"][0]["conditions"]["value"] = text
                self.assertRefusedAlike(document, ["triggers[0].conditions.value", "actions[1].config.note"])
                self.assertRefusedAlike(example_2(triggers=[{"event_type": "custom", "custom_event": text}]),
                                        ["triggers[0].custom_event"])

    def test_text_that_cannot_be_stored_in_an_execute_or_an_event_is_422_with_its_path(self):
        workflow = self.create_workflow(execution_mode="immediate")
        execute = f"/api/v1/workflows/{workflow.id}/execute/"
        record = {"res_model": "crm.lead", "res_id": self.lead.id}
        for kind, text in BAD_TEXTS.items():
            for path, body, bad_path in (
                (execute, dict(record, payload={"new_stage": text}), "payload.new_stage"),
                (execute, dict(record, payload={"stage" + text: "Won"}), "payload.stage"),
                ("/api/v1/events/", {"name": "invoice." + text}, "name"),
                ("/api/v1/events/", {"name": "invoice.overdue", "payload": {"note": [text]}}, "payload.note[0]"),
            ):
                with self.subTest(kind=kind, path=bad_path):
                    response = self.api("POST", path, data=json.dumps(body), user=self.user)
                    details = self.error_of(response, 422, "invalid_request")["details"]
                    self.assertEqual(len(details), 1, details)
                    self.assertTrue(details[0]["path"].startswith(bad_path), details)
        self.assertFalse(workflow.run_ids)

    def test_a_record_id_past_a_postgresql_integer_is_422_in_execute_and_events(self):
        workflow = self.create_workflow(execution_mode="immediate")
        for path, body, bad_path in (
            (f"/api/v1/workflows/{workflow.id}/execute/", {"res_model": "crm.lead", "res_id": PAST_INTEGER},
             "res_id"),
            ("/api/v1/events/", {"name": "x.y", "record": {"res_model": "crm.lead", "res_id": PAST_BIGINT}},
             "record.res_id"),
        ):
            with self.subTest(path=bad_path):
                details = self.error_of(self.api("POST", path, body, user=self.user), 422, "invalid_request")["details"]
                self.assertEqual([detail["path"] for detail in details], [bad_path])
        self.assertFalse(workflow.run_ids)

    def test_json_nested_a_thousand_levels_deep_is_refused(self):
        workflow = self.create_workflow(execution_mode="immediate")
        execute = f"/api/v1/workflows/{workflow.id}/execute/"
        too_deep_to_parse = "[" * 1000 + "]" * 1000
        for path in ("/api/v1/workflows/validate/", "/api/v1/workflows/", execute, "/api/v1/events/"):
            with self.subTest(path=path):
                response = self.api("POST", path, data=too_deep_to_parse, user=self.manager)
                self.assertIn("nested deeper", self.error_of(response, 400, "malformed_json")["message"])
        record = {"res_model": "crm.lead", "res_id": self.lead.id}
        deep_payload = dict(record, payload={"a": _deeply_nested(500, 1)})
        response = self.api("POST", execute, deep_payload, user=self.user)
        details = self.error_of(response, 422, "invalid_request")["details"]
        self.assertIn("nested deeper than 100 levels", details[0]["message"])
        self.assertTrue(details[0]["path"].startswith("payload.a.not.not"), details)
        conditions = _deeply_nested(500, {"field": "x", "operator": "eq", "value": 1})
        answers = self._definition_answers(example_2(triggers=[{"event_type": "deal.won", "conditions": conditions}]))
        self.assertEqual({answer[:2] for answer in answers}, {(422, "invalid_definition")})
        self.assertFalse(workflow.run_ids)

    def test_a_template_of_two_thousand_nested_ifs_is_refused_alike(self):
        document = example_2()
        document["actions"][1]["config"]["note"] = "{% if 1 %}" * 2000 + "x" + "{% endif %}" * 2000
        self.assertRefusedAlike(document, ["actions[1].config.note"])

    def test_dates_at_either_end_of_the_calendar_bound_the_runs_without_failing(self):
        workflow = self.create_workflow(execution_mode="immediate")
        run = workflow.execute("crm.lead", self.lead.id, STAGE_CHANGE)
        runs = f"/api/v1/workflows/{workflow.id}/runs/"
        for query in ("date_from=0001-01-01T00:00:00%2B05:00", "date_to=9999-12-31", "date_from=0001-01-01",
                      "date_to=9999-12-31T23:59:59-05:00", "date_to=9999-12-31T23:59:59.999999"):
            with self.subTest(query=query):
                page = self.api("GET", f"{runs}?{query}", user=self.user)
                self.assertEqual(page.status_code, 200, page.text)
                self.assertEqual([item["id"] for item in page.json()["items"]], [run.id])
        for query in ("date_to=0001-01-01T00:00:00%2B05:00", "date_from=9999-12-31T23:59:59-05:00"):
            with self.subTest(query=query):
                self.assertEqual(self.api("GET", f"{runs}?{query}", user=self.user).json()["items"], [])

    def test_a_number_is_an_integer_when_it_has_no_fraction_and_refused_past_a_float(self):
        # JSON Schema reads 10.0 as the integer 10; JSON has no infinity.
        created = self.api("POST", "/api/v1/workflows/", data=json.dumps(example_2()).replace(
            '"ordering": 1', '"ordering": 1.0'), user=self.manager)
        self.assertEqual(created.status_code, 201, created.text)
        self.assertEqual(created.json()["actions"][0]["ordering"], 1)
        response = self.api("POST", "/api/v1/workflows/validate/", data=b'{"name": "x", "priority": 1e400}',
                            user=self.manager)
        self.assertIn("out of range", self.error_of(response, 400, "malformed_json")["message"])


@tagged("post_install", "-at_install")
class TestRpcMalformedCalls(RestApiCase):
    """The same inputs over XML-RPC: a ValidationError naming the path, and answers that
    XML-RPC can send."""

    def xmlrpc(self, user, model, method, *args, **kwargs):
        return self.xmlrpc_object.execute_kw(
            self.env.cr.dbname, user.id, self.keys[user], model, method, list(args), kwargs
        )

    def create_over_xmlrpc(self, user, model, values, deep_key, deep_levels):
        """Create a ``model`` record over XML-RPC with ``values``, whose ``deep_key`` holds
        conditions nested ``deep_levels`` deep; the fault string, or None. The request is
        written by hand: xmlrpc.client writes nested values by recursion, which this deep a
        value would exhaust in the client already."""
        placeholder = "deep value"
        request = xmlrpc.client.dumps(
            (self.env.cr.dbname, user.id, self.keys[user], model, "create", [dict(values, **{deep_key: placeholder})],
             {}),
            "execute_kw",
        )
        leaf = xmlrpc.client.dumps(({"field": "x", "operator": "eq", "value": 1},))
        leaf = leaf.removeprefix("<params>\n<param>\n").removesuffix("</param>\n</params>\n")
        opening, closing = "<value><struct><member><name>not</name>", "</member></struct></value>"
        deep = opening * deep_levels + leaf + closing * deep_levels
        request = request.replace(f"<value><string>{placeholder}</string></value>", deep)
        self.assertIn("<name>not</name>", request)
        response = self.opener.post(f"{self.base_url()}/xmlrpc/2/object", data=request.encode(),
                                    headers={"Content-Type": "text/xml"}, timeout=60)
        try:
            xmlrpc.client.loads(response.content)
        except xmlrpc.client.Fault as fault:
            # A ValidationError, as Odoo tells it over XML-RPC; not a server error.
            self.assertEqual(fault.faultCode, RPC_FAULT_CODE_WARNING, fault.faultString)
            return fault.faultString
        return None

    @mute_logger("odoo.http")
    def test_conditions_nested_900_levels_deep_are_a_validation_error_with_the_path(self):
        workflow = self.create_workflow()
        for model, values, deep_key in (
            ("workflow.trigger", {"workflow_id": workflow.id, "event_type": "deal.won"}, "conditions"),
            ("workflow.action", {"workflow_id": workflow.id, "name": "Deep", "action_type": "add_note",
                                 "config": {"note": "x"}}, "config"),
        ):
            with self.subTest(model=model):
                fault = self.create_over_xmlrpc(self.manager, model, values, deep_key, 900)
                self.assertIsNotNone(fault)
                self.assertNotIn("RecursionError", fault)
                self.assertIn("nested deeper than 100 levels", fault)
                self.assertIn(f"{deep_key}.not.not.not", fault)
        text = json.dumps(_deeply_nested(900, {"field": "x", "operator": "eq", "value": 1}))
        with self.assertRaises(xmlrpc.client.Fault) as caught:
            self.xmlrpc(self.manager, "workflow.trigger", "create",
                        {"workflow_id": workflow.id, "event_type": "deal.won", "conditions": text})
        self.assertEqual(caught.exception.faultCode, RPC_FAULT_CODE_WARNING)
        self.assertIn("nested deeper than 100 levels", caught.exception.faultString)
        self.assertEqual(len(workflow.trigger_ids), 1)

    def test_a_dry_run_with_a_masked_field_the_action_schemas_and_the_statistics_are_marshalled(self):
        phone = self.env["ir.model.fields"]._get("crm.lead", "phone")
        self.env.company.workflow_masked_field_ids = [(4, phone.id)]
        self.lead.phone = "+32 470 12 34 56"
        workflow = self.create_workflow(example_2(triggers=[{"event_type": "deal.stage_changed"}], actions=[{
            "name": "Note", "action_type": "add_note", "config": {"note": "Call {{lead.phone}}"},
        }]))
        args = [[workflow.id], "crm.lead", self.lead.id, STAGE_CHANGE]
        result = self.xmlrpc(self.manager, "workflow.workflow", "dry_run", *args)
        note = result["actions"][0]["input"]["note"]
        self.assertTrue(note.startswith("Call ••••"), note)
        self.assertNotIn("12 34", note)
        self.assertFalse(result["actions"][0].get("error"))
        # XML-RPC has no null: a trigger without conditions has false ones there, null over JSON.
        self.assertIs(result["conditions"], False)
        call = {"service": "object", "method": "execute_kw", "args": [
            self.env.cr.dbname, self.manager.id, self.keys[self.manager], "workflow.workflow", "dry_run", args, {}]}
        over_json = self.opener.post(
            f"{self.base_url()}/jsonrpc", data=json.dumps({"jsonrpc": "2.0", "method": "call", "params": call}),
            headers={"Content-Type": "application/json"}, timeout=30,
        ).json()["result"]
        self.assertIsNone(over_json["conditions"])
        self.assertEqual(over_json["actions"][0]["input"]["note"], note)
        schemas = self.xmlrpc(self.manager, "workflow.workflow", "get_action_schemas")
        self.assertIn("add_note", schemas)
        statistics = self.xmlrpc(self.manager, "workflow.workflow", "get_run_statistics", [workflow.id])
        self.assertEqual(statistics[str(workflow.id)]["run_count"], 0)
        self.assertIs(statistics[str(workflow.id)]["avg_duration_ms"], False)
        self.assertIsNone(workflow.get_run_statistics()[workflow.id]["avg_duration_ms"])


@tagged("post_install", "-at_install")
class TestRestValidateAgrees(RestApiCase):
    """``validate`` refuses what create and PUT refuse, with the same status and paths, and
    accepts what they accept: it is how a client checks a document before it saves it."""

    def test_validate_answers_what_create_and_put_answer(self):
        workflow = self.create_workflow(user=self.admin)
        note = {"name": "Note", "action_type": "add_note", "config": {"note": "x"}}
        documents = {
            "valid": example_2(),
            "run as a Workflow User": example_2(run_as_user_id=self.user.id),
            "run as a user without workflow rights": example_2(run_as_user_id=self.outsider.id),
            "run as nobody": example_2(run_as_user_id=None),
            "an unknown operator": example_2(triggers=[{"event_type": "deal.won",
                                                        "conditions": {"field": "x", "operator": "near", "value": 1}}]),
            "a custom trigger without its event": example_2(triggers=[{"event_type": "custom"}]),
            "a template that does not parse": example_2(actions=[dict(note, config={"note": "{{ lead.name"})]),
            "a config key of no action type": example_2(actions=[dict(note, config={"note": "x", "fax": 1})]),
            "a rights field": example_2(actions=[{
                "name": "Rights", "action_type": "update_field",
                "config": {"entity_type": "lead", "field": "user_id", "value": 1}}]),
            "the queue_job backend": example_2(queue_backend="queue_job"),
            "a company of someone else": example_2(company_id=self.other_company.id),
        }
        for name, document in documents.items():
            with self.subTest(document=name):
                answers = []
                for method, path in (("POST", "/api/v1/workflows/validate/"), ("POST", "/api/v1/workflows/"),
                                     ("PUT", f"/api/v1/workflows/{workflow.id}/")):
                    response = self.api(method, path, document, user=self.admin)
                    error = response.json().get("error") if response.status_code >= 400 else None
                    answers.append((
                        "accepted" if response.status_code < 300 else response.status_code,
                        error and error["code"], error and sorted(detail["path"] for detail in error["details"]),
                    ))
                self.assertEqual(answers[0], answers[1], f"validate and create differ on {name}")
                self.assertEqual(answers[0], answers[2], f"validate and PUT differ on {name}")
