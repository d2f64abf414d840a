from datetime import date, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import conditions
from engine.conditions import ConditionError
from engine.domains import FALSE_DOMAIN, TRUE_DOMAIN, to_domain

FIELDS = {
    "lead": {
        "id": {"type": "integer"},
        "name": {"type": "char"},
        "translated": {"type": "char", "translate": True},
        "color": {"type": "integer"},
        "revenue": {"type": "monetary"},
        "ratio": {"type": "float", "digits": (16, 2)},
        "score": {"type": "float"},
        "code": {"type": "char", "size": 5},
        "active": {"type": "boolean"},
        "priority": {"type": "selection", "selection": ["0", "1", "2", "3"]},
        "deadline": {"type": "date"},
        "closed_at": {"type": "datetime"},
        "user_id": {"type": "many2one", "relation": "user"},
        "stage_id": {"type": "many2one", "relation": "stage"},
        "tag_ids": {"type": "many2many", "relation": "tag"},
        "computed": {"type": "char", "store": False},
        "secret": {"type": "char"},
    },
    "user": {"login": {"type": "char"}, "name": {"type": "char", "store": False}},
}
ALIASES = {"amount": "revenue", "stage": "stage_id"}


def compiled(dsl, **options):
    options.setdefault("roots", ("record", "lead"))
    options.setdefault("named_by_text", ("stage",))
    options.setdefault("masked", {("lead", "secret")})
    return to_domain(
        dsl, "lead", FIELDS.get, field_name=lambda model, name: ALIASES.get(name, name), **options
    )


def leaf(field, operator, value):
    return {"field": field, "operator": operator, "value": value}


def test_no_condition_is_everything():
    assert to_domain(None, "lead", FIELDS.get) == ([], None)


def test_invalid_condition_raises():
    with pytest.raises(ConditionError):
        to_domain({"field": "x", "operator": "nope", "value": 1}, "lead", FIELDS.get)


def test_char_equality_and_nulls():
    assert compiled(leaf("name", "eq", "a")) == (["&", ("name", "!=", False), ("name", "=", "a")], None)
    # ne is false on null, true on ''.
    domain, residual = compiled(leaf("lead.name", "ne", "a"))
    assert residual is None
    assert domain == [
        "|", "&", ("name", "=", False), ("name", "=like", "%"),
        "&", ("name", "!=", False), ("name", "!=", "a"),
    ]
    # eq '' only on '', eq None only on null.
    assert compiled(leaf("name", "eq", ""))[0] == ["&", ("name", "=", False), ("name", "=like", "%")]
    assert compiled(leaf("name", "eq", None))[0] == [("name", "not like", "%")]
    # not (eq 'a'): null, '' and the other strings.
    assert compiled({"not": leaf("name", "eq", "a")})[0] == [
        "|", ("name", "=", False), "&", ("name", "!=", False), ("name", "!=", "a"),
    ]


def test_like_patterns_are_escaped():
    domain, _ = compiled(leaf("name", "contains", "50%_a\\b"))
    assert domain[-1] == ("name", "like", "50\\%\\_a\\\\b")
    assert compiled(leaf("name", "startswith", "a_"))[0][-1] == ("name", "=like", "a\\_%")
    assert compiled(leaf("name", "endswith", "%"))[0][-1] == ("name", "=like", "%\\%")
    assert compiled({"not": leaf("name", "endswith", "x")})[0][-2:] == ["!", ("name", "=like", "%x")]


def test_residual_string_operators():
    for operator in ("gt", "icontains"):
        assert compiled(leaf("name", operator, "a")) == ([], leaf("name", operator, "a"))


def test_numbers_follow_odoo_zero_for_null():
    assert compiled(leaf("amount", "gte", 1000)) == ([("revenue", ">=", 1000)], None)
    assert compiled({"not": leaf("color", "lt", 3)}) == ([("color", ">=", 3)], None)
    assert compiled(leaf("color", "gt", 2.5))[0] == [("color", ">", 2)]
    assert compiled(leaf("color", "lt", 2.5))[0] == [("color", "<", 3)]
    assert compiled(leaf("color", "eq", 2.5))[0] == FALSE_DOMAIN
    # A float column rounds: non-integral values stay residual.
    assert compiled(leaf("revenue", "lte", 2.5)) == ([], leaf("revenue", "lte", 2.5))
    assert compiled(leaf("ratio", "lte", 2.125)) == ([], leaf("ratio", "lte", 2.125))
    assert compiled(leaf("ratio", "gt", 2.25)) == ([("ratio", ">", 2.25)], None)
    assert compiled({"not": leaf("score", "eq", 0.1)}) == ([("score", "!=", 0.1)], None)
    assert compiled(leaf("score", "in", [0.1, 2])) == ([("score", "in", [0.1, 2])], None)


def test_sized_char_values_that_odoo_would_cut_stay_residual():
    assert compiled(leaf("code", "eq", "ab"))[1] is None
    assert compiled(leaf("code", "startswith", "abc")) == ([], leaf("code", "startswith", "abc"))
    # Bools and strings never equal numbers.
    assert compiled(leaf("color", "eq", True))[0] == FALSE_DOMAIN
    assert compiled(leaf("color", "ne", "1"))[0] == TRUE_DOMAIN
    assert compiled(leaf("color", "in", [1, True, "2", 3.0, 3.5]))[0] == [("color", "in", [1, 3])]
    assert compiled(leaf("color", "lt", float("inf")))[0] == TRUE_DOMAIN


def test_booleans_by_enumeration():
    assert compiled(leaf("active", "eq", True))[0] == [("active", "=", True)]
    assert compiled(leaf("active", "ne", True))[0] == [("active", "=", False)]
    assert compiled(leaf("active", "eq", 1))[0] == FALSE_DOMAIN
    assert compiled({"not": leaf("active", "in", [False])})[0] == [("active", "=", True)]


def test_selection_by_its_keys():
    assert compiled(leaf("priority", "gte", "2"))[0] == [
        "&", ("priority", "!=", False), ("priority", "in", ["2", "3"]),
    ]
    assert compiled({"not": leaf("priority", "icontains", "1")})[0] == [
        "|", ("priority", "=", False), "&", ("priority", "!=", False), ("priority", "in", ["0", "2", "3"]),
    ]


def test_dates():
    assert compiled(leaf("deadline", "lt", "2024-05-01"))[0] == [
        "&", ("deadline", "!=", False), ("deadline", "<", date(2024, 5, 1)),
    ]
    assert compiled(leaf("deadline", "eq", "2024-05-01T23:00:00"))[0][-1] == ("deadline", "=", date(2024, 5, 1))
    assert compiled(leaf("deadline", "eq", "not a date"))[0] == FALSE_DOMAIN
    assert compiled(leaf("deadline", "ne", 5))[0] == [("deadline", "!=", False)]
    assert compiled(leaf("closed_at", "eq", "2024-05-01"))[0][-3:] == [
        "&", ("closed_at", ">=", datetime(2024, 5, 1)), ("closed_at", "<", datetime(2024, 5, 2)),
    ]
    assert compiled(leaf("closed_at", "gt", "2024-05-01"))[0][-1] == ("closed_at", ">=", datetime(2024, 5, 2))
    assert compiled(leaf("closed_at", "lte", "2024-05-01T10:00:00+02:00"))[0][-1] == (
        "closed_at", "<=", datetime(2024, 5, 1, 8),
    )


def test_relations():
    assert compiled(leaf("user_id", "eq", 7))[0] == ["&", ("user_id", "!=", False), ("user_id", "=", 7)]
    # No record has an id below 1, and Odoo reads a 0 in an id list as null.
    assert compiled(leaf("user_id", "not_in", [0]))[0] == [("user_id", "!=", False)]
    assert compiled(leaf("user_id", "in", [0, 7]))[0] == ["&", ("user_id", "!=", False), ("user_id", "in", [7])]
    assert compiled(leaf("user_id", "eq", 0))[0] == FALSE_DOMAIN
    assert compiled(leaf("user_id", "ne", -1))[0] == [("user_id", "!=", False)]
    assert compiled(leaf("user_id", "eq", "Mitchell Admin")) == ([], leaf("user_id", "eq", "Mitchell Admin"))
    assert compiled(leaf("lead.user_id.login", "eq", "admin"))[0] == [
        ("user_id", "any", ["&", ("login", "!=", False), ("login", "=", "admin")]),
    ]
    # Negated, a missing user makes the leaf true.
    assert compiled({"not": leaf("user_id.login", "eq", "admin")})[0][:2] == ["|", ("user_id", "not any", [])]
    # Not stored on the related model: the superset keeps the relation's `any` only when positive.
    assert compiled(leaf("user_id.name", "eq", "x")) == ([("user_id", "any", [])], leaf("user_id.name", "eq", "x"))
    assert compiled({"not": leaf("user_id.name", "eq", "x")})[0] == []


@pytest.mark.parametrize(
    "field", ["stage", "tag_ids", "computed", "translated", "secret", "unknown", "name.x", "payload"]
)
def test_residual_fields(field):
    condition = leaf(field, "eq", "x")
    assert compiled(condition, event_keys=("payload",)) == ([], condition)


def test_constants():
    constants = {"user": {"login": "admin"}, "today": date(2024, 5, 1)}
    assert compiled(leaf("user.login", "eq", "admin"), constants=constants)[0] == TRUE_DOMAIN
    assert compiled(leaf("today", "gt", "2024-05-01"), constants=constants)[0] == FALSE_DOMAIN
    assert compiled({"not": leaf("today", "gt", "2024-05-01")}, constants=constants)[0] == TRUE_DOMAIN


def test_residual_rules():
    exact, inexact = leaf("color", "eq", 1), leaf("stage", "eq", "Won")
    # and: the exact part in the domain, the inexact part as residual.
    assert compiled({"and": [exact, inexact]}) == ([("color", "=", 1)], inexact)
    # or with an inexact child: a superset, the whole or as residual.
    assert compiled({"or": [exact, inexact]}) == ([], {"or": [exact, inexact]})
    # not(or) is an and of negations: exact ones compile, the others stay.
    assert compiled({"not": {"or": [exact, inexact]}}) == ([("color", "!=", 1)], {"not": inexact})
    assert compiled({"not": {"and": [exact, inexact]}}) == ([], {"not": {"and": [exact, inexact]}})


# --- property: on hand-made records, domain then residual equals the condition ----------
# A small interpreter of the domains emitted for plain columns (nulls as SQL does).


def sql_leaf(row, name, operator, value):
    actual = row[name]
    if name == "color":
        actual = 0 if actual is None else actual  # Odoo's number semantics: null reads as 0
        return {"=": actual == value, "!=": actual != value, ">": actual > value if operator == ">" else None,
                "in": actual in value if operator == "in" else None,
                "not in": actual not in value if operator == "not in" else None,
                "<": actual < value if operator == "<" else None, ">=": actual >= value if operator == ">=" else None,
                "<=": actual <= value if operator == "<=" else None}[operator]
    if name == "active":
        return bool(actual) == value
    if operator == "=" and value is False:
        return actual is None or actual == ""
    if operator == "!=" and value is False:
        return actual is not None and actual != ""
    if actual is None:
        return operator in ("!=", "not in", "not like")
    if operator == "like":
        return like(actual, "%" + value + "%")
    if operator == "not like":
        return not like(actual, "%" + value + "%")
    if operator == "=like":
        return like(actual, value)
    return {"=": lambda: actual == value, "!=": lambda: actual != value,
            "in": lambda: actual in value, "not in": lambda: actual not in value}[operator]()


def like(text, pattern):
    import re  # pylint: disable=import-outside-toplevel

    regex, escaped = "", False
    for char in pattern:
        if escaped:
            regex += re.escape(char)
            escaped = False
        elif char == "\\":
            escaped = True
        else:
            regex += {"%": ".*", "_": "."}.get(char, re.escape(char))
    return re.fullmatch(regex, text, re.S) is not None


def matches(domain, row):
    def walk(position):
        token = domain[position]
        if token in ("&", "|"):
            left, position = walk(position + 1)
            right, position = walk(position)
            return (left and right if token == "&" else left or right), position
        if token == "!":
            inner, position = walk(position + 1)
            return not inner, position
        if token == (0, "=", 1):
            return False, position + 1
        return sql_leaf(row, *token), position + 1

    return walk(0)[0] if domain else True


TEXTS = st.sampled_from(["", "a", "A", "ab", "b%", "_", "a\\", "ba"])
rows = st.fixed_dictionaries(
    {"name": st.none() | TEXTS, "color": st.none() | st.integers(-2, 2), "active": st.none() | st.booleans()}
)
leaves = st.one_of(
    st.builds(leaf, st.just("name"), st.sampled_from(["eq", "ne", "contains", "startswith", "endswith"]),
              st.none() | TEXTS | st.integers(0, 1)),
    st.builds(leaf, st.just("name"), st.sampled_from(["in", "not_in"]), st.lists(st.none() | TEXTS, max_size=3)),
    st.builds(leaf, st.just("color"), st.sampled_from(["eq", "ne", "gt", "gte", "lt", "lte"]),
              st.integers(-2, 2) | st.floats(-2, 2) | st.booleans() | st.none()),
    st.builds(leaf, st.just("color"), st.sampled_from(["in", "not_in"]), st.lists(st.integers(-2, 2), max_size=3)),
    st.builds(leaf, st.just("active"), st.sampled_from(conditions.OPERATORS),
              st.booleans() | st.none() | st.lists(st.booleans(), max_size=2)),
)
trees = st.recursive(
    leaves,
    lambda children: st.one_of(
        st.tuples(st.sampled_from(("and", "or")), st.lists(children, min_size=1, max_size=3))
        .map(lambda pair: {pair[0]: pair[1]}),
        children.map(lambda child: {"not": child}),
    ),
    max_leaves=8,
)


def context_of(row):
    return {"name": row["name"], "color": row["color"] or 0, "active": bool(row["active"])}


@settings(max_examples=300, deadline=None)
@given(trees, st.lists(rows, max_size=6))
def test_domain_and_residual_equal_the_condition(tree, records):
    try:
        conditions.validate(tree)
    except ConditionError:
        return
    domain, residual = compiled(tree)
    check = conditions.compile(residual)
    expected = [row for row in records if conditions.evaluate(tree, context_of(row))]
    assert [row for row in records if matches(domain, row) and check(context_of(row))] == expected
