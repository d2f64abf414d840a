import json
from datetime import date, datetime, timedelta, timezone

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine import conditions, templates
from engine.conditions import ConditionError, compile, evaluate, explain, validate
from engine.exceptions import TemplateError

KEYS = ("a", "b", "c")
PROPERTY_SETTINGS = settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)

dates = st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31))
naive_datetimes = st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2100, 12, 31))
aware_datetimes = naive_datetimes.map(lambda moment: moment.replace(tzinfo=timezone.utc))
iso_strings = st.one_of(
    dates.map(date.isoformat),
    naive_datetimes.map(datetime.isoformat),
    st.sampled_from(["2024-13-01", "not a date", "", "2024-02-30T25:00"]),
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-1000, 1000),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=8),
    st.sampled_from(["qualified", "Qualified", "referral", "Tech", "tech"]),
    dates,
    naive_datetimes,
    aware_datetimes,
    iso_strings,
)
values = st.one_of(scalars, st.lists(scalars, max_size=4), st.tuples(scalars, scalars))
nested_values = st.recursive(
    values,
    lambda children: st.dictionaries(st.sampled_from(KEYS), children, max_size=3),
    max_leaves=12,
)
contexts = st.dictionaries(st.sampled_from(KEYS), nested_values, max_size=3)
fields = st.lists(st.sampled_from(KEYS), min_size=1, max_size=4).map(".".join)


@st.composite
def leaves(draw):
    operator = draw(st.sampled_from(conditions.OPERATORS))
    value = draw(st.lists(scalars, max_size=4) if operator in ("in", "not_in") else values)
    return {"field": draw(fields), "operator": operator, "value": value}


trees = st.recursive(
    leaves(),
    lambda children: st.one_of(
        st.lists(children, min_size=1, max_size=3).map(lambda items: {"and": items}),
        st.lists(children, min_size=1, max_size=3).map(lambda items: {"or": items}),
        children.map(lambda child: {"not": child}),
    ),
    max_leaves=10,
)


def nodes_of(tree):
    """Every node of a valid tree, parents before children."""
    yield tree
    for key in ("and", "or"):
        for child in tree.get(key, ()):
            yield from nodes_of(child)
    if "not" in tree:
        yield from nodes_of(tree["not"])


JUNK = st.one_of(
    scalars,
    st.lists(scalars, max_size=2),
    st.dictionaries(st.text(max_size=3), scalars, max_size=2),
)
MUTATIONS = (
    "drop_key",
    "add_key",
    "set_operator",
    "set_field",
    "replace_node",
    "set_children",
    "replace_tree",
)


@st.composite
def mutated_trees(draw):
    tree = json.loads(json.dumps(draw(trees), default=str))
    node = draw(st.sampled_from(list(nodes_of(tree))))
    mutation = draw(st.sampled_from(MUTATIONS))
    if mutation == "drop_key":
        del node[draw(st.sampled_from(sorted(node)))]
    elif mutation == "add_key":
        node[draw(st.sampled_from(["and", "or", "not", "field", "operator", "value", "x"]))] = draw(
            JUNK
        )
    elif mutation == "set_operator":
        node["operator"] = draw(st.one_of(st.text(max_size=6), JUNK))
    elif mutation == "set_field":
        node["field"] = draw(st.one_of(st.from_regex(r"\A[a.]{0,5}\Z"), JUNK))
    elif mutation == "replace_node":
        node.clear()
        node.update(draw(st.dictionaries(st.text(max_size=4), JUNK, max_size=3)))
    elif mutation == "set_children":
        node[draw(st.sampled_from(["and", "or", "not"]))] = draw(JUNK)
    else:
        return draw(JUNK)
    return tree


@PROPERTY_SETTINGS
@given(st.one_of(trees, mutated_trees(), JUNK))
def test_any_tree_validates_or_raises_condition_error(tree):
    try:
        validate(tree)
    except ConditionError as error:
        assert error.path == "<root>" or error.path.split(".")[0].startswith(("and", "or", "not"))
        assert str(error).startswith(f"{error.path}: ")
    else:
        assert callable(compile(tree))


@PROPERTY_SETTINGS
@given(trees, contexts)
def test_valid_trees_never_raise_and_compile_agrees_with_explain(tree, context):
    validate(tree)
    result = compile(tree)(context)
    explanation = explain(tree, context)
    assert type(result) is bool
    assert result == explanation.result == evaluate(tree, context)
    assert explanation.decisive in explanation.leaves
    assert all(type(leaf.result) is bool for leaf in explanation.leaves)
    json.dumps(explanation.to_dict())
    assert isinstance(explanation.summary(), str)


@PROPERTY_SETTINGS
@given(leaves(), values)
def test_a_leaf_gives_the_same_answer_on_every_path_shape(leaf, value):
    answers = set()
    for field in ("x", "x.y", "x.y.z"):
        context = value
        for key in reversed(field.split(".")):
            context = {key: context}
        node = {**leaf, "field": field}
        answers.add(compile(node)(context))
        answers.add(explain(node, context).result)
    assert len(answers) == 1


@PROPERTY_SETTINGS
@given(trees, trees, contexts)
def test_combinators_follow_boolean_logic(first, second, context):
    a, b = evaluate(first, context), evaluate(second, context)
    assert evaluate({"and": [first, second]}, context) == (a and b)
    assert evaluate({"or": [first, second]}, context) == (a or b)
    assert evaluate({"not": {"and": [first, second]}}, context) == evaluate(
        {"or": [{"not": first}, {"not": second}]}, context
    )
    assert evaluate({"not": {"not": first}}, context) == a


@PROPERTY_SETTINGS
@given(st.sampled_from(["eq", "gt", "gte", "lt", "lte"]), dates, dates)
def test_iso_strings_compare_like_the_dates_they_name(operator, actual, expected):
    as_dates = evaluate({"field": "d", "operator": operator, "value": expected}, {"d": actual})
    string_value = {"field": "d", "operator": operator, "value": expected.isoformat()}
    string_field = {"field": "d", "operator": operator, "value": expected}
    assert evaluate(string_value, {"d": actual}) == as_dates
    assert evaluate(string_field, {"d": actual.isoformat()}) == as_dates
    noon = datetime.combine(actual, datetime.min.time()) + timedelta(hours=12)
    assert evaluate(string_value, {"d": noon}) == as_dates


@settings(max_examples=200, deadline=None)
@given(st.recursive(st.text(max_size=12), lambda kids: st.lists(kids, max_size=3), max_leaves=6))
def test_rendering_any_text_gives_text_or_a_template_error(value):
    try:
        result = templates.render(value, {"lead": {"id": 1}})
    except TemplateError as error:
        assert error.path
    else:
        if not templates.is_template(json.dumps(value)):
            assert result == value
