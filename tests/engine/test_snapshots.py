from engine.snapshots import changes, shown


def test_an_edited_condition_shows_as_its_one_changed_leaf():
    before = {"name": "W", "triggers": [{"conditions": {"field": "amount", "operator": "gte", "value": 1000}}]}
    after = {"name": "W", "triggers": [{"conditions": {"field": "amount", "operator": "gte", "value": 5000}}]}
    assert changes(before, after) == [("triggers[0].conditions.value", 1000, 5000)]


def test_added_and_removed_items_and_keys_show_as_absent_on_the_other_side():
    before = {"actions": [{"name": "A"}], "description": "old"}
    after = {"actions": [{"name": "A"}, {"name": "B"}]}
    assert changes(before, after) == [
        ("actions[1]", None, {"name": "B"}),
        ("description", "old", None),
    ]


def test_equal_documents_have_no_change_but_a_type_change_is_one():
    document = {"priority": 10, "active": True}
    assert changes(document, dict(document)) == []
    assert changes({"priority": 1}, {"priority": True}) == [("priority", 1, True)]


def test_shown_values_are_one_line_of_json_and_absent_is_a_dash():
    assert shown(None) == "—"
    assert shown({"b": 1, "a": "é"}) == '{"a": "é", "b": 1}'
