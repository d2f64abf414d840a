"""Condition DSL: validate, compile, evaluate and explain JSON conditions.

A condition is either a leaf ``{"field": "lead.status", "operator": "eq", "value": "new"}``
or a node with exactly one of ``and`` / ``or`` (a non-empty list of conditions) and
``not`` (one condition). ``None`` means "no condition" and always holds. Fields are
dotted paths walked through mappings (``.get``) and objects (attributes, except
underscored ones); a missing segment resolves to None.

Operators (``actual`` is the field's value, ``expected`` the leaf's value):

- ``eq`` / ``ne``: equality; ints and floats compare numerically, a bool only equals a bool.
- ``gt`` ``gte`` ``lt`` ``lte``: order between numbers (ints and floats, never bools),
  between strings (case-sensitive), or between dates, datetimes and ISO strings of them.
  Any other pair is false.
- ``in``, and the extra ``not_in``: ``actual`` is (not) one of the listed values; when
  ``actual`` is a list, tuple or set (tags), any overlap counts as "in".
- ``contains``: substring of a string, or item of a list, tuple or set.
- ``icontains`` (extra): ``contains`` ignoring case.
- ``startswith`` / ``endswith``: strings only, else false.

Evaluation never raises. A null ``actual`` makes every operator false except ``eq``,
which is then true only against a null ``expected``. An ISO string compared (or tested
for equality) with a date or datetime is parsed first, an unparsable one is false; a
date compared with a datetime compares on the date; a naive datetime compared with an
aware one is taken as UTC. The value of a masked field (engine.masking) is compared as
the real value it hides; explanations still show only its mask.
"""

import json
import math
import operator as python_operator
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timezone

from . import jsondoc
from .exceptions import ConditionError
from .masking import reveal

__all__ = [
    "MAX_DEPTH",
    "OPERATORS",
    "ConditionError",
    "Explanation",
    "LeafResult",
    "compile",
    "evaluate",
    "explain",
    "resolve",
    "validate",
]

MAX_DEPTH = 32
ROOT_PATH = "<root>"
LOGICAL_KEYS = ("and", "or", "not")
LEAF_KEYS = ("field", "operator", "value")

_NUMBER_TYPES = (int, float)
_COLLECTION_TYPES = (list, tuple, set, frozenset)


# --- values -------------------------------------------------------------------------


def _as_moment(value):
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        return jsondoc.parse_iso(value)
    return None


def _as_utc(moment):
    # Odoo stores naive datetimes in UTC.
    return moment.replace(tzinfo=timezone.utc) if moment.utcoffset() is None else moment


def _temporal_pair(actual, expected):
    """Both sides as comparable dates or datetimes, or None."""
    left, right = _as_moment(actual), _as_moment(expected)
    if left is None or right is None:
        return None
    left_has_time, right_has_time = isinstance(left, datetime), isinstance(right, datetime)
    if left_has_time != right_has_time:
        # A date names a whole day: a datetime matches it by the day it falls on.
        return (
            left.date() if left_has_time else left,
            right.date() if right_has_time else right,
        )
    if left_has_time and (left.utcoffset() is None) != (right.utcoffset() is None):
        return _as_utc(left), _as_utc(right)
    return left, right


def _orderable_pair(actual, expected):
    """The pair to order, or None when the two values have no order between them."""
    if actual is None or expected is None:
        return None
    if actual.__class__ is bool or expected.__class__ is bool:
        return None
    if isinstance(actual, _NUMBER_TYPES) and isinstance(expected, _NUMBER_TYPES):
        return actual, expected
    if isinstance(actual, str) and isinstance(expected, str):
        return actual, expected
    if isinstance(actual, date) or isinstance(expected, date):
        return _temporal_pair(actual, expected)
    return None


# --- operators ----------------------------------------------------------------------


def _equal(actual, expected):
    if actual is None or expected is None:
        return actual is expected
    if actual.__class__ is bool or expected.__class__ is bool:
        return actual.__class__ is expected.__class__ and actual == expected
    if isinstance(actual, date) or isinstance(expected, date):
        pair = _temporal_pair(actual, expected)
        return pair is not None and pair[0] == pair[1]
    try:
        return bool(actual == expected)
    except Exception:
        # Context values may be arbitrary objects whose __eq__ fails; a rule must not.
        return False


def _not_equal(actual, expected):
    return actual is not None and not _equal(actual, expected)


def _ordering(compare):
    def test(actual, expected):
        pair = _orderable_pair(actual, expected)
        return pair is not None and compare(*pair)

    return test


def _is_in(actual, options):
    if actual is None:
        return False
    items = actual if isinstance(actual, _COLLECTION_TYPES) else (actual,)
    return any(_equal(item, option) for item in items for option in options)


def _is_not_in(actual, options):
    return actual is not None and not _is_in(actual, options)


def _contains(actual, expected):
    if isinstance(actual, str):
        return isinstance(expected, str) and expected in actual
    if isinstance(actual, _COLLECTION_TYPES):
        return any(_equal(item, expected) for item in actual)
    return False


def _contains_ignoring_case(actual, expected):
    if not isinstance(expected, str):
        return _contains(actual, expected)
    folded = expected.casefold()
    if isinstance(actual, str):
        return folded in actual.casefold()
    if isinstance(actual, _COLLECTION_TYPES):
        return any(isinstance(item, str) and item.casefold() == folded for item in actual)
    return False


def _starts_with(actual, expected):
    return isinstance(actual, str) and isinstance(expected, str) and actual.startswith(expected)


def _ends_with(actual, expected):
    return isinstance(actual, str) and isinstance(expected, str) and actual.endswith(expected)


_COMPARISONS = {
    "gt": python_operator.gt,
    "gte": python_operator.ge,
    "lt": python_operator.lt,
    "lte": python_operator.le,
}


def _on_real_value(test):
    # A masked field's value (engine.masking) is its mask to everything but these tests,
    # which compare what it hides. A Masked is no plain str, so it never takes the fast path.
    def test_real_value(actual, expected):
        return test(reveal(actual), expected)

    return test_real_value


_TESTS = {
    name: _on_real_value(test)
    for name, test in {
        "eq": _equal,
        "ne": _not_equal,
        **{name: _ordering(compare) for name, compare in _COMPARISONS.items()},
        "in": _is_in,
        "contains": _contains,
        "startswith": _starts_with,
        "endswith": _ends_with,
        "icontains": _contains_ignoring_case,
        "not_in": _is_not_in,
    }.items()
}

OPERATORS = tuple(_TESTS)
_LIST_OPERATORS = frozenset({"in", "not_in"})


# --- field paths --------------------------------------------------------------------


def _step(container, key):
    """Look ``key`` up in ``container``; whatever cannot be looked up is None."""
    if container is None:
        return None
    if container.__class__ is dict:
        return container.get(key)
    try:
        if isinstance(container, Mapping):
            return container.get(key)
        # Underscored attributes are internals, and dunders lead out of the data.
        if key.startswith("_"):
            return None
        return getattr(container, key, None)
    except Exception:
        return None


def resolve(context, path):
    """Value of the dotted ``path`` in ``context``, None when any segment is missing."""
    value = context
    for key in path.split("."):
        value = _step(value, key)
    return value


# --- validation ---------------------------------------------------------------------


def _child_path(parent, step):
    return f"{parent}.{step}" if parent else step


def _describe(value):
    if value is None:
        return "null"
    if isinstance(value, (str, list, dict)) and not value:
        return f"an empty {type(value).__name__}"
    return type(value).__name__


def _quoted(keys):
    return ", ".join(repr(key) for key in keys)


def _check_node(node, path, depth):
    where = path or ROOT_PATH
    if depth > MAX_DEPTH:
        raise ConditionError(f"conditions nested deeper than {MAX_DEPTH} levels", where)
    if not isinstance(node, dict):
        raise ConditionError(f"condition must be an object, got {_describe(node)}", where)
    logical_keys = [key for key in LOGICAL_KEYS if key in node]
    if len(logical_keys) > 1:
        raise ConditionError(
            f"expected one of 'and', 'or', 'not', got {_quoted(logical_keys)}", where
        )
    if logical_keys:
        _check_logical_node(node, logical_keys[0], path, depth)
    else:
        _check_leaf(node, where)


def _check_logical_node(node, key, path, depth):
    where = path or ROOT_PATH
    extra_keys = sorted((other for other in node if other != key), key=repr)
    if extra_keys:
        raise ConditionError(f"unknown key {extra_keys[0]!r} beside {key!r}", where)
    if key == "not":
        _check_node(node["not"], _child_path(path, "not"), depth + 1)
        return
    children = node[key]
    if not isinstance(children, list) or not children:
        raise ConditionError(f"{key!r} must be a non-empty list, got {_describe(children)}", where)
    for index, child in enumerate(children):
        _check_node(child, _child_path(path, f"{key}[{index}]"), depth + 1)


def _check_leaf(node, where):
    if not node:
        raise ConditionError(
            "empty condition: expected 'field', 'operator' and 'value', "
            "or one of 'and', 'or', 'not'",
            where,
        )
    extra_keys = sorted((key for key in node if key not in LEAF_KEYS), key=repr)
    if extra_keys:
        raise ConditionError(f"unknown key {extra_keys[0]!r}", where)
    missing_keys = [key for key in LEAF_KEYS if key not in node]
    if missing_keys:
        raise ConditionError(f"missing key {missing_keys[0]!r}", where)
    field_path = node["field"]
    if not isinstance(field_path, str) or not field_path:
        raise ConditionError(
            f"field must be a non-empty string, got {_describe(field_path)}", where
        )
    if "" in field_path.split("."):
        raise ConditionError(f"field {field_path!r} has an empty segment", where)
    operator = node["operator"]
    if not isinstance(operator, str) or operator not in _TESTS:
        raise ConditionError(f"unknown operator {operator!r}", where)
    if operator in _LIST_OPERATORS and not isinstance(node["value"], list):
        raise ConditionError(
            f"operator {operator!r} needs a list value, got {_describe(node['value'])}", where
        )


def validate(dsl):
    """Raise ConditionError, naming the bad node's path, unless ``dsl`` is a valid condition."""
    if dsl is not None:
        _check_node(dsl, "", 1)


# --- compilation --------------------------------------------------------------------


def _always_true(context):
    return True


_FAST_TYPES = {str: (str,), int: _NUMBER_TYPES, float: _NUMBER_TYPES}
_PLAIN_OPERATIONS = {"eq": python_operator.eq, "ne": python_operator.ne, **_COMPARISONS}


def _fast_path(operator, expected):
    """Field value types for which one plain Python operation gives the rule's result.

    The full semantics (nulls, bools, dates, incomparable types) are only needed when the
    field value is of another type, which keeps the common case to a type check.
    """
    if operator in _PLAIN_OPERATIONS and expected.__class__ in _FAST_TYPES:
        return _FAST_TYPES[expected.__class__], _PLAIN_OPERATIONS[operator]
    if operator in _LIST_OPERATORS and all(option.__class__ is str for option in expected):
        string_options = frozenset(expected)
        if operator == "in":
            return (str,), lambda actual, options: actual in string_options
        return (str,), lambda actual, options: actual not in string_options
    return (), None


def _compile_leaf(node):
    # The path walk is inlined for plain dicts of one or two levels (nearly every rule):
    # a separate getter would cost one more call per leaf. Subscripting a dict is cheaper
    # than .get() when the key is there, the usual case; a KeyError means a missing field.
    # Interned keys are usually the very objects keying the context (field names, literals),
    # so dict lookups succeed on identity without comparing characters.
    keys = tuple(sys.intern(key) for key in node["field"].split("."))
    expected = node["value"]
    full_test = _TESTS[node["operator"]]
    fast_types, fast_test = _fast_path(node["operator"], expected)

    if len(keys) == 1:
        (key,) = keys

        def leaf_on_top_level_field(context):
            try:
                actual = context[key] if context.__class__ is dict else _step(context, key)
            except KeyError:
                actual = None
            if actual.__class__ in fast_types:
                return fast_test(actual, expected)
            return full_test(actual, expected)

        return leaf_on_top_level_field

    if len(keys) == 2:
        outer, inner = keys

        def leaf_on_nested_field(context):
            try:
                parent = context[outer] if context.__class__ is dict else _step(context, outer)
                actual = parent[inner] if parent.__class__ is dict else _step(parent, inner)
            except KeyError:
                actual = None
            if actual.__class__ in fast_types:
                return fast_test(actual, expected)
            return full_test(actual, expected)

        return leaf_on_nested_field

    def leaf_on_deep_field(context):
        actual = context
        try:
            for key in keys:
                actual = actual[key] if actual.__class__ is dict else _step(actual, key)
        except KeyError:
            actual = None
        if actual.__class__ in fast_types:
            return fast_test(actual, expected)
        return full_test(actual, expected)

    return leaf_on_deep_field


def _all_hold(predicates):
    if len(predicates) == 1:
        return predicates[0]
    if len(predicates) == 2:
        first, second = predicates
        return lambda context: first(context) and second(context)

    def all_of(context):
        return all(predicate(context) for predicate in predicates)

    return all_of


def _any_holds(predicates):
    if len(predicates) == 1:
        return predicates[0]
    if len(predicates) == 2:
        first, second = predicates
        return lambda context: first(context) or second(context)

    def any_of(context):
        return any(predicate(context) for predicate in predicates)

    return any_of


def _compile_node(node):
    if "and" in node:
        return _all_hold([_compile_node(child) for child in node["and"]])
    if "or" in node:
        return _any_holds([_compile_node(child) for child in node["or"]])
    if "not" in node:
        child = _compile_node(node["not"])
        return lambda context: not child(context)
    return _compile_leaf(node)


def compile(dsl):
    """Validate ``dsl`` once and return a fast predicate ``f(context) -> bool``."""
    validate(dsl)
    return _always_true if dsl is None else _compile_node(dsl)


def evaluate(dsl, context):
    """One-shot form of ``compile(dsl)(context)``."""
    return compile(dsl)(context)


# --- explanation --------------------------------------------------------------------


def _json_safe(value):
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, date):
        return jsondoc.iso(value)
    if isinstance(value, dict):
        return {str(key): _json_safe(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(item) for item in value]
    if isinstance(value, (set, frozenset)):
        return sorted((_json_safe(item) for item in value), key=repr)
    # Other mappings may be lazy views of whole records: show what they stand for.
    return str(value)


def _shown(value):
    return json.dumps(_json_safe(value), ensure_ascii=False)


def _truth(value):
    return "true" if value else "false"


@dataclass(frozen=True)
class LeafResult:
    """Outcome of one evaluated leaf."""

    path: str
    field: str
    operator: str
    expected: object
    actual: object
    result: bool

    def to_dict(self):
        return {
            "path": self.path,
            "field": self.field,
            "operator": self.operator,
            "expected": _json_safe(self.expected),
            "actual": _json_safe(self.actual),
            "result": self.result,
        }

    def describe(self):
        return (
            f"{self.path}: {self.field} {self.operator} {_shown(self.expected)}"
            f" → actual {_shown(self.actual)} ({_truth(self.result)})"
        )


@dataclass
class Explanation:
    """Why a condition held or not.

    ``decisive`` is the leaf that settled the result: the first false leaf of a failing
    ``and``, the first true leaf of a passing ``or``, the last leaf evaluated otherwise;
    ``not`` passes its child's decisive leaf through.
    """

    result: bool
    decisive: LeafResult | None = None
    leaves: list[LeafResult] = field(default_factory=list)

    def to_dict(self):
        return {
            "result": self.result,
            "decisive": self.decisive.to_dict() if self.decisive else None,
            "leaves": [leaf.to_dict() for leaf in self.leaves],
        }

    def summary(self):
        """One line for humans, e.g. ``and[0]: amount gte 1000 → actual 500 (false)``."""
        if self.decisive is None:
            return f"no condition ({_truth(self.result)})"
        sentence = self.decisive.describe()
        if self.decisive.result != self.result:
            sentence += f", so the condition is {_truth(self.result)}"
        return sentence


def _explain_node(node, context, path, leaves):
    for key in ("and", "or"):
        if key in node:
            # A false child settles an `and`, a true child settles an `or`.
            settling_result = key == "or"
            decisive = None
            for index, child in enumerate(node[key]):
                child_path = _child_path(path, f"{key}[{index}]")
                result, decisive = _explain_node(child, context, child_path, leaves)
                if result == settling_result:
                    return result, decisive
            return not settling_result, decisive
    if "not" in node:
        result, decisive = _explain_node(node["not"], context, _child_path(path, "not"), leaves)
        return not result, decisive
    actual = resolve(context, node["field"])
    outcome = _TESTS[node["operator"]](actual, node["value"])
    leaf = LeafResult(
        path=path or ROOT_PATH,
        field=node["field"],
        operator=node["operator"],
        expected=node["value"],
        actual=actual,
        result=outcome,
    )
    leaves.append(leaf)
    return outcome, leaf


def explain(dsl, context):
    """Evaluate ``dsl`` on ``context`` and record every leaf evaluated, in order."""
    validate(dsl)
    if dsl is None:
        return Explanation(result=True)
    leaves = []
    result, decisive = _explain_node(dsl, context, "", leaves)
    return Explanation(result=result, decisive=decisive, leaves=leaves)
