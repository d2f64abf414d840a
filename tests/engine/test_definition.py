import copy
import json

import pytest

from engine.definition import validate

EXAMPLE_2 = {
    "name": "Deal reached Proposition",
    "description": "E-mail the owner, note the change, move the forecast.",
    "active": True,
    "priority": 10,
    "company_id": 1,
    "run_as_user_id": 2,
    "triggers": [{
        "event_type": "deal.stage_changed",
        "custom_event": None,
        "conditions": {"field": "new_stage", "operator": "eq", "value": "Proposition"},
        "active": True,
        "sequence": 10,
    }],
    "actions": [
        {"name": "E-mail the owner", "action_type": "send_email", "ordering": 1, "allow_failure": True,
         "config": {"to": "{{deal.owner.email}}", "subject": "{{deal.name}} reached {{new_stage}}",
                    "body": "Moved from {{old_stage}}."}},
        {"name": "Note", "action_type": "add_note", "ordering": 2, "allow_failure": False,
         "config": {"entity_type": "deal", "entity_id": "{{deal.id}}", "note": "Proposition sent"}},
        {"name": "Forecast", "action_type": "update_field", "ordering": 3,
         "config": {"field": "date_deadline", "value": "{{today+30}}"}},
    ],
}


def example(**changes):
    document = copy.deepcopy(EXAMPLE_2)
    document.update(changes)
    return document


def paths(errors):
    return [error["path"] for error in errors]


def test_valid_documents_have_no_error():
    assert validate(EXAMPLE_2) == []
    assert validate({"name": "Only a name"}) == []
    assert validate(example(company_id=None, run_as_user_id=None, description=None)) == []


def test_read_only_keys_of_a_returned_document_are_ignored():
    returned = example(id=7, run_count=3, failed_run_count=1)
    returned["triggers"][0]["id"] = 11
    returned["actions"][0]["id"] = 12
    assert validate(returned) == []


def test_every_error_is_listed_with_its_path_in_document_order():
    document = example(priority="high", colour="red")
    document["triggers"][0]["conditions"] = {"and": [
        {"field": "stage", "operator": "eq", "value": "New"},
        {"field": "stage", "operator": "equals", "value": "Won"},
    ]}
    document["actions"][0]["config"]["subject"] = 42
    document["actions"][2]["config"]["value"] = "{{ today + }}"
    errors = validate(document)
    assert paths(errors) == [
        "colour",
        "priority",
        "triggers[0].conditions.and[1]",
        "actions[0].config.subject",
        "actions[2].config.value",
    ]
    by_path = {error["path"]: error for error in errors}
    assert by_path["triggers[0].conditions.and[1]"] == {
        "code": "invalid_condition", "message": "unknown operator 'equals'", "path": "triggers[0].conditions.and[1]",
    }
    assert by_path["actions[0].config.subject"]["code"] == "invalid_config"
    assert by_path["actions[2].config.value"]["code"] == "template_error"
    assert by_path["colour"]["message"] == "unknown key"
    assert by_path["priority"]["message"] == "must be an integer, got str"
    json.dumps(errors)


def test_a_document_that_is_not_an_object_is_one_error_at_the_root():
    assert validate(["name"]) == [
        {"code": "invalid_definition", "message": "must be an object, got list", "path": "<root>"}
    ]


@pytest.mark.parametrize(("document", "path", "message"), [
    ({}, "name", "missing required key"),
    ({"name": "  "}, "name", "must not be empty"),
    ({"name": None}, "name", "must not be null"),
    ({"name": "x", "active": "yes"}, "active", "must be true or false, got str"),
    ({"name": "x", "priority": True}, "priority", "must be an integer, got bool"),
    ({"name": "x", "priority": 2**31}, "priority", "must be between -2147483647 and 2147483647, got 2147483648"),
    ({"name": "x", "company_id": 0}, "company_id", "must be between 1 and 2147483647, got 0"),
    ({"name": "x", "run_as_user_id": "admin"}, "run_as_user_id", "must be an integer, got str"),
    ({"name": "x", "description": 3}, "description", "must be a string, got int"),
    ({"name": "x", "execution_mode": "later"}, "execution_mode",
     "unknown value 'later', expected one of 'queued', 'immediate'"),
    ({"name": "x", "queue_backend": "celery"}, "queue_backend",
     "unknown value 'celery', expected one of 'cron', 'queue_job'"),
    ({"name": "x", "max_retries": -1}, "max_retries", "must be between 0 and 2147483647, got -1"),
    ({"name": "x", "max_runs_per_minute": "10"}, "max_runs_per_minute", "must be an integer, got str"),
    ({"name": "x", "triggers": {}}, "triggers", "must be a list, got dict"),
    ({"name": "x", "actions": None}, "actions", "must not be null"),
    ({"name": "x", "triggers": ["deal.won"]}, "triggers[0]", "must be an object, got str"),
    ({"name": "x", "triggers": [{}]}, "triggers[0].event_type", "missing required key"),
    ({"name": "x", "triggers": [{"event_type": "deal.closed"}]}, "triggers[0].event_type",
     "unknown value 'deal.closed', expected one of 'timeline.event', 'lead.created', 'lead.converted', "
     "'deal.stage_changed', 'deal.won', 'deal.lost', 'contact.created', 'account.created', 'date.reached', 'custom'"),
    ({"name": "x", "triggers": [{"event_type": "custom"}]}, "triggers[0].custom_event",
     "a custom trigger needs the name of its event"),
    ({"name": "x", "triggers": [{"event_type": "deal.won", "sequence": 1.5}]}, "triggers[0].sequence",
     "must be an integer, got float"),
    ({"name": "x", "triggers": [{"event_type": "deal.won", "when": "now"}]}, "triggers[0].when", "unknown key"),
    ({"name": "x", "triggers": [{"event_type": "deal.won", "conditions": []}]}, "triggers[0].conditions",
     "condition must be an object, got an empty list"),
    ({"name": "x", "triggers": [{"event_type": "deal.won", "conditions": {"not": {"field": "a"}}}]},
     "triggers[0].conditions.not", "missing key 'operator'"),
    ({"name": "x", "actions": [{"action_type": "add_note", "config": {"note": "n"}}]}, "actions[0].name",
     "missing required key"),
    ({"name": "x", "actions": [{"name": "a", "action_type": "fax"}]}, "actions[0].action_type",
     "unknown value 'fax', expected one of 'send_email', 'add_note', 'update_field', 'enqueue_export', "
     "'create_task', 'send_notification', 'call_webhook', 'wait', 'split', 'run_workflow'"),
    ({"name": "x", "actions": [{"name": "a", "action_type": "add_note"}]}, "actions[0].config",
     "missing required key 'note'"),
    ({"name": "x", "actions": [{"name": "a", "action_type": "add_note", "config": "note"}]}, "actions[0].config",
     "must be an object, got str"),
    ({"name": "x", "actions": [{"name": "a", "action_type": "add_note", "config": {"note": "n", "visibility": "all"}}]},
     "actions[0].config.visibility", "must be one of 'internal', 'public'"),
    ({"name": "x", "actions": [{"name": "a", "action_type": "add_note", "config": {"note": "n"},
                                "allow_failure": 1}]},
     "actions[0].allow_failure", "must be true or false, got int"),
])
def test_each_kind_of_error_names_its_path(document, path, message):
    errors = validate(document)
    assert [(error["path"], error["message"]) for error in errors] == [(path, message)]


def test_errors_of_several_triggers_and_actions_are_all_reported():
    document = {
        "name": "x",
        "triggers": [{"event_type": "deal.won", "conditions": {"field": "a", "operator": "like", "value": 1}}] * 2,
        "actions": [{"name": "a", "action_type": "send_email", "config": {"to": "x"}}] * 3,
    }
    assert paths(validate(document)) == [
        "triggers[0].conditions", "triggers[1].conditions",
        "actions[0].config", "actions[1].config", "actions[2].config",
    ]


def test_an_action_of_unknown_type_does_not_have_its_config_checked():
    errors = validate({"name": "x", "actions": [{"name": "a", "action_type": "fax", "config": 5}]})
    assert paths(errors) == ["actions[0].action_type"]


@pytest.mark.parametrize("action_type", [{}, [], 5])
def test_an_action_type_that_is_no_string_is_one_error_with_its_path(action_type):
    errors = validate({"name": "x", "actions": [{"name": "a", "action_type": action_type}]})
    assert paths(errors) == ["actions[0].action_type"]
    assert errors[0]["message"].startswith("must be a string")


@pytest.mark.parametrize("text, message", [("a\x00b", "NUL"), ("a\ud800b", "surrogate")])
def test_strings_that_cannot_be_stored_are_refused_with_their_path_anywhere(text, message):
    document = example(description=text)
    document["actions"][1]["config"]["note"] = text
    document["triggers"][0]["conditions"]["value"] = text
    errors = validate(document)
    assert paths(errors) == ["description", "triggers[0].conditions.value", "actions[1].config.note"]
    assert all(message in error["message"] for error in errors)
    assert paths(validate(example(name=text))) == ["name"]


def test_a_document_nested_too_deeply_is_refused_without_recursing_through_it():
    conditions = {"field": "x", "operator": "eq", "value": 1}
    for _level in range(5000):
        conditions = {"not": conditions}
    errors = validate(example(triggers=[{"event_type": "deal.won", "conditions": conditions}]))
    assert len(errors) == 1
    assert errors[0]["path"].startswith("triggers[0].conditions.not.not")
    assert "nested deeper than 100 levels" in errors[0]["message"]


@pytest.mark.parametrize("key", ["company_id", "run_as_user_id"])
def test_ids_beyond_a_postgresql_integer_are_refused(key):
    errors = validate(example(**{key: 2**40}))
    assert paths(errors) == [key]
    assert errors[0]["message"] == f"must be between 1 and 2147483647, got {2**40}"


DATE_TRIGGER = {
    "event_type": "date.reached", "entity_type": "deal", "date_field": "date_deadline",
    "date_offset": -3, "date_offset_unit": "days",
}
WAIT = {"name": "Wait", "action_type": "wait", "config": {"duration": {"days": 2}, "time_of_day": "09:00"}}


def date_trigger(**changes):
    return {**DATE_TRIGGER, **changes}


def test_a_date_triggered_workflow_with_waits_and_exit_conditions_is_valid():
    document = example(
        triggers=[date_trigger(), date_trigger(entity_type="contact", date_offset=0, date_offset_unit="weeks")],
        exit_conditions={"field": "stage", "operator": "eq", "value": "Won"},
        single_active_run=True,
        execution_mode="queued",
    )
    document["actions"].insert(1, WAIT)
    assert validate(document) == []
    assert validate(example(exit_conditions=None, single_active_run=False)) == []


def test_other_triggers_may_leave_the_date_keys_null():
    trigger = dict(EXAMPLE_2["triggers"][0], entity_type=None, date_field=None, date_offset=None, date_offset_unit=None)
    assert validate(example(triggers=[trigger])) == []


def test_a_date_trigger_needs_each_of_its_keys():
    errors = validate(example(triggers=[{"event_type": "date.reached", "date_offset": None}]))
    assert [(error["path"], error["message"]) for error in errors] == [
        (f"triggers[0].{key}", "a date.reached trigger needs it")
        for key in ("entity_type", "date_field", "date_offset", "date_offset_unit")
    ]


def test_other_triggers_refuse_the_date_keys():
    trigger = dict(EXAMPLE_2["triggers"][0], date_field="date_deadline", date_offset=0)
    errors = validate(example(triggers=[trigger]))
    assert [(error["path"], error["message"]) for error in errors] == [
        ("triggers[0].date_field", "only a date.reached trigger takes it"),
        ("triggers[0].date_offset", "only a date.reached trigger takes it"),
    ]


@pytest.mark.parametrize(("changes", "path", "message"), [
    ({"entity_type": "record"}, "entity_type",
     "unknown value 'record', expected one of 'lead', 'deal', 'contact', 'account'"),
    ({"entity_type": 1}, "entity_type", "must be a string, got int"),
    ({"date_field": " "}, "date_field", "must not be empty"),
    ({"date_field": ["date_deadline"]}, "date_field", "must be a string, got list"),
    ({"date_offset": True}, "date_offset", "must be an integer, got bool"),
    ({"date_offset": 1.0}, "date_offset", "must be an integer, got float"),
    ({"date_offset": "-3"}, "date_offset", "must be an integer, got str"),
    ({"date_offset": 2**31}, "date_offset", "must be between -2147483647 and 2147483647, got 2147483648"),
    ({"date_offset": 2**31 - 1}, "date_offset", "2147483647 days is too long"),
    ({"date_offset_unit": "months"}, "date_offset_unit",
     "unknown value 'months', expected one of 'minutes', 'hours', 'days', 'weeks'"),
])
def test_date_trigger_errors_name_their_path(changes, path, message):
    errors = validate(example(triggers=[date_trigger(**changes)]))
    assert [(error["path"], error["message"]) for error in errors] == [(f"triggers[0].{path}", message)]


def test_exit_conditions_are_checked_as_trigger_conditions():
    errors = validate(example(exit_conditions={"and": [{"field": "stage", "operator": "equals", "value": "Won"}]}))
    assert errors == [{
        "code": "invalid_condition", "message": "unknown operator 'equals'", "path": "exit_conditions.and[0]",
    }]
    assert paths(validate(example(exit_conditions=[]))) == ["exit_conditions"]
    assert paths(validate(example(single_active_run="yes"))) == ["single_active_run"]


def test_a_wait_needs_the_queued_execution_mode():
    document = example(execution_mode="immediate")
    document["actions"].insert(2, WAIT)
    errors = validate(document)
    assert [(error["path"], error["message"]) for error in errors] == [
        ("actions[2]", "a wait needs the queued execution mode"),
    ]
    del document["execution_mode"]
    assert validate(document) == []


def test_a_wait_in_an_immediate_workflow_is_reported_in_document_order():
    document = example(execution_mode="immediate")
    document["actions"] = [WAIT, {**WAIT, "config": {"duration": {}}}, {"name": "n", "action_type": "add_note"}]
    assert paths(validate(document)) == [
        "actions[0]", "actions[1]", "actions[1].config.duration", "actions[2].config",
    ]


def flow(*actions, **workflow):
    """A document of ``actions``, each a ``(key, config value)`` pair or an action dict."""
    items = [
        item if isinstance(item, dict) else
        {"name": f"Step {index}", "action_type": "update_field", "key": item[0],
         "config": {"field": "x_score", "value": item[1]}}
        for index, item in enumerate(actions)
    ]
    return {"name": "Flow", **workflow, "actions": items}


def messages(errors):
    return [f"{error['path']}: {error['message']}" for error in errors]


def test_actions_read_the_steps_before_them():
    document = flow(
        ("enrich", "{{lead.id}}"),
        ("ab", "{{steps.enrich.output.json.score}}"),
        (None, '{% if steps.ab.output.variant == "B" %}1{% endif %}{{steps.enrich.state}}'),
    )
    document["actions"][2]["conditions"] = {"field": "steps.ab.output.variant", "operator": "eq", "value": "B"}
    assert validate(document) == []


def test_a_reference_to_a_later_unknown_or_own_step_is_refused():
    document = flow(
        ("first", "{{steps.second.output}}"),
        ("second", "{{steps.nowhere.output}}"),
        ("third", "{{steps.third.output}}"),
        (None, "{{steps.first.output}}"),
    )
    document["actions"][3]["config"]["value"] = "{{ steps['second'] }}"
    assert messages(validate(document)) == [
        "actions[0].config.value: steps.second is not an earlier step",
        "actions[1].config.value: steps.nowhere is not an earlier step",
        "actions[2].config.value: steps.third is not an earlier step",
    ]
    assert {error["code"] for error in validate(document)} == {"invalid_step"}


def test_the_exact_message_of_a_step_that_runs_later():
    document = flow(("a", "1"), ("b", "2"), ("c", "3"), (None, "{{steps.enrich.output}}"), ("enrich", "4"))
    assert validate(document) == [{
        "code": "invalid_step",
        "message": "steps.enrich is not an earlier step",
        "path": "actions[3].config.value",
    }]


def test_earlier_means_by_ordering_then_by_position():
    document = flow(("reader", "{{steps.enrich.output}}"), ("enrich", "1"))
    document["actions"][0]["ordering"] = 20
    document["actions"][1]["ordering"] = 5
    assert validate(document) == []
    # Same ordering: the document's order decides, as the ids do for "ordering, id".
    document["actions"][0]["ordering"] = 5
    assert paths(validate(document)) == ["actions[0].config.value"]
    # A missing ordering is the default one, 10.
    del document["actions"][0]["ordering"]
    assert validate(document) == []
    document["actions"][1]["ordering"] = 10
    assert paths(validate(document)) == ["actions[0].config.value"]


def test_a_bad_ordering_is_reported_once_and_counts_as_the_default():
    document = flow(("enrich", "1"), ("reader", "{{steps.enrich.output}}"))
    document["actions"][0]["ordering"] = "first"
    assert messages(validate(document)) == ["actions[0].ordering: must be an integer, got str"]


def test_references_in_action_conditions_are_checked():
    document = flow(("enrich", "1"), (None, "2"))
    document["actions"][0]["conditions"] = {"and": [
        {"field": "lead.score", "operator": "gt", "value": 3},
        {"field": "steps.later.output", "operator": "eq", "value": None},
    ]}
    document["actions"][1]["conditions"] = {"field": "steps.enrich.state", "operator": "eq", "value": "success"}
    assert messages(validate(document)) == ["actions[0].conditions.and[1]: steps.later is not an earlier step"]


def test_action_conditions_are_validated_like_trigger_conditions():
    document = flow(("enrich", "1"))
    document["actions"][0]["conditions"] = {"and": [{"field": "a", "operator": "eq"}]}
    assert validate(document) == [{
        "code": "invalid_condition", "message": "missing key 'value'", "path": "actions[0].conditions.and[0]",
    }]
    document["actions"][0]["conditions"] = "always"
    assert messages(validate(document)) == ["actions[0].conditions: condition must be an object, got str"]
    document["actions"][0]["conditions"] = None
    assert validate(document) == []


def test_steps_must_be_read_by_a_key():
    document = flow(("enrich", "1"), (None, "{{ steps }}"))
    document["actions"][1]["conditions"] = {"field": "steps", "operator": "eq", "value": None}
    message = "steps is read by the key of an earlier step: steps.<key>"
    assert messages(validate(document)) == [
        f"actions[1].config.value: {message}", f"actions[1].conditions: {message}",
    ]


def test_step_keys_are_checked_and_unique():
    document = flow(("enrich", "1"), ("Enrich", "2"), ("enrich", "3"), (None, "4"), (7, "5"))
    assert messages(validate(document)) == [
        "actions[1].key: a step key is lowercase letters, digits and '_', starting with a letter",
        "actions[2].key: step key 'enrich' is already the key of actions[0]",
        "actions[4].key: must be a string, got int",
    ]


def test_a_repeated_key_reads_as_its_first_action():
    document = flow(("reader", "{{steps.enrich.output}}"), ("enrich", "1"), ("enrich", "2"))
    document["actions"][1]["ordering"] = 20
    document["actions"][2]["ordering"] = 1
    # The first action with the key runs after the reader; the repeated one, before it, is refused.
    assert messages(validate(document)) == [
        "actions[0].config.value: steps.enrich is not an earlier step",
        "actions[2].key: step key 'enrich' is already the key of actions[1]",
    ]


def test_a_template_that_does_not_parse_is_reported_once():
    document = flow(("enrich", "{{steps.enrich"))
    document["actions"][0]["conditions"] = {"field": "steps.later.state", "operator": "eq", "value": 1}
    errors = validate(document)
    assert [error["code"] for error in errors] == ["template_error", "invalid_step"]
    assert paths(errors) == ["actions[0].config.value", "actions[0].conditions"]


def test_a_wait_for_a_sub_workflow_needs_the_queued_mode():
    waiting = {"name": "Sub", "action_type": "run_workflow", "config": {"workflow": "Nurture", "wait": True}}
    message = "actions[0].config.wait: waiting for a sub-workflow needs the queued execution mode"
    assert messages(validate(flow(waiting, execution_mode="immediate"))) == [message]
    assert validate(flow(waiting, execution_mode="queued")) == []
    assert validate(flow(waiting)) == []
    templated = copy.deepcopy(waiting)
    templated["config"]["wait"] = "{{lead.id > 3}}"
    assert messages(validate(flow(templated, execution_mode="immediate"))) == [message]
    for config in ({"workflow": "Nurture", "wait": False}, {"workflow": "Nurture"}):
        assert validate(flow(dict(waiting, config=config), execution_mode="immediate")) == []


def test_a_split_and_a_sub_workflow_in_one_flow():
    document = flow(
        {"name": "Split", "action_type": "split", "key": "ab", "config": {"variants": {"A": 50, "B": 50}}},
        {"name": "Nurture B", "action_type": "run_workflow", "key": "nurture",
         "conditions": {"field": "steps.ab.output.variant", "operator": "eq", "value": "B"},
         "config": {"workflow": 4, "record": "{{lead.id}}", "payload": {"variant": "{{steps.ab.output.variant}}"}}},
        ("score", "{{steps.nurture.state}}"),
    )
    assert validate(document) == []


def test_goal_conditions_are_checked_as_trigger_conditions():
    assert validate(example(goal_conditions={"field": "stage", "operator": "eq", "value": "Won"})) == []
    assert validate(example(goal_conditions=None)) == []
    errors = validate(example(goal_conditions={"or": [{"field": "stage", "operator": "equals", "value": "Won"}]}))
    assert errors == [{
        "code": "invalid_condition", "message": "unknown operator 'equals'", "path": "goal_conditions.or[0]",
    }]
