import pytest

from engine import templates
from engine.exceptions import TemplateError
from engine.steps import (
    KNOWN_AT_RUN_TIME,
    MAX_KEY_LENGTH,
    STEPS_NAME,
    StepReference,
    key_error,
    references,
    run_time_paths,
    step_context,
    with_run_time_values,
)


@pytest.mark.parametrize("key", [None, "enrich", "ab", "a", "step_2", "x" * MAX_KEY_LENGTH])
def test_valid_step_keys(key):
    assert key_error(key) is None


@pytest.mark.parametrize("key", ["", "Enrich", "2nd", "_enrich", "en-rich", "en rich", "enrich\n", "é", 3])
def test_malformed_step_keys(key):
    assert key_error(key) == "a step key is lowercase letters, digits and '_', starting with a letter"


def test_a_step_key_has_a_length_limit():
    assert key_error("x" * (MAX_KEY_LENGTH + 1)) == f"a step key is at most {MAX_KEY_LENGTH} characters"


def test_references_in_templates_with_their_paths():
    config = {
        "field": "score",
        "value": "{{steps.enrich.output.json.score}}",
        "note": '{% if steps.ab.output.variant == "B" %}B{% endif %} {{ steps["enrich"].state }}',
        "list": ["plain", "{% for item in steps.fetch.output %}{{ item }}{% endfor %}"],
    }
    assert references(config) == [
        StepReference("enrich", "config.value"),
        StepReference("ab", "config.note"),
        StepReference("enrich", "config.note"),
        StepReference("fetch", "config.list[1]"),
    ]


def test_steps_used_without_a_key_is_a_reference_to_no_known_step():
    config = {"a": "{{ steps }}", "b": "{{ steps[name].output }}", "c": "{% for s in steps %}{% endfor %}"}
    assert references(config) == [
        StepReference(None, "config.a"), StepReference(None, "config.b"), StepReference(None, "config.c"),
    ]


def test_other_variables_and_plain_text_are_no_references():
    config = {"a": "steps.enrich", "b": "{{ lead.steps.enrich }}", "c": "{{ mysteps.enrich }}", "d": 3}
    assert references(config) == []
    assert references("{{steps.x}}") == [StepReference("x", "config")]


def test_references_in_conditions_with_their_paths():
    conditions = {"and": [
        {"field": "steps.ab.output.variant", "operator": "eq", "value": "B"},
        {"not": {"field": "steps.enrich.state", "operator": "eq", "value": "failed"}},
        {"or": [{"field": "lead.steps", "operator": "eq", "value": 1},
                {"field": "steps", "operator": "eq", "value": None}]},
    ]}
    assert references(conditions=conditions) == [
        StepReference("ab", "conditions.and[0]"),
        StepReference("enrich", "conditions.and[1].not"),
        StepReference(None, "conditions.and[2].or[1]"),
    ]
    leaf = {"field": "steps.enrich.output", "operator": "eq", "value": None}
    assert references(conditions=leaf) == [StepReference("enrich", "conditions")]


def test_config_references_come_before_condition_references():
    found = references(
        {"value": "{{steps.b.output}}"}, {"field": "steps.a.output", "operator": "eq", "value": 1}
    )
    assert [reference.key for reference in found] == ["b", "a"]


def test_a_template_that_does_not_parse_is_reported():
    with pytest.raises(TemplateError) as raised:
        references({"value": "{{steps.a"})
    assert raised.value.path == "value"


def test_step_context_shows_the_output_of_successful_steps_only():
    assert step_context([
        ("enrich", "success", {"json": {"score": 80}}),
        (None, "success", {"ignored": True}),
        ("ab", "skipped", {"variant": "B"}),
        ("notify", "failed", {"status": 500}),
    ]) == {
        "enrich": {"state": "success", "output": {"json": {"score": 80}}},
        "ab": {"state": "skipped", "output": None},
        "notify": {"state": "failed", "output": None},
    }
    assert step_context([]) == {}


def test_templates_read_the_step_context():
    context = {STEPS_NAME: step_context([("enrich", "success", {"score": 80}), ("ab", "failed", None)])}
    rendered = templates.render(
        {"score": "{{steps.enrich.output.score}}", "variant": "{{ steps.ab.output or 'none' }}"}, context
    )
    assert rendered == {"score": 80, "variant": "none"}


def test_a_dry_run_marks_the_strings_that_read_steps_known_only_at_run_time():
    config = {"value": "{{steps.enrich.output.x}}", "body": {"a": ["{{steps.ab.output.variant}}", "x"]}, "n": "n"}
    assert run_time_paths(config, {"ab"}) == ["value"]
    paths = run_time_paths(config)
    assert paths == ["value", "body.a[0]"]
    assert with_run_time_values(config, paths) == {
        "value": KNOWN_AT_RUN_TIME, "body": {"a": [KNOWN_AT_RUN_TIME, "x"]}, "n": "n",
    }
    assert run_time_paths("{{steps}}") == ["<root>"]
    assert with_run_time_values("{{steps}}", ["<root>"]) == KNOWN_AT_RUN_TIME
