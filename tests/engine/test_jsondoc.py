import pytest

from engine import jsondoc
from engine.exceptions import ConfigError


def test_load_parses_text_and_passes_values_through():
    assert jsondoc.load('{"a": [1, 2]}', "config", ConfigError) == {"a": [1, 2]}
    assert jsondoc.load(b'{"a": 1}', "config", ConfigError) == {"a": 1}
    assert jsondoc.load({"a": 1}, "config", ConfigError) == {"a": 1}
    assert jsondoc.load("  ", "config", ConfigError) is None


def test_load_names_the_field_and_position_of_a_syntax_error():
    with pytest.raises(ConfigError, match=r"^config: invalid JSON at line 2 column 1"):
        jsondoc.load('{"a": 1,\n}', "config", ConfigError)


def test_plain_turns_objects_into_json_values():
    import datetime

    assert jsondoc.plain({"day": datetime.date(2026, 1, 2), "n": (1, 2)}) == {"day": "2026-01-02", "n": [1, 2]}


def test_mask_hides_every_occurrence_of_each_secret():
    value = {"headers": {"Authorization": "Bearer s3cr3t"}, "body": ["s3cr3t", 1, "k3y and s3cr3t"]}
    assert jsondoc.mask(value, ["s3cr3t", "k3y", ""]) == {
        "headers": {"Authorization": f"Bearer {jsondoc.MASK}"},
        "body": [jsondoc.MASK, 1, f"{jsondoc.MASK} and {jsondoc.MASK}"],
    }
    assert jsondoc.mask(value, []) is value
