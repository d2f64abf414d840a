import json
import types
from datetime import date, datetime, timedelta, timezone

import pytest

from engine import conditions
from engine.conditions import ConditionError, compile, evaluate, explain, resolve, validate
from engine.exceptions import WorkflowError

FIELD_SHAPES = ("x", "a.x", "a.b.x")


def nest(field, value):
    """A context holding ``value`` at the dotted ``field``."""
    context = value
    for key in reversed(field.split(".")):
        context = {key: context}
    return context


def outcomes(operator, actual, expected):
    """The leaf's result through every evaluation route: compiled (for each path shape,
    which each have their own closure) and explained."""
    results = set()
    for field in FIELD_SHAPES:
        leaf = {"field": field, "operator": operator, "value": expected}
        context = nest(field, actual)
        results.add(compile(leaf)(context))
        results.add(explain(leaf, context).result)
    return results


D = date(2024, 1, 5)
DT = datetime(2024, 1, 5, 10, 30)

SEMANTICS = [
    # eq / ne
    ("eq", "qualified", "qualified", True),
    ("eq", "Qualified", "qualified", False),
    ("eq", 1, 1.0, True),
    ("eq", 2.5, 2.5, True),
    ("eq", True, 1, False),
    ("eq", 1, True, False),
    ("eq", True, True, True),
    ("eq", None, None, True),
    ("eq", None, "x", False),
    ("eq", "x", None, False),
    ("eq", [1, 2], [1, 2], True),
    ("eq", "2024-01-05", D, True),
    ("eq", D, "2024-01-05", True),
    ("eq", DT, "2024-01-05T10:30:00", True),
    ("eq", DT, D, True),
    ("eq", D, "not a date", False),
    ("ne", "a", "b", True),
    ("ne", "a", "a", False),
    ("ne", 1, 1.0, False),
    ("ne", None, "x", False),
    ("ne", None, None, False),
    ("ne", "x", None, True),
    ("ne", True, 1, True),
    ("ne", D, "2024-01-06", True),
    # ordering
    ("gt", 5, 3, True),
    ("gt", 3, 5, False),
    ("gt", 2.5, 2, True),
    ("gte", 80, 80, True),
    ("gte", 79.99, 80, False),
    ("lt", 59, 60, True),
    ("lte", 60.0, 60, True),
    ("lte", 61, 60, False),
    ("gt", "b", "a", True),
    ("gt", "B", "a", False),
    ("gt", None, 1, False),
    ("lt", None, 1, False),
    ("gte", 1, None, False),
    ("gt", "abc", 5, False),
    ("lt", 5, "abc", False),
    ("gt", [2], [1], False),
    ("gt", True, 0, False),
    ("gte", 1, True, False),
    ("lt", False, True, False),
    ("gt", D, "2024-01-01", True),
    ("lt", "2024-01-01", D, True),
    ("gte", "2024-01-05", D, True),
    ("gt", D, "2024-13-45", False),
    ("lt", D, "soon", False),
    ("gt", DT, D, False),
    ("gte", DT, D, True),
    ("lte", DT, "2024-01-05", True),
    ("gt", DT, "2024-01-05T10:00:00", True),
    ("lt", datetime(2024, 1, 5, 9), DT.replace(tzinfo=timezone.utc), True),
    ("gt", datetime(2024, 1, 5, 12, tzinfo=timezone(timedelta(hours=3))), DT, False),
    ("gt", D, 20240101, False),
    ("lt", D, None, False),
    # in / not_in
    ("in", "a", ["a", "b"], True),
    ("in", "c", ["a", "b"], False),
    ("in", 1, [1.0, 2], True),
    ("in", True, [1], False),
    ("in", D, ["2024-01-05"], True),
    ("in", None, [None], False),
    ("in", ["vip", "new"], ["vip"], True),
    ("in", ("vip", "new"), ["churned", "new"], True),
    ("in", {"vip"}, ["vip"], True),
    ("in", ["vip"], ["new"], False),
    ("in", [], ["new"], False),
    ("in", "a", [], False),
    ("not_in", "c", ["a", "b"], True),
    ("not_in", "a", ["a", "b"], False),
    ("not_in", ["vip"], ["new"], True),
    ("not_in", ["vip", "new"], ["new"], False),
    ("not_in", None, ["a"], False),
    ("not_in", 3, [1, 2], True),
    # contains / icontains
    ("contains", "Tech Corp", "Tech", True),
    ("contains", "Tech Corp", "tech", False),
    ("contains", ["a", "b"], "a", True),
    ("contains", ("a", "b"), "c", False),
    ("contains", {1, 2}, 2.0, True),
    ("contains", "123", 1, False),
    ("contains", 123, "1", False),
    ("contains", None, "a", False),
    ("icontains", "Tech Corp", "tech", True),
    ("icontains", "STRASSE", "straße", True),
    ("icontains", ["VIP", "New"], "vip", True),
    ("icontains", ["VIP"], "vi", False),
    ("icontains", [1, 2], 2, True),
    ("icontains", None, "a", False),
    # startswith / endswith
    ("startswith", "Tech Corp", "Tech", True),
    ("startswith", "Tech Corp", "tech", False),
    ("startswith", 123, "1", False),
    ("startswith", ["a"], "a", False),
    ("startswith", "abc", 1, False),
    ("startswith", None, "a", False),
    ("endswith", "lead@example.com", "@example.com", True),
    ("endswith", "lead@example.com", "@EXAMPLE.com", False),
    ("endswith", 123, "3", False),
    ("endswith", None, "a", False),
]


@pytest.mark.parametrize(("operator", "actual", "expected", "result"), SEMANTICS)
def test_operator_semantics(operator, actual, expected, result):
    assert outcomes(operator, actual, expected) == {result}


def test_every_operator_is_covered_by_the_semantics_table():
    assert {row[0] for row in SEMANTICS} == set(conditions.OPERATORS)
    assert conditions.OPERATORS == (
        "eq", "ne", "gt", "gte", "lt", "lte", "in",
        "contains", "startswith", "endswith", "icontains", "not_in",
    )  # fmt: skip


@pytest.mark.parametrize("operator", conditions.OPERATORS)
def test_missing_field_is_false_except_for_eq_against_null(operator):
    value = ["a"] if operator in ("in", "not_in") else "a"
    assert outcomes(operator, None, value) == {False}
    leaf = {"field": "lead.nothing.here", "operator": operator, "value": value}
    assert evaluate(leaf, {}) is False
    assert evaluate(leaf, {"lead": None}) is False
    assert evaluate(leaf, {"lead": "a string, not a record"}) is False


def test_eq_null_matches_a_missing_field():
    assert evaluate({"field": "lead.owner", "operator": "eq", "value": None}, {"lead": {}})


def test_results_are_real_booleans():
    for operator, actual, expected, _result in SEMANTICS:
        leaf = {"field": "x", "operator": operator, "value": expected}
        assert type(compile(leaf)({"x": actual})) is bool


class Record:
    """An object context that logs every field looked up."""

    def __init__(self, **values):
        self.values = values
        self.looked_up = []

    def __getattr__(self, name):
        self.looked_up.append(name)
        return self.values.get(name)


class Exploding:
    @property
    def amount(self):
        raise RuntimeError("database is gone")

    def __eq__(self, other):
        raise RuntimeError("no comparing")

    __hash__ = object.__hash__


def test_resolve_walks_mappings_and_attributes():
    owner = types.SimpleNamespace(email="owner@example.com", _secret="hidden")
    context = {"lead": types.MappingProxyType({"owner": owner, "tags": ["a"]})}
    assert resolve(context, "lead.owner.email") == "owner@example.com"
    assert resolve(context, "lead.tags") == ["a"]
    assert resolve(context, "lead.owner.phone") is None
    assert resolve(context, "lead.missing.email") is None
    assert resolve(context, "account") is None
    assert resolve(context, "lead.owner._secret") is None
    assert resolve(context, "lead.owner.__class__") is None
    assert resolve(Exploding(), "amount") is None


def test_object_contexts_work_on_every_path_shape():
    lead = Record(status="qualified", owner=Record(email="o@example.com"))
    assert evaluate({"field": "status", "operator": "eq", "value": "qualified"}, lead)
    context = Record(lead=lead)
    assert evaluate({"field": "lead.status", "operator": "eq", "value": "qualified"}, context)
    deep = {"field": "lead.owner.email", "operator": "endswith", "value": "@example.com"}
    assert evaluate(deep, context)


def test_no_rule_raises_on_hostile_values():
    for operator in conditions.OPERATORS:
        value = [1] if operator in ("in", "not_in") else 1
        assert evaluate({"field": "amount", "operator": operator, "value": value}, Exploding()) in (
            False,
            True,
        )
        assert outcomes(operator, Exploding(), value) in ({False}, {True})
        assert outcomes(operator, object(), value) in ({False}, {True})


def test_and_short_circuits_on_the_first_false_child():
    dsl = {
        "and": [
            {"field": "status", "operator": "eq", "value": "qualified"},
            {"field": "amount", "operator": "gte", "value": 1000},
        ]
    }
    lead = Record(status="new", amount=5000)
    assert compile(dsl)(lead) is False
    assert lead.looked_up == ["status"]
    lead = Record(status="new", amount=5000)
    assert explain(dsl, lead).result is False
    assert lead.looked_up == ["status"]


def test_or_short_circuits_on_the_first_true_child():
    dsl = {
        "or": [
            {"field": "priority", "operator": "eq", "value": "high"},
            {"field": "amount", "operator": "gte", "value": 50000},
            {"field": "source", "operator": "eq", "value": "referral"},
        ]
    }
    lead = Record(priority="high")
    assert compile(dsl)(lead) is True
    assert lead.looked_up == ["priority"]
    lead = Record(priority="low", amount=60000)
    assert compile(dsl)(lead) is True
    assert lead.looked_up == ["priority", "amount"]
    lead = Record(priority="low", amount=10)
    assert explain(dsl, lead).result is False
    assert lead.looked_up == ["priority", "amount", "source"]


def test_and_with_many_children_stops_early():
    children = [{"field": f"f{index}", "operator": "eq", "value": index} for index in range(5)]
    lead = Record(f0=0, f1=1, f2=99, f3=3, f4=4)
    assert compile({"and": children})(lead) is False
    assert lead.looked_up == ["f0", "f1", "f2"]


def test_not_negates():
    dsl = {"not": {"field": "status", "operator": "eq", "value": "unqualified"}}
    assert evaluate(dsl, {"status": "new"}) is True
    assert evaluate(dsl, {"status": "unqualified"}) is False
    assert evaluate({"not": dsl}, {"status": "unqualified"}) is True


def test_no_condition_always_holds():
    validate(None)
    assert compile(None)({}) is True
    assert compile(None)(object()) is True
    assert evaluate(None, {"anything": 1}) is True


DESIGN_EXAMPLES = [
    (
        {"field": "status", "operator": "eq", "value": "qualified"},
        {"status": "qualified"},
        {"status": "new"},
    ),
    (
        {
            "and": [
                {"field": "amount", "operator": "gte", "value": 1000},
                {"field": "stage", "operator": "eq", "value": "proposal"},
            ]
        },
        {"amount": 1000, "stage": "proposal"},
        {"amount": 999.5, "stage": "proposal"},
    ),
    (
        {
            "or": [
                {"field": "priority", "operator": "eq", "value": "high"},
                {"field": "amount", "operator": "gte", "value": 50000},
            ]
        },
        {"priority": "low", "amount": 50000},
        {"priority": "low", "amount": 49999},
    ),
    (
        {"not": {"field": "status", "operator": "eq", "value": "unqualified"}},
        {"status": "new"},
        {"status": "unqualified"},
    ),
    (
        {
            "and": [
                {"field": "status", "operator": "eq", "value": "qualified"},
                {
                    "or": [
                        {"field": "source", "operator": "eq", "value": "referral"},
                        {"field": "lead_score", "operator": "gte", "value": 80},
                    ]
                },
            ]
        },
        {"status": "qualified", "source": "web", "lead_score": 85},
        {"status": "qualified", "source": "web", "lead_score": 79},
    ),
    (
        {"field": "lead.company_name", "operator": "contains", "value": "Tech"},
        {"lead": {"company_name": "Acme Tech Ltd"}},
        {"lead": {"company_name": "Acme Ltd"}},
    ),
    (
        {
            "and": [
                {"field": "annual_revenue", "operator": "gte", "value": 1000000},
                {"field": "budget", "operator": "gte", "value": 50000},
            ]
        },
        {"annual_revenue": 2_500_000, "budget": 50000},
        {"annual_revenue": 2_500_000, "budget": None},
    ),
    (
        {"field": "new_stage", "operator": "eq", "value": "negotiation"},
        {"new_stage": "negotiation", "old_stage": "proposal"},
        {"new_stage": "proposal"},
    ),
    (
        {
            "and": [
                {"field": "status", "operator": "eq", "value": "new"},
                {"field": "lead_score", "operator": "lt", "value": 60},
            ]
        },
        {"status": "new", "lead_score": 12},
        {"status": "new"},
    ),
]


@pytest.mark.parametrize(("dsl", "matching", "not_matching"), DESIGN_EXAMPLES)
def test_design_examples(dsl, matching, not_matching):
    validate(dsl)
    predicate = compile(dsl)
    assert predicate(matching) is True
    assert predicate(not_matching) is False
    assert explain(dsl, matching).result is True
    assert explain(dsl, not_matching).result is False


def leaf(field, operator, value):
    return {"field": field, "operator": operator, "value": value}


MALFORMED = [
    (["not", "an", "object"], "<root>: condition must be an object, got list"),
    ("status == 'new'", "<root>: condition must be an object, got str"),
    ({}, "<root>: empty condition: expected 'field', 'operator' and 'value', "
     "or one of 'and', 'or', 'not'"),
    ({"field": "a", "operator": "eq"}, "<root>: missing key 'value'"),
    ({"operator": "eq", "value": 1}, "<root>: missing key 'field'"),
    ({"field": "a", "operator": "eq", "value": 1, "extra": 2}, "<root>: unknown key 'extra'"),
    (
        {"and": [leaf("a", "eq", 1), {"or": [leaf("b", "equals", 2)]}]},
        "and[1].or[0]: unknown operator 'equals'",
    ),
    ({"and": [leaf("a", "eq", 1)], "or": []}, "<root>: expected one of 'and', 'or', 'not', "
     "got 'and', 'or'"),
    ({"and": [leaf("a", "eq", 1)], "field": "x"}, "<root>: unknown key 'field' beside 'and'"),
    ({"and": []}, "<root>: 'and' must be a non-empty list, got an empty list"),
    ({"or": {"field": "a"}}, "<root>: 'or' must be a non-empty list, got dict"),
    ({"and": None}, "<root>: 'and' must be a non-empty list, got null"),
    ({"not": [leaf("a", "eq", 1)]}, "not: condition must be an object, got list"),
    ({"not": None}, "not: condition must be an object, got null"),
    ({"and": ["a"]}, "and[0]: condition must be an object, got str"),
    ({"or": [leaf("a", "eq", 1), {"not": {}}]}, "or[1].not: empty condition: expected "
     "'field', 'operator' and 'value', or one of 'and', 'or', 'not'"),
    (leaf("a", "in", "a,b"), "<root>: operator 'in' needs a list value, got str"),
    (leaf("a", "not_in", None), "<root>: operator 'not_in' needs a list value, got null"),
    (leaf(3, "eq", 1), "<root>: field must be a non-empty string, got int"),
    (leaf("", "eq", 1), "<root>: field must be a non-empty string, got an empty str"),
    (leaf("a..b", "eq", 1), "<root>: field 'a..b' has an empty segment"),
    (leaf(".a", "eq", 1), "<root>: field '.a' has an empty segment"),
    (leaf("a.", "eq", 1), "<root>: field 'a.' has an empty segment"),
    (leaf("a", "EQ", 1), "<root>: unknown operator 'EQ'"),
    (leaf("a", ["eq"], 1), "<root>: unknown operator ['eq']"),
    (leaf("a", None, 1), "<root>: unknown operator None"),
]  # fmt: skip


@pytest.mark.parametrize(("dsl", "message"), MALFORMED)
def test_malformed_conditions_name_the_bad_node(dsl, message):
    for entry_point in (validate, compile, lambda d: explain(d, {})):
        with pytest.raises(ConditionError) as raised:
            entry_point(dsl)
        assert str(raised.value) == message
        assert raised.value.path == message.split(": ")[0]


def nots_around_a_leaf(levels):
    dsl = leaf("a", "eq", 1)
    for _ in range(levels - 1):
        dsl = {"not": dsl}
    return dsl


def test_depth_limit_is_32_levels():
    assert conditions.MAX_DEPTH == 32
    validate(nots_around_a_leaf(32))
    assert evaluate(nots_around_a_leaf(32), {"a": 1}) is False  # 31 negations of true
    with pytest.raises(ConditionError) as raised:
        validate(nots_around_a_leaf(33))
    assert raised.value.path == ".".join(["not"] * 32)
    assert raised.value.message == "conditions nested deeper than 32 levels"


def test_depth_limit_counts_and_or_levels_too():
    dsl = leaf("a", "eq", 1)
    for level in range(32):
        dsl = {("and", "or")[level % 2]: [dsl]}
    with pytest.raises(ConditionError, match="nested deeper than 32 levels"):
        validate(dsl)
    validate(dsl["or"][0])


def test_condition_error_is_a_workflow_error_with_a_code():
    with pytest.raises(WorkflowError) as raised:
        validate({"and": [leaf("a", "equals", 1)]})
    assert raised.value.code == "invalid_condition"
    assert raised.value.to_dict() == {
        "code": "invalid_condition",
        "message": "unknown operator 'equals'",
        "path": "and[0]",
    }


NESTED = {
    "and": [
        leaf("status", "eq", "qualified"),
        {"or": [leaf("source", "eq", "referral"), leaf("lead_score", "gte", 80)]},
    ]
}


def test_explain_failing_and_names_its_first_false_leaf():
    explanation = explain(NESTED, {"status": "new", "source": "referral"})
    assert explanation.result is False
    assert explanation.decisive.path == "and[0]"
    assert explanation.decisive.actual == "new"
    assert [item.path for item in explanation.leaves] == ["and[0]"]


def test_explain_passing_or_names_its_first_true_leaf():
    explanation = explain(NESTED, {"status": "qualified", "source": "web", "lead_score": 90})
    assert explanation.result is True
    assert explanation.decisive.path == "and[1].or[1]"
    assert [item.path for item in explanation.leaves] == ["and[0]", "and[1].or[0]", "and[1].or[1]"]
    assert [item.result for item in explanation.leaves] == [True, False, True]


def test_explain_failing_or_names_its_last_leaf():
    explanation = explain(NESTED, {"status": "qualified", "source": "web", "lead_score": 10})
    assert explanation.result is False
    assert explanation.decisive.path == "and[1].or[1]"
    assert explanation.decisive.field == "lead_score"
    assert explanation.decisive.operator == "gte"
    assert explanation.decisive.expected == 80
    assert explanation.decisive.actual == 10


def test_explain_through_not_keeps_the_childs_decisive_leaf():
    dsl = {"not": {"or": [leaf("a", "eq", 1), leaf("b", "eq", 2)]}}
    explanation = explain(dsl, {"a": 0, "b": 2})
    assert explanation.result is False
    assert explanation.decisive.path == "not.or[1]"
    assert explanation.decisive.result is True
    assert explanation.summary() == "not.or[1]: b eq 2 → actual 2 (true), so the condition is false"


def test_explain_root_leaf_and_no_condition():
    explanation = explain(leaf("amount", "gte", 1000), {"amount": 500})
    assert explanation.decisive.path == "<root>"
    assert explanation.summary() == "<root>: amount gte 1000 → actual 500 (false)"
    nothing = explain(None, {"amount": 500})
    assert (nothing.result, nothing.decisive, nothing.leaves) == (True, None, [])
    assert nothing.summary() == "no condition (true)"


def test_explain_summary_matches_the_documented_form():
    dsl = {"and": [leaf("amount", "gte", 1000), leaf("stage", "eq", "proposal")]}
    explanation = explain(dsl, {"amount": 500})
    assert explanation.summary() == "and[0]: amount gte 1000 → actual 500 (false)"
    explanation = explain(dsl, {"amount": 1500})
    assert explanation.summary() == 'and[1]: stage eq "proposal" → actual null (false)'


def test_explanation_to_dict_is_json_safe():
    dsl = {
        "or": [
            leaf("created", "gt", "2024-02-01"),
            leaf("tags", "in", ["vip"]),
            leaf("owner", "eq", "x"),
        ]
    }
    context = {"created": D, "tags": {"b", "a"}, "owner": Record(), "ratio": float("nan")}
    data = explain(dsl, context).to_dict()
    json.loads(json.dumps(data, allow_nan=False))
    assert data["result"] is False
    assert data["decisive"]["path"] == "or[2]"
    assert [item["actual"] for item in data["leaves"][:2]] == ["2024-01-05", ["a", "b"]]
    assert data["leaves"][2]["actual"].startswith("<test_conditions.Record object")
    assert explain(leaf("ratio", "gt", 1), context).to_dict()["leaves"][0]["actual"] == "nan"


def test_explain_matches_compile_on_every_design_example():
    for dsl, matching, not_matching in DESIGN_EXAMPLES:
        for context in (matching, not_matching, {}):
            explanation = explain(dsl, context)
            assert explanation.result == compile(dsl)(context)
            assert explanation.decisive in explanation.leaves
