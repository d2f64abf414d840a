from datetime import date

import pytest

from engine import actions, templates
from engine.actions import ACTION_TYPES, ENTITY_TYPES, check_rendered, validate_config
from engine.exceptions import ConfigError, TemplateError

DESIGN_CONFIGS = {
    "send_email": {
        "to": "{{lead.email}}",
        "subject": "Welcome to our platform",
        "template": "welcome_email",
        "variables": {"first_name": "{{lead.first_name}}"},
    },
    "add_note": {
        "entity_type": "lead",
        "entity_id": "{{lead.id}}",
        "note": "Lead automatically qualified based on score",
        "visibility": "internal",
    },
    "update_field": {
        "entity_type": "lead",
        "entity_id": "{{lead.id}}",
        "field": "status",
        "value": "contacted",
    },
    "enqueue_export": {
        "export_type": "csv",
        "entity_type": "lead",
        "filters": {"status": "qualified", "created_at__gte": "{{today-30}}"},
        "email_to": "{{user.email}}",
    },
    "create_task": {
        "title": "Follow up with {{lead.company_name}}",
        "description": "Lead showed high interest",
        "assignee": "{{lead.owner.email}}",
        "due_date": "{{today+2}}",
        "priority": "high",
    },
    "send_notification": {
        "recipient": "{{lead.owner.email}}",
        "message": "New qualified lead: {{lead.company_name}}",
        "notification_type": "in_app",
        "link": "/leads/{{lead.id}}",
    },
    "call_webhook": {
        "url": "https://api.example.com/webhooks/lead",
        "method": "POST",
        "headers": {
            "Authorization": "Bearer {{api_key}}",
            "Content-Type": "application/json",
        },
        "body": {"lead_id": "{{lead.id}}", "event": "lead.qualified"},
    },
    "wait": {"duration": {"days": 3}, "time_of_day": "09:00"},
    "split": {"variants": {"A": 50, "B": 50}},
    "run_workflow": {
        "workflow": "Nurture",
        "record": "{{lead.id}}",
        "entity_type": "lead",
        "payload": {"source": "{{lead.company_name}}"},
        "wait": False,
    },
}

CONTEXT = {
    "lead": {
        "id": 42,
        "email": "ann@example.com",
        "first_name": "Ann",
        "company_name": "Acme",
        "owner": {"email": "owner@example.com"},
    },
    "user": {"email": "user@example.com"},
    "api_key": "s3cret",
}


def test_schemas_cover_exactly_the_design_action_types():
    assert set(ACTION_TYPES) == set(DESIGN_CONFIGS)
    assert ENTITY_TYPES == ("lead", "deal", "contact", "account", "record")


def test_schema_keys_match_the_design():
    schema = ACTION_TYPES["send_email"]
    assert set(schema.required) == {"to", "subject"}
    assert set(schema.optional) == {"template", "body", "variables", "cc"}
    assert schema.one_of == ("template", "body")
    assert ACTION_TYPES["add_note"].optional["visibility"].choices == ("internal", "public")
    assert ACTION_TYPES["add_note"].optional["visibility"].default == "internal"
    assert ACTION_TYPES["call_webhook"].optional["method"].default == "POST"
    assert ACTION_TYPES["call_webhook"].optional["method"].choices == (
        "GET", "POST", "PUT", "PATCH", "DELETE",
    )  # fmt: skip
    assert ACTION_TYPES["create_task"].optional["priority"].choices == ("low", "normal", "high")
    with pytest.raises(TypeError):
        ACTION_TYPES["new_type"] = ACTION_TYPES["add_note"]


@pytest.mark.parametrize("action_type", sorted(DESIGN_CONFIGS))
def test_design_configs_validate_render_and_check(action_type):
    config = DESIGN_CONFIGS[action_type]
    validate_config(action_type, config)
    rendered = templates.render(config, CONTEXT, today=date(2024, 3, 1))
    check_rendered(action_type, rendered)


def test_rendered_design_configs_have_resolved_values():
    rendered = templates.render(DESIGN_CONFIGS["add_note"], CONTEXT)
    assert rendered["entity_id"] == 42
    rendered = templates.render(DESIGN_CONFIGS["enqueue_export"], CONTEXT, today=date(2024, 3, 1))
    assert rendered["filters"] == {"status": "qualified", "created_at__gte": "2024-01-31"}


def config_error(action_type, config, check=validate_config):
    with pytest.raises(ConfigError) as raised:
        check(action_type, config)
    return str(raised.value)


REMOVE = object()


def with_changes(action_type, **changes):
    config = {**DESIGN_CONFIGS[action_type], **changes}
    return {key: value for key, value in config.items() if value is not REMOVE}


@pytest.mark.parametrize(
    ("action_type", "config", "message"),
    [
        ("add_note", with_changes("add_note", visibility="secret"),
         "config.visibility: must be one of 'internal', 'public'"),
        ("send_email", with_changes("send_email", subject=REMOVE),
         "config: missing required key 'subject'"),
        ("send_email", with_changes("send_email", subjet="Hi"), "config: unknown key 'subjet'"),
        ("send_email", with_changes("send_email", template=REMOVE),
         "config: needs one of 'template', 'body'"),
        ("send_email", with_changes("send_email", template="", body=""),
         "config: needs one of 'template', 'body'"),
        ("send_email", with_changes("send_email", variables=["a"]),
         "config.variables: must be an object, got list"),
        ("send_email", with_changes("send_email", to=["a@example.com"]),
         "config.to: must be a string, got list"),
        ("send_email", with_changes("send_email", to="  "), "config.to: must not be empty"),
        ("send_email", with_changes("send_email", subject=None),
         "config.subject: must be a string, got null"),
        ("send_email", with_changes("send_email", cc=None),
         "config.cc: must be a string, got null"),
        ("send_email", ["to", "subject"], "config: must be an object, got list"),
        ("add_note", with_changes("add_note", entity_type="invoice"),
         "config.entity_type: must be one of 'lead', 'deal', 'contact', 'account', 'record'"),
        ("add_note", with_changes("add_note", entity_id=True),
         "config.entity_id: must be a record id or a string, got bool"),
        ("add_note", with_changes("add_note", entity_id=[1]),
         "config.entity_id: must be a record id or a string, got list"),
        ("update_field", with_changes("update_field", value=REMOVE),
         "config: missing required key 'value'"),
        ("enqueue_export", with_changes("enqueue_export", export_type="xlsx"),
         "config.export_type: must be one of 'csv'"),
        ("enqueue_export", with_changes("enqueue_export", filters={"created_at__after": "x"}),
         "config.filters.created_at__after: unknown filter operator 'after', expected one of "
         "'eq', 'ne', 'gt', 'gte', 'lt', 'lte', 'in', 'contains'"),
        ("enqueue_export", with_changes("enqueue_export", filters={"__gte": 3}),
         "config.filters.__gte: filter key needs a field name"),
        ("enqueue_export", with_changes("enqueue_export", filters={"stage__in": "won"}),
         "config.filters.stage__in: operator 'in' needs a list, got str"),
        ("enqueue_export", with_changes("enqueue_export", filters="status=qualified"),
         "config.filters: must be an object, got str"),
        ("enqueue_export", with_changes("enqueue_export", fields=["name", ""]),
         "config.fields[1]: must be a field name, got ''"),
        ("enqueue_export", with_changes("enqueue_export", fields="name"),
         "config.fields: must be a list, got str"),
        ("create_task", with_changes("create_task", priority="urgent"),
         "config.priority: must be one of 'low', 'normal', 'high'"),
        ("create_task", with_changes("create_task", title=""), "config.title: must not be empty"),
        ("send_notification", with_changes("send_notification", notification_type="email"),
         "config.notification_type: must be one of 'in_app'"),
        ("call_webhook", with_changes("call_webhook", method="post"),
         "config.method: must be one of 'GET', 'POST', 'PUT', 'PATCH', 'DELETE'"),
        ("call_webhook", with_changes("call_webhook", headers={"X-Count": 3}),
         "config.headers.X-Count: must be a string, got int"),
        ("call_webhook", with_changes("call_webhook", timeout=0),
         "config.timeout: must be more than 0 and at most 60 seconds, got 0"),
        ("call_webhook", with_changes("call_webhook", timeout=60.5),
         "config.timeout: must be more than 0 and at most 60 seconds, got 60.5"),
        ("call_webhook", with_changes("call_webhook", timeout=True),
         "config.timeout: must be a number, got bool"),
        ("call_webhook", with_changes("call_webhook", timeout="10"),
         "config.timeout: must be a number, got str"),
        ("call_webhook", with_changes("call_webhook", url="ftp://example.com"),
         "config.url: must be an http:// or https:// URL"),
        ("call_webhook", {}, "config: missing required key 'url'"),
    ],
)  # fmt: skip
def test_invalid_configs_name_the_path(action_type, config, message):
    assert config_error(action_type, config) == message


def test_unknown_action_type_names_the_action_type_path():
    with pytest.raises(ConfigError) as raised:
        validate_config("send_fax", {})
    assert raised.value.path == "action_type"
    assert raised.value.message.startswith("unknown action type 'send_fax', expected one of ")
    assert config_error(None, {}).startswith("action_type: unknown action type None")


@pytest.mark.parametrize(
    ("action_type", "changes"),
    [
        ("add_note", {"entity_id": 7}),
        ("add_note", {"visibility": "public"}),
        ("update_field", {"value": None}),
        ("update_field", {"value": ""}),
        ("update_field", {"value": {"nested": [1, 2]}}),
        ("send_email", {"template": REMOVE, "body": "Hello {{lead.first_name}}"}),
        ("send_email", {"cc": "boss@example.com"}),
        ("enqueue_export", {"filters": {"stage__in": ["won", "lost"], "amount__gt": 5}}),
        ("enqueue_export", {"fields": ["name", "email"]}),
        ("create_task", {"priority": "low"}),
        ("call_webhook", {"timeout": 60}),
        ("call_webhook", {"timeout": 0.5}),
        ("call_webhook", {"method": "DELETE", "body": None}),
        ("call_webhook", {"url": "HTTP://example.com"}),
    ],
)
def test_valid_variants_pass(action_type, changes):
    validate_config(action_type, with_changes(action_type, **changes))


@pytest.mark.parametrize(
    ("action_type", "key", "template", "bad_value", "good_value"),
    [
        ("add_note", "visibility", "{{ lead.visibility }}", "secret", "public"),
        ("add_note", "entity_type", "{{ lead.kind }}", "invoice", "deal"),
        ("call_webhook", "method", "{% if lead.id %}PUT{% endif %}", "put", "PUT"),
        ("call_webhook", "timeout", "{{ settings.timeout }}", 90, 30),
        ("call_webhook", "url", "{{ settings.url }}", "file:///etc/passwd", "https://x.io"),
        ("call_webhook", "headers", "{{ settings.headers }}", {"X": 1}, {"X": "1"}),
        ("enqueue_export", "fields", "{{ settings.fields }}", "name", ["name"]),
        ("send_email", "variables", "{{ lead.variables }}", "x", {"a": 1}),
    ],
)
def test_templated_values_are_checked_after_rendering(
    action_type, key, template, bad_value, good_value
):
    config = with_changes(action_type, **{key: template})
    validate_config(action_type, config)
    with pytest.raises(ConfigError) as raised:
        check_rendered(action_type, {**config, key: bad_value})
    assert raised.value.path.startswith(f"config.{key}")
    check_rendered(action_type, {**config, key: good_value})


def test_templated_filter_values_are_checked_after_rendering():
    config = with_changes("enqueue_export", filters={"stage__in": "{{ lead.stages }}"})
    validate_config("enqueue_export", config)
    with pytest.raises(ConfigError, match=r"config\.filters\.stage__in: operator 'in'"):
        check_rendered("enqueue_export", {**config, "filters": {"stage__in": "won"}})
    check_rendered("enqueue_export", {**config, "filters": {"stage__in": ["won"]}})


def test_check_rendered_does_not_trust_markup_coming_from_data():
    config = with_changes("add_note", visibility="{{ lead.visibility }}")
    rendered = templates.render(config, {"lead": {"id": 1, "visibility": "{{ x }}"}})
    assert rendered["visibility"] == "{{ x }}"
    with pytest.raises(ConfigError, match="config.visibility: must be one of"):
        check_rendered("add_note", rendered)


def test_check_rendered_runs_the_full_schema():
    assert config_error("send_email", {"to": "a@example.com"}, check_rendered) == (
        "config: missing required key 'subject'"
    )


@pytest.mark.parametrize(
    ("config", "path"),
    [
        ({"to": "x", "subject": "{{ lead.name", "body": "b"}, "config.subject"),
        (
            {"to": "x", "subject": "s", "template": "t", "variables": {"first": "{% if %}"}},
            "config.variables.first",
        ),
    ],
)
def test_template_syntax_errors_are_prefixed_with_config(config, path):
    with pytest.raises(TemplateError) as raised:
        validate_config("send_email", config)
    assert raised.value.path == path
    assert raised.value.message.startswith("syntax error on line 1: ")


def test_template_syntax_errors_in_lists_and_nested_bodies():
    config = with_changes("enqueue_export", fields=["{{ name"])
    with pytest.raises(TemplateError) as raised:
        validate_config("enqueue_export", config)
    assert raised.value.path == "config.fields[0]"
    config = with_changes("call_webhook", body={"items": [1, {"x": "{{ }}"}]})
    with pytest.raises(TemplateError) as raised:
        validate_config("call_webhook", config)
    assert raised.value.path == "config.body.items[1].x"


def test_schema_errors_come_before_template_errors():
    config = with_changes("add_note", visibility="secret", note="{{ broken")
    assert config_error("add_note", config) == (
        "config.visibility: must be one of 'internal', 'public'"
    )


def test_config_error_code():
    with pytest.raises(ConfigError) as raised:
        validate_config("add_note", {})
    assert raised.value.code == "invalid_config"
    assert raised.value.to_dict() == {
        "code": "invalid_config",
        "message": "missing required key 'note'",
        "path": "config",
    }
    assert actions.ConfigError is ConfigError


def test_split_filter_key_reads_the_operator_suffix():
    from engine.actions import split_filter_key

    assert split_filter_key("created_at__gte") == ("created_at", "gte")
    assert split_filter_key("stage") == ("stage", "eq")
    assert split_filter_key("partner__name__contains") == ("partner__name", "contains")


def test_every_action_type_has_a_label_for_its_selection():
    assert all(schema.label for schema in ACTION_TYPES.values())


def test_run_workflow_names_its_workflow_by_id_or_name():
    schema = ACTION_TYPES["run_workflow"]
    assert schema.label == "Run Workflow"
    assert set(schema.required) == {"workflow"}
    assert set(schema.optional) == {"record", "entity_type", "payload", "wait"}
    assert schema.optional["wait"].default is False
    assert schema.optional["entity_type"].choices == ENTITY_TYPES
    validate_config("run_workflow", {"workflow": 12})
    validate_config("run_workflow", {"workflow": "Nurture", "record": 5, "wait": True})


@pytest.mark.parametrize(("config", "message"), [
    ({}, "config: missing required key 'workflow'"),
    ({"workflow": ""}, "config.workflow: must be a workflow id or a non-empty workflow name"),
    ({"workflow": "  "}, "config.workflow: must be a workflow id or a non-empty workflow name"),
    ({"workflow": 0}, "config.workflow: must be a record id from 1 to 2147483647, got 0"),
    ({"workflow": 2**31}, "config.workflow: must be a record id from 1 to 2147483647, got 2147483648"),
    ({"workflow": True}, "config.workflow: must be a record id or a string, got bool"),
    ({"workflow": None}, "config.workflow: must be a record id or a string, got null"),
    ({"workflow": 1, "record": "lead 5"}, "config.record: must be a record id or a template giving one"),
    ({"workflow": 1, "record": -3}, "config.record: must be a record id from 1 to 2147483647, got -3"),
    ({"workflow": 1, "entity_type": "order"},
     "config.entity_type: must be one of 'lead', 'deal', 'contact', 'account', 'record'"),
    ({"workflow": 1, "payload": "x"}, "config.payload: must be an object, got str"),
    ({"workflow": 1, "wait": 1}, "config.wait: must be true or false, got int"),
    ({"workflow": 1, "wait": "yes"}, "config.wait: must be true or false, got str"),
    ({"workflow": 1, "wait": None}, "config.wait: must be true or false, got null"),
    ({"workflow": 1, "depth": 2}, "config: unknown key 'depth'"),
])  # fmt: skip
def test_run_workflow_refuses_bad_configs(config, message):
    assert config_error("run_workflow", config) == message


def test_run_workflow_checks_a_templated_record_once_rendered():
    config = {"workflow": 3, "record": "{{lead.id}}", "payload": {"score": "{{lead.id}}"}}
    validate_config("run_workflow", config)
    check_rendered("run_workflow", templates.render(config, CONTEXT))
    message = config_error("run_workflow", {"workflow": 3, "record": "42"}, check=check_rendered)
    assert message == "config.record: must be a record id or a template giving one"


def test_the_boolean_kind_takes_only_booleans():
    validate_config("run_workflow", {"workflow": 1, "wait": False})
    # Other kinds still refuse a bool where they take an int or a string.
    assert config_error("add_note", {"note": True}) == "config.note: must be a string, got bool"
