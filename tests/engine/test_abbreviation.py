import json

from engine import conditions
from engine.abbreviation import MAX_CHARS, MAX_ITEMS, abbreviate


def test_short_values_are_kept_as_they_are():
    value = {"to": "a@example.com", "ids": [1, 2, 3], "nested": {"ok": True, "n": None, "x": 1.5}}
    assert abbreviate(value) == value


def test_a_long_string_keeps_its_start_and_says_how_much_was_left_out():
    assert abbreviate("a" * 10, max_chars=4) == "aaaa… [6 more characters]"
    assert abbreviate("a" * 5, max_chars=4) == "aaaa… [1 more character]"
    assert abbreviate("a" * (MAX_CHARS + 1)) == "a" * MAX_CHARS + "… [1 more character]"


def test_a_long_list_keeps_its_first_items_and_a_marker_item():
    assert abbreviate(list(range(10)), max_items=3) == [0, 1, 2, "… [7 more items]"]
    assert abbreviate(tuple(range(4)), max_items=3) == [0, 1, 2, "… [1 more item]"]


def test_a_large_object_keeps_its_first_keys_and_a_marker_key():
    assert abbreviate({"a": 1, "b": 2, "c": 3}, max_items=2) == {"a": 1, "b": 2, "…": "[1 more key]"}


def test_deep_nesting_is_replaced_by_a_marker():
    deep = [[[["bottom"]]]]
    assert abbreviate(deep, max_depth=2) == [["… [nested deeper than this]"]]


def test_values_inside_are_abbreviated_too():
    value = {"leaves": [{"expected": list(range(1000)), "actual": "x" * 5000}]}
    leaf = abbreviate(value)["leaves"][0]
    assert leaf["expected"] == [*range(MAX_ITEMS), f"… [{1000 - MAX_ITEMS} more items]"]
    assert len(leaf["actual"]) < MAX_CHARS + 30


def test_the_explanation_of_an_in_list_of_a_million_values_stays_small():
    values = list(range(1_000_000))
    explanation = conditions.explain({"field": "id", "operator": "in", "value": values}, {"id": 999_999})
    # Evaluation sees every value: the last one matches.
    assert explanation.result is True
    stored = abbreviate(dict(explanation.to_dict(), summary=explanation.summary()))
    assert len(json.dumps(stored)) < 10_000
    assert stored["decisive"]["expected"][-1] == f"… [{1_000_000 - MAX_ITEMS} more items]"
    assert stored["summary"].endswith("more characters]")
