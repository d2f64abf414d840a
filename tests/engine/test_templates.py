import pickle
import uuid
from datetime import date, datetime, timedelta

import pytest

from engine import templates
from engine.exceptions import WorkflowError
from engine.templates import Day, TemplateError, render, validate, variables

TODAY = date(2024, 2, 28)
NOW = datetime(2024, 2, 28, 14, 5, 9, 123456)

CONTEXT = {
    "lead": {
        "id": 42,
        "email": "ann@example.com",
        "first_name": "Ann",
        "company_name": "Acme Tech",
        "owner": {"email": "owner@example.com"},
        "tags": ["vip", "new"],
        "score": 81.5,
        "phone": None,
        "created": date(2024, 1, 2),
        "updated": datetime(2024, 2, 1, 8, 30, 15, 999),
    },
    "user": {"email": "user@example.com"},
    "api_key": "s3cret",
}


def rendered(value, context=CONTEXT):
    return render(value, context, today=TODAY, now=NOW)


def failure(value, context=CONTEXT):
    with pytest.raises(TemplateError) as raised:
        rendered(value, context)
    return raised.value


def test_design_create_task_example():
    config = {
        "title": "Follow up with {{lead.company_name}}",
        "description": "Lead showed high interest",
        "assignee": "{{lead.owner.email}}",
        "due_date": "{{today+2}}",
        "priority": "high",
    }
    assert rendered(config) == {
        "title": "Follow up with Acme Tech",
        "description": "Lead showed high interest",
        "assignee": "owner@example.com",
        "due_date": "2024-03-01",
        "priority": "high",
    }


def test_nested_values_render_and_keys_stay_untouched():
    config = {
        "{{lead.email}}": "key left alone",
        "headers": {"Authorization": "Bearer {{api_key}}"},
        "body": {"items": [{"to": "{{user.email}}"}, "{{ lead.first_name }}!", 3]},
        "count": 7,
        "ratio": 0.5,
        "enabled": True,
        "nothing": None,
    }
    assert rendered(config) == {
        "{{lead.email}}": "key left alone",
        "headers": {"Authorization": "Bearer s3cret"},
        "body": {"items": [{"to": "user@example.com"}, "Ann!", 3]},
        "count": 7,
        "ratio": 0.5,
        "enabled": True,
        "nothing": None,
    }


def test_input_is_not_modified():
    config = {"to": ["{{lead.email}}"]}
    rendered(config)
    assert config == {"to": ["{{lead.email}}"]}


def test_a_lone_placeholder_keeps_the_value_type():
    assert rendered("{{lead.id}}") == 42
    assert rendered("{{  lead.id  }}") == 42
    assert rendered("{{lead.score}}") == 81.5
    assert rendered("{{lead.tags}}") == ["vip", "new"]
    assert rendered("{{lead.owner}}") == {"email": "owner@example.com"}
    assert rendered("{{lead.phone}}") is None
    assert rendered({"entity_id": "{{ lead.id }}"}) == {"entity_id": 42}
    assert rendered("{{ lead.id + 1 }}") == 43


def test_text_around_placeholders_gives_text():
    assert rendered(" {{lead.id}}") == " 42"
    assert rendered("{{lead.id}}{{lead.id}}") == "4242"
    assert rendered("/leads/{{lead.id}}") == "/leads/42"
    assert rendered("{{lead.id}}\n") == "42\n"
    assert rendered("tags: {{ lead.tags | join(', ') }}") == "tags: vip, new"


def test_none_inside_text_renders_empty():
    assert rendered("phone: {{lead.phone}}") == "phone: "


def test_plain_strings_are_returned_as_is():
    assert rendered("no placeholders, just {braces}") == "no placeholders, just {braces}"
    assert rendered("}} stray closers") == "}} stray closers"


def test_today_shifts_by_days_and_renders_iso():
    assert rendered("{{today}}") == "2024-02-28"
    assert rendered("{{today+2}}") == "2024-03-01"
    assert rendered("{{ today + 1 }}") == "2024-02-29"
    assert rendered("{{today-30}}") == "2024-01-29"
    assert rendered("due {{today+7}}") == "due 2024-03-06"
    assert rendered("{{ (today + 2).year }}") == 2024
    assert rendered("{{ today.strftime('%d/%m/%Y') }}") == "28/02/2024"


def test_today_defaults_to_the_current_date():
    before = date.today().isoformat()
    value = render("{{today}}", {})
    assert value in {before, date.today().isoformat()}


def test_today_accepts_a_datetime():
    assert render("{{today+1}}", {}, today=datetime(2024, 12, 31, 23, 59)) == "2025-01-01"


def test_day_arithmetic():
    day = Day(2024, 1, 31)
    assert day + 1 == date(2024, 2, 1)
    assert isinstance(day + 1, Day)
    assert 1 + day == date(2024, 2, 1)
    assert day - 31 == date(2023, 12, 31)
    assert day - date(2024, 1, 1) == timedelta(days=30)
    assert day + timedelta(days=1) == date(2024, 2, 1)
    assert str(day - 1) == "2024-01-30"


def test_now_is_an_iso_datetime_with_seconds_precision():
    assert rendered("{{now}}") == "2024-02-28T14:05:09"
    assert rendered("at {{now}}") == "at 2024-02-28T14:05:09"
    assert rendered("{{ now.isoformat() }}") == "2024-02-28T14:05:09"
    value = render("{{now}}", {})
    assert len(value) == 19
    assert datetime.fromisoformat(value).microsecond == 0


def test_dates_and_datetimes_from_the_context_render_as_iso():
    assert rendered("{{lead.created}}") == "2024-01-02"
    assert rendered("{{lead.updated}}") == "2024-02-01T08:30:15"
    assert rendered("on {{lead.created}} at {{lead.updated}}") == (
        "on 2024-01-02 at 2024-02-01T08:30:15"
    )
    assert rendered("{{ [lead.created] }}") == ["2024-01-02"]


def test_undefined_variable_names_its_full_dotted_path_and_json_path():
    error = failure({"variables": {"first_name": "{{lead.first_nme}}"}})
    assert str(error) == "variables.first_name: undefined variable 'lead.first_nme'"
    assert error.variable == "lead.first_nme"
    assert error.path == "variables.first_name"
    assert error.code == "template_error"
    assert error.to_dict() == {
        "code": "template_error",
        "message": "undefined variable 'lead.first_nme'",
        "path": "variables.first_name",
        "variable": "lead.first_nme",
    }


@pytest.mark.parametrize(
    ("template", "variable"),
    [
        ("{{lead.owner.emial}}", "lead.owner.emial"),
        ("Dear {{ lead.owner.emial | upper }}", "lead.owner.emial"),
        ("{{ lead.owner.emial.domain }}", "lead.owner.emial"),
        ("{{leed.email}}", "leed"),
        ("{{ leed }}", "leed"),
        ("{{ lead['first nme'] }}", "lead['first nme']"),
        ("{{ lead.tags[5] }}", "lead.tags[5]"),
        ("{{ lead.email }} {{ lead.emial }}", "lead.emial"),
        ("{% if lead.vip %}yes{% endif %}", "lead.vip"),
        ("{% for tag in lead.tags %}{{ tag.label }}{% endfor %}", "tag.label"),
        ("{{ lipsum(3) }}", "lipsum"),
    ],
)
def test_undefined_variables_are_named_in_full(template, variable):
    error = failure({"body": ["ok", template]})
    assert error.variable == variable
    assert error.path == "body[1]"
    assert error.message == f"undefined variable {variable!r}"


def test_the_failed_lookup_is_told_apart_from_others_with_the_same_name():
    context = {"user": {"email": "u@example.com"}, "lead": {"owner": {}}}
    error = failure("{{ user.email }} {{ lead.owner.email }}", context)
    assert error.variable == "lead.owner.email"


def test_bare_string_path_is_root():
    error = failure("{{lead.first_nme}}")
    assert str(error) == "<root>: undefined variable 'lead.first_nme'"


def test_undefined_can_be_tested_and_defaulted():
    assert rendered("{{ lead.nickname | default('friend') }}") == "friend"
    assert rendered("{% if lead.nickname is defined %}x{% else %}y{% endif %}") == "y"
    assert rendered("{{ lead.nickname is defined }}") is False


class Record:
    def __init__(self):
        self._private = "internal"

    def secret(self):
        return self._private


def test_underscored_dict_keys_are_data_not_attributes():
    assert rendered("{{ lead._id }}", {"lead": {"_id": 7}}) == 7


@pytest.mark.parametrize(
    "template",
    [
        "{{ ''.__class__.__mro__ }}",
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ lead.__class__ }}",
        "{{ lead.__init__.__globals__ }}",
        "{{ record._private }}",
        "{{ record.secret.__func__ }}",
        "{{ cycler.__init__.__globals__ }}",
        "{{ lead.update({'id': 0}) }}",
        "{{ lead.tags.append('hacked') }}",
        "{{ lead.tags.clear() }}",
        "{{ lead.tags.pop() }}",
        "{{ lead.pop('id') }}",
        "{{ lead.setdefault('x', 1) }}",
        "{% for i in range(10001) %}{% endfor %}",
        "{{ range(20000) | length }}",
        "{{ 'x' * 10**9 }}",
        "{{ [1] * 200000 }}",
        "{{ 2 ** 1000000 }}",
        "{{ (9 ** 100) ** 100 }}",
    ],
)
def test_sandbox_forbids_and_never_executes(template):
    record = Record()
    context = {"lead": {"id": 42, "tags": ["vip"]}, "record": record}
    error = failure({"message": template}, context)
    assert error.message.startswith("forbidden: "), error.message
    assert error.path == "message"
    assert context == {"lead": {"id": 42, "tags": ["vip"]}, "record": record}
    assert vars(record) == {"_private": "internal"}


def test_forbidden_attribute_names_the_variable():
    error = failure("{{ lead.__class__ }}")
    assert error.variable == "lead.__class__"
    assert "unsafe" in error.message


def test_ranges_up_to_the_limit_are_allowed():
    assert templates.MAX_RANGE == 10_000
    assert rendered("{{ range(10000) | length }}") == 10000
    assert rendered("{{ 'ab' * 3 }}") == "ababab"
    assert rendered("{{ 2 ** 10 }}") == 1024


def test_runtime_errors_become_template_errors():
    error = failure({"a": "{{ 1 / 0 }}"})
    assert error.path == "a"
    assert error.message == "cannot render: division by zero"
    assert isinstance(error.__cause__, ZeroDivisionError)
    assert failure("{{ today + 'x' }}").message.startswith("cannot render: ")


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("{{ lead.id", "syntax error on line 1: unexpected end of template, "
         "expected 'end of print statement'."),
        ("ok\n{% if lead.id %}\nyes", "syntax error on line 2: Unexpected end of template. "
         "Jinja was looking for the following tags: 'elif' or 'else' or 'endif'. "
         "The innermost block that needs to be closed is 'if'."),
        ("a\nb\n{{ x + }}\nc", "syntax error on line 3: unexpected 'end of print statement'"),
        ("{{ lead..id }}", "syntax error on line 1: expected name or number"),
        ("{% frobnicate %}", "syntax error on line 1: Encountered unknown tag 'frobnicate'."),
    ],
)  # fmt: skip
def test_syntax_errors_name_the_path_and_line(template, message):
    for check in (rendered, validate, variables):
        with pytest.raises(TemplateError) as raised:
            check({"steps": [{"text": template}]})
        assert raised.value.path == "steps[0].text"
        assert raised.value.message == message


def test_validate_checks_syntax_only():
    validate({"to": "{{ undefined_thing.email }}", "n": 3, "list": ["{{ x }}", None]})
    validate("plain")
    validate(None)


def test_variables_lists_root_names_used():
    config = {
        "to": "{{ lead.email }}",
        "cc": ["{{ user.email }}", "{{ api_key }}"],
        "due": "{{ today + 2 }} {{ now }}",
        "loop": "{% for i in range(3) %}{{ i }}{{ deal.name }}{% endfor %}",
        "plain": "no markup",
    }
    assert variables(config) == ["api_key", "deal", "lead", "user"]
    assert variables("nothing") == []


def test_compiled_templates_are_cached_by_source():
    unique = uuid.uuid4().hex
    config = {"a": f"{{{{ lead.id }}}} {unique}", "b": f"{{{{ lead.email }}}} {unique}"}
    before = templates._compile.cache_info()
    rendered(config)
    first = templates._compile.cache_info()
    assert first.misses == before.misses + 2
    for _ in range(3):
        assert rendered(config) == {"a": f"42 {unique}", "b": f"ann@example.com {unique}"}
    after = templates._compile.cache_info()
    assert after.misses == first.misses
    assert after.hits == first.hits + 6


def test_render_accepts_any_mapping_context_and_builtins_win():
    assert render("{{ today }}", {"today": "shadowed"}, today=TODAY) == "2024-02-28"


def test_template_error_is_a_workflow_error_and_pickles():
    error = failure({"x": "{{ lead.nope }}"})
    assert isinstance(error, WorkflowError)
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.message, copy.path, copy.variable) == (error.message, error.path, error.variable)
    assert str(copy) == str(error)


class _LazyContext(dict):
    """A context that may only be read name by name, as the Odoo layer's record views."""

    def __iter__(self):
        raise AssertionError("the renderer copied the whole context")

    def keys(self):
        raise AssertionError("the renderer copied the whole context")


def test_rendering_reads_the_context_name_by_name():
    context = _LazyContext(lead={"id": 7, "name": "Acme"})
    assert render({"id": "{{lead.id}}", "text": "Hi {{lead.name}} {{range(2)|list}}"}, context) == {
        "id": 7,
        "text": "Hi Acme [0, 1]",
    }
    with pytest.raises(TemplateError, match="undefined variable 'lead.email'"):
        render("{{lead.email}}", context)


@pytest.mark.parametrize("depth", [150, 2000])
def test_a_template_nested_too_deeply_to_compile_is_a_template_error_with_its_path(depth):
    source = "{% if 1 %}" * depth + "x" + "{% endif %}" * depth
    for call in (lambda: templates.validate({"note": source}), lambda: templates.render({"note": source}, {})):
        with pytest.raises(TemplateError, match="nested too deeply to compile") as caught:
            call()
        assert caught.value.path == "note"


def test_lookups_name_what_each_use_of_a_variable_reads():
    value = {
        "a": "{{ steps.enrich.output.json.score }} {{ steps['ab'].state }}",
        "b": ["{{ steps }}", "{{ steps[name] }}", "{{ steps[0] }}", "{{ lead.steps.x }}", "steps.plain"],
        "c": "{% for item in steps.fetch.output %}{{ item }}{% endfor %}",
    }
    assert list(templates.lookups(value, "steps")) == [
        ("a", "enrich"), ("a", "ab"), ("b[0]", None), ("b[1]", None), ("b[2]", 0), ("c", "fetch"),
    ]
    assert list(templates.lookups("{{ lead.id }}", "lead")) == [(templates.ROOT_PATH, "id")]
    assert list(templates.lookups({"a": "{% set steps = 1 %}"}, "steps")) == []
