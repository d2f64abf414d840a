"""What the REST API tests share: users of each role with their API keys, an HTTP client
that checks every answer against the OpenAPI document, and the design's Example 2."""

import copy
import json
import re
from pathlib import Path

from odoo import Command
from odoo.tests import HttpCase, new_test_user

OPENAPI_FILE = Path(__file__).parents[1] / "controllers" / "openapi.json"
OPENAPI = json.loads(OPENAPI_FILE.read_text())
SALES_GROUPS = "base.group_user,sales_team.group_sale_salesman_all_leads"
HTTP_METHODS = ("get", "put", "post", "delete", "patch")

EXAMPLE_2 = {
    "name": "Deal reached Proposition",
    "description": "When an opportunity moves to Proposition: e-mail its owner, note it, move the forecast.",
    "triggers": [{
        "event_type": "deal.stage_changed",
        "conditions": {"field": "new_stage", "operator": "eq", "value": "Proposition"},
    }],
    "actions": [
        {"name": "E-mail the deal owner", "action_type": "send_email", "ordering": 1, "allow_failure": True,
         "config": {"to": "{{deal.owner.email}}", "subject": "{{deal.name}} reached {{new_stage}}",
                    "body": "The deal {{deal.name}} moved from {{old_stage}} to {{new_stage}}."}},
        {"name": "Note on the timeline", "action_type": "add_note", "ordering": 2,
         "config": {"entity_type": "deal", "entity_id": "{{deal.id}}",
                    "note": "Moved from {{old_stage}} to {{new_stage}}.", "visibility": "internal"}},
        {"name": "Update the forecast", "action_type": "update_field", "ordering": 3,
         "config": {"entity_type": "deal", "entity_id": "{{deal.id}}", "field": "date_deadline",
                    "value": "{{today+30}}"}},
    ],
}
STAGE_CHANGE = {"old_stage": "Qualified", "new_stage": "Proposition"}


def example_2(**changes):
    """A copy of the design's Example 2 as a definition document, with ``changes``."""
    return dict(copy.deepcopy(EXAMPLE_2), **changes)


def resolve(node):
    """``node`` of the OpenAPI document with its $ref followed."""
    while "$ref" in node:
        target = OPENAPI
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def _has_type(value, json_type):
    return {
        "object": isinstance(value, dict),
        "array": isinstance(value, list),
        "string": isinstance(value, str),
        "integer": isinstance(value, int) and not isinstance(value, bool),
        "number": isinstance(value, (int, float)) and not isinstance(value, bool),
        "boolean": isinstance(value, bool),
        "null": value is None,
    }[json_type]


def schema_errors(value, schema, path="$"):
    """Where ``value`` does not fit the JSON Schema ``schema``, for the keywords the OpenAPI
    document uses: $ref, allOf, type, const, enum, required, properties, additionalProperties
    and items."""
    schema = resolve(schema)
    errors = []
    for part in schema.get("allOf", ()):
        errors += schema_errors(value, part, path)
    types = schema.get("type")
    if types and not any(_has_type(value, json_type) for json_type in ([types] if isinstance(types, str) else types)):
        return errors + [f"{path}: {value!r} is not of type {types}"]
    if "const" in schema and value != schema["const"]:
        errors.append(f"{path}: {value!r} is not {schema['const']!r}")
    if "enum" in schema and value not in schema["enum"]:
        errors.append(f"{path}: {value!r} is not one of {schema['enum']}")
    if isinstance(value, dict):
        properties = schema.get("properties", {})
        errors += [f"{path}: missing {key!r}" for key in schema.get("required", ()) if key not in value]
        for key, item in value.items():
            if key in properties:
                errors += schema_errors(item, properties[key], f"{path}.{key}")
            elif schema.get("additionalProperties") is False:
                errors.append(f"{path}: undocumented key {key!r}")
    if isinstance(value, list) and "items" in schema:
        for index, item in enumerate(value):
            errors += schema_errors(item, schema["items"], f"{path}[{index}]")
    return errors


def documented_operation(method, path):
    """``(path template, operation)`` of the OpenAPI document for a request, or None."""
    for template, item in OPENAPI["paths"].items():
        if template == path and method.lower() in item:
            return template, item[method.lower()]
    for template, item in OPENAPI["paths"].items():
        pattern = re.sub(r"\\\{[a-z_]+\\\}", "-?[0-9]+", re.escape(template))
        if re.fullmatch(pattern, path) and method.lower() in item:
            return template, item[method.lower()]
    return None


class RestApiCase(HttpCase):
    """Users of each role, in the main company, with an API key each; a manager of another
    company; a lead in each company."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.company
        cls.other_company = cls.env["res.company"].create({"name": "Other Company"})
        cls.user = cls._user("rest_user", "workflow_engine.group_workflow_user")
        cls.manager = cls._user("rest_manager", "workflow_engine.group_workflow_manager")
        cls.admin = cls._user("rest_admin", "workflow_engine.group_workflow_admin")
        cls.outsider = cls._user("rest_outsider", None)
        cls.other_manager = cls._user(
            "rest_other_manager", "workflow_engine.group_workflow_manager", company=cls.other_company
        )
        cls.keys = {
            user: cls.env["res.users.apikeys"].with_user(user).sudo()._generate(None, "REST API tests", None)
            for user in (cls.user, cls.manager, cls.admin, cls.outsider, cls.other_manager)
        }
        cls.lead = cls.env["crm.lead"].create({
            "name": "Acme: 50 desks", "type": "opportunity", "expected_revenue": 42000, "user_id": cls.manager.id,
        })
        cls.other_lead = cls.env["crm.lead"].create({
            "name": "Other: 3 chairs", "type": "opportunity", "company_id": cls.other_company.id,
        })

    @classmethod
    def _user(cls, login, workflow_group, company=None):
        groups = SALES_GROUPS + (f",{workflow_group}" if workflow_group else "")
        company = company or cls.company
        return new_test_user(
            cls.env, login, groups=groups, email=f"{login}@example.com",
            company_id=company.id, company_ids=[Command.set(company.ids)],
        )

    def api(self, method, path, body=None, *, user=None, key=None, data=None, headers=None):
        """Send a request to the API as ``user`` (with their key) or with ``key``, the JSON
        ``body`` or the raw ``data`` (as JSON unless ``headers`` name another type); check
        that its answer is the one the OpenAPI document describes for its status, and return it."""
        headers = dict(headers or {})
        token = key if key is not None else self.keys.get(user)
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if body is not None:
            data = json.dumps(body)
        if data is not None and not isinstance(data, dict):
            # Raw data is sent as JSON unless the test says otherwise; a dict is a form.
            headers.setdefault("Content-Type", "application/json")
        response = self.opener.request(method, self.base_url() + path, data=data, headers=headers, timeout=30)
        self.assert_documented(method, path.split("?")[0], response)
        return response

    def assert_documented(self, method, path, response):
        found = documented_operation(method, path)
        if found is None:
            # Paths and methods that the API does not have answer with the common error body.
            self.assertIn(response.status_code, (404, 405), f"{method} {path} is not documented")
            self.assertEqual(schema_errors(response.json(), {"$ref": "#/components/schemas/Error"}), [])
            return
        template, operation = found
        status = str(response.status_code)
        self.assertIn(
            status, operation["responses"],
            f"{method} {template} answered {status}, which the OpenAPI document does not list: {response.text}",
        )
        documented = resolve(operation["responses"][status])
        for header in documented.get("headers", {}):
            self.assertIn(header, response.headers, f"{method} {template} {status} lacks the header {header}")
        content = documented.get("content", {}).get("application/json")
        if content is None:
            self.assertEqual(response.content, b"", f"{method} {template} {status} should have no body")
            return
        self.assertEqual(response.headers["Content-Type"].split(";")[0], "application/json")
        errors = schema_errors(response.json(), content["schema"])
        self.assertEqual(errors, [], f"{method} {template} {status} does not match the OpenAPI document")

    def error_of(self, response, status, code):
        """The ``error`` object of an error answer, once its status and code are checked."""
        self.assertEqual(response.status_code, status, response.text)
        error = response.json()["error"]
        self.assertEqual(error["code"], code, error)
        return error

    def create_workflow(self, document=None, user=None, execution_mode="immediate"):
        """A workflow created through the ORM as ``user`` (the manager by default), running its
        actions in ``execution_mode``."""
        workflows = self.env["workflow.workflow"].with_user(user or self.manager)
        return workflows.with_context(default_execution_mode=execution_mode)._from_document(document or example_2())
