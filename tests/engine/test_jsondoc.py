import json
from datetime import date, datetime, timezone

import pytest

from engine import jsondoc
from engine.exceptions import ConfigError
from engine.masking import MASK


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
        "headers": {"Authorization": f"Bearer {MASK}"},
        "body": [MASK, 1, f"{MASK} and {MASK}"],
    }
    assert jsondoc.mask(value, []) is value


def test_iso_writes_dates_and_datetimes_as_iso_8601_and_leaves_other_values():
    import datetime

    moment = datetime.datetime(2026, 1, 2, 3, 4, 5, 678000)
    assert jsondoc.iso(datetime.date(2026, 1, 2)) == "2026-01-02"
    assert jsondoc.iso(moment) == "2026-01-02T03:04:05.678000"
    assert jsondoc.iso(moment, "seconds") == "2026-01-02T03:04:05"
    assert jsondoc.iso(moment.replace(microsecond=0)) == "2026-01-02T03:04:05"
    assert jsondoc.iso("2026-01-02") == "2026-01-02"
    assert jsondoc.iso(None) is None


def test_value_errors_name_each_string_that_cannot_be_stored_and_each_too_deep_part():
    value = {"a": ["ok", "x\x00"], "b\ud800": 1, "c": [[[1]]]}
    assert jsondoc.value_errors(value, "config", max_depth=3) == [
        {"path": "config.a[1]", "message": "must not contain the NUL character (\\u0000)"},
        {"path": "config.b\\ud800", "message": "a key must not contain the lone surrogate \\ud800"},
        {"path": "config.c[0][0]", "message": "nested deeper than 3 levels"},
    ]
    assert jsondoc.value_errors({"a": [1, "é", None]}) == []


def test_load_refuses_what_cannot_be_stored_with_the_path_of_the_part():
    with pytest.raises(ConfigError, match=r"^config\.note: must not contain the NUL"):
        jsondoc.load('{"note": "a\\u0000"}', "config", ConfigError)
    deep = "[" * 5000 + "]" * 5000
    with pytest.raises(ConfigError, match="nested deeper than 100 levels"):
        jsondoc.load(deep, "config", ConfigError)
    with pytest.raises(ConfigError, match="nested deeper than 100 levels"):
        jsondoc.load(json.loads("[" * 900 + "]" * 900), "config", ConfigError)


def test_rpc_value_gives_plain_strings_string_keys_and_the_null_asked_for():
    from engine.masking import Masked

    value = {"phone": Masked("+32 470 12 34 56"), 7: [None, 1, "x"], "nested": {"none": None}}
    sent = jsondoc.rpc_value(value, null=False)
    assert sent == {"phone": "•••• 4 56", "7": [False, 1, "x"], "nested": {"none": False}}
    assert type(sent["phone"]) is str
    assert jsondoc.rpc_value(value)["nested"] == {"none": None}


def test_parse_iso_reads_dates_datetimes_and_the_z_suffix_and_nothing_else():
    assert jsondoc.parse_iso("2026-03-29") == date(2026, 3, 29)
    assert jsondoc.parse_iso("2026-03-29T08:30:00") == datetime(2026, 3, 29, 8, 30)
    assert jsondoc.parse_iso("2026-03-29T08:30:00Z") == datetime(2026, 3, 29, 8, 30, tzinfo=timezone.utc)
    for text in ("", "tomorrow", "2026-13-01", "29/03/2026"):
        assert jsondoc.parse_iso(text) is None
