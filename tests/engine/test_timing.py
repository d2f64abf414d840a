from datetime import date, datetime, timedelta, timezone

import pytest

from engine import templates
from engine.actions import check_rendered, validate_config
from engine.exceptions import ConfigError
from engine.timing import DURATION_UNITS, due_at, fire_key, offset, resume_at, scan_window

BRUSSELS = "Europe/Brussels"
NOW = datetime(2026, 3, 28, 8, 30)


def wait_error(config, check=validate_config):
    with pytest.raises(ConfigError) as raised:
        check("wait", config)
    return raised.value.path, raised.value.message


def test_the_units_are_those_a_person_counts_in():
    assert DURATION_UNITS == ("minutes", "hours", "days", "weeks")


@pytest.mark.parametrize(("amount", "unit", "expected"), [
    (90, "minutes", timedelta(minutes=90)),
    (2, "hours", timedelta(hours=2)),
    (-3, "days", timedelta(days=-3)),
    (0, "weeks", timedelta()),
    (1, "weeks", timedelta(days=7)),
])
def test_an_offset_is_an_amount_of_a_unit(amount, unit, expected):
    assert offset(amount, unit) == expected


@pytest.mark.parametrize(("amount", "unit", "message"), [
    (1, "months", "unknown unit 'months', expected one of 'minutes', 'hours', 'days', 'weeks'"),
    (1, None, "unknown unit None, expected one of 'minutes', 'hours', 'days', 'weeks'"),
    (True, "days", "must be an integer, got bool"),
    (1.5, "days", "must be an integer, got float"),
    ("3", "days", "must be an integer, got str"),
    (None, "days", "must be an integer, got null"),
    (2**31, "weeks", "2147483648 weeks is too long"),
])
def test_an_offset_refuses_what_is_no_amount_of_a_unit_at_the_callers_path(amount, unit, message):
    with pytest.raises(ConfigError) as raised:
        offset(amount, unit, "triggers[0].date_offset")
    assert (raised.value.path, raised.value.message) == ("triggers[0].date_offset", message)


@pytest.mark.parametrize("config", [
    {"duration": {"days": 3}},
    {"duration": {"minutes": 0, "hours": 1}},
    {"duration": {"minutes": 30, "hours": 1, "days": 2, "weeks": 1}, "time_of_day": "23:59"},
    {"duration": {"days": "{{record.delay}}"}},
    {"until": "{{deal.date_deadline}}"},
    {"until": "2026-03-29", "time_of_day": "00:00"},
])
def test_valid_wait_configs(config):
    validate_config("wait", config)


@pytest.mark.parametrize(("config", "path", "message"), [
    ({}, "config", "needs either 'duration' or 'until'"),
    ({"time_of_day": "09:00"}, "config", "needs either 'duration' or 'until'"),
    ({"duration": {"days": 1}, "until": "2026-03-29"}, "config", "needs either 'duration' or 'until', not both"),
    ({"duration": {"days": 1}, "at": "noon"}, "config", "unknown key 'at'"),
    ({"duration": 3}, "config.duration", "must be an object, got int"),
    ({"duration": {}}, "config.duration", "needs at least one of 'minutes', 'hours', 'days', 'weeks'"),
    ({"duration": {"days": 0, "hours": 0}}, "config.duration", "must be longer than 0"),
    ({"duration": {"months": 1}}, "config.duration.months",
     "unknown unit 'months', expected one of 'minutes', 'hours', 'days', 'weeks'"),
    ({"duration": {"days": -1}}, "config.duration.days", "must not be negative, got -1"),
    ({"duration": {"days": True}}, "config.duration.days", "must be an integer, got bool"),
    ({"duration": {"days": 1.5}}, "config.duration.days", "must be an integer, got float"),
    ({"duration": {"weeks": 2**40}}, "config.duration.weeks", "1099511627776 weeks is too long"),
    ({"duration": {"days": 999_999_999, "weeks": 1}}, "config.duration", "is too long"),
    ({"until": ""}, "config.until", "must not be empty"),
    ({"until": "  "}, "config.until", "must not be empty"),
    ({"until": 20260329}, "config.until", "must be a string, got int"),
    ({"until": "{{ deal.date_deadline"}, "config.until", None),
    ({"duration": {"days": 1}, "time_of_day": "9:00"}, "config.time_of_day", None),
    ({"duration": {"days": 1}, "time_of_day": "24:00"}, "config.time_of_day", None),
    ({"duration": {"days": 1}, "time_of_day": "12:60"}, "config.time_of_day", None),
    ({"duration": {"days": 1}, "time_of_day": "12:00\n"}, "config.time_of_day", None),
    ({"duration": {"days": 1}, "time_of_day": 900}, "config.time_of_day", "must be a string, got int"),
])
def test_wait_config_errors_name_their_path(config, path, message):
    with pytest.raises((ConfigError, templates.TemplateError)) as raised:
        validate_config("wait", config)
    assert raised.value.path == path
    if message:
        assert raised.value.message == message


def test_a_bad_time_of_day_is_named_in_its_error():
    assert wait_error({"duration": {"days": 1}, "time_of_day": "24:00"})[1] == (
        "must be a time of day HH:MM from 00:00 to 23:59, got '24:00'"
    )


def test_templated_amounts_are_checked_once_rendered():
    config = {"duration": {"days": "{{record.delay}}"}}
    check_rendered("wait", templates.render(config, {"record": {"delay": 2}}))
    rendered = templates.render(config, {"record": {"delay": -2}})
    assert wait_error(rendered, check_rendered) == ("config.duration.days", "must not be negative, got -2")
    rendered = templates.render(config, {"record": {"delay": 0}})
    assert wait_error(rendered, check_rendered) == ("config.duration", "must be longer than 0")


def test_a_duration_lasts_from_now():
    assert resume_at({"duration": {"days": 3}}, NOW, BRUSSELS) == datetime(2026, 3, 31, 8, 30)
    config = {"duration": {"weeks": 1, "days": 1, "hours": 2, "minutes": 15}}
    assert resume_at(config, NOW, "") == datetime(2026, 4, 5, 10, 45)


@pytest.mark.parametrize(("now", "hours", "expected"), [
    # 08:30 UTC + 1h is 10:30 in Brussels (CET, UTC+1): 11:00 is still to come that day.
    (datetime(2026, 3, 27, 8, 30), 1, datetime(2026, 3, 27, 10, 0)),
    # Exactly at the time of day: at, not after.
    (datetime(2026, 3, 27, 9, 0), 1, datetime(2026, 3, 27, 10, 0)),
    # 12:30 local has passed 11:00: the next day's 11:00.
    (datetime(2026, 3, 27, 10, 30), 1, datetime(2026, 3, 28, 10, 0)),
    # The next day is the one the clock moves forward: 11:00 CEST is 09:00 UTC.
    (datetime(2026, 3, 28, 10, 30), 1, datetime(2026, 3, 29, 9, 0)),
    # 23:30 UTC is already the next local day (00:30 CET).
    (datetime(2026, 3, 26, 22, 30), 1, datetime(2026, 3, 27, 10, 0)),
])
def test_a_duration_with_a_time_of_day_resumes_at_the_first_such_local_time(now, hours, expected):
    config = {"duration": {"hours": hours}, "time_of_day": "11:00"}
    assert resume_at(config, now, BRUSSELS) == expected


def test_nine_local_is_nine_on_the_wall_on_either_side_of_daylight_saving():
    config = {"until": "{{deal.date_deadline}}", "time_of_day": "09:00"}
    assert resume_at(config, NOW, BRUSSELS, "2026-03-28") == datetime(2026, 3, 28, 8, 0)
    assert resume_at(config, NOW, BRUSSELS, "2026-03-29") == datetime(2026, 3, 29, 7, 0)
    assert resume_at(config, NOW, BRUSSELS, "2026-10-24") == datetime(2026, 10, 24, 7, 0)
    assert resume_at(config, NOW, BRUSSELS, "2026-10-25") == datetime(2026, 10, 25, 8, 0)
    duration = {"duration": {"days": 1}, "time_of_day": "09:00"}
    assert resume_at(duration, datetime(2026, 3, 28, 5, 0), BRUSSELS) == datetime(2026, 3, 29, 7, 0)


def test_a_skipped_local_time_resumes_when_the_clock_has_jumped():
    # On 2026-03-29 Brussels jumps from 02:00 CET to 03:00 CEST (01:00 UTC): 02:30 never happens.
    config = {"until": "x", "time_of_day": "02:30"}
    assert resume_at(config, NOW, BRUSSELS, "2026-03-29") == datetime(2026, 3, 29, 1, 0)
    # Samoa skipped 30 December 2011 altogether: its midnight is the first instant of the 31st.
    assert resume_at({"until": "x"}, NOW, "Pacific/Apia", "2011-12-30") == datetime(2011, 12, 30, 10, 0)


def test_a_repeated_local_time_resumes_at_its_first_occurrence():
    # On 2026-10-25 Brussels goes back from 03:00 CEST to 02:00 CET: 02:30 happens at 00:30 and 01:30 UTC.
    config = {"until": "x", "time_of_day": "02:30"}
    assert resume_at(config, NOW, BRUSSELS, "2026-10-25") == datetime(2026, 10, 25, 0, 30)


@pytest.mark.parametrize(("until", "expected"), [
    # A date alone is its local midnight.
    ("2026-03-29", datetime(2026, 3, 28, 23, 0)),
    (" 2026-07-01 ", datetime(2026, 6, 30, 22, 0)),
    # A naive datetime is UTC, as Odoo renders its datetimes.
    ("2026-03-29T08:00:00", datetime(2026, 3, 29, 8, 0)),
    ("2026-03-29 08:00", datetime(2026, 3, 29, 8, 0)),
    # An explicit offset is converted to UTC.
    ("2026-03-29T08:00:00+02:00", datetime(2026, 3, 29, 6, 0)),
    ("2026-03-29T08:00:00Z", datetime(2026, 3, 29, 8, 0)),
    # A moment already passed is returned as it is: the run resumes at once.
    ("2020-01-01T00:00:00", datetime(2020, 1, 1)),
])
def test_until_is_a_date_or_a_datetime(until, expected):
    assert resume_at({"until": "{{x}}"}, NOW, BRUSSELS, until) == expected


def test_until_a_datetime_with_a_time_of_day_is_that_time_on_its_local_day():
    config = {"until": "x", "time_of_day": "09:00"}
    # 23:30 UTC on the 28th is 00:30 on the 29th in Brussels.
    assert resume_at(config, NOW, BRUSSELS, "2026-03-28T23:30:00") == datetime(2026, 3, 29, 7, 0)
    assert resume_at(config, NOW, "UTC", "2026-03-28T23:30:00") == datetime(2026, 3, 28, 9, 0)


@pytest.mark.parametrize("tz_name", ["", None, False, "Mars/Olympus_Mons", "../etc/passwd"])
def test_no_time_zone_or_an_unknown_one_is_utc(tz_name):
    config = {"until": "x", "time_of_day": "09:00"}
    assert resume_at(config, NOW, tz_name, "2026-03-29") == datetime(2026, 3, 29, 9, 0)


@pytest.mark.parametrize("until", ["tomorrow", "", "2026-02-30", "2026-03-29T25:00", None, False, 20260329])
def test_a_bad_until_value_is_named_in_its_error(until):
    with pytest.raises(ConfigError) as raised:
        resume_at({"until": "{{x}}"}, NOW, BRUSSELS, until)
    assert raised.value.path == "config.until"
    assert raised.value.message == f"must render to an ISO date or datetime, got {until!r}"


def test_a_wait_past_the_last_datetime_is_refused():
    with pytest.raises(ConfigError) as raised:
        resume_at({"duration": {"days": 999_999_999}}, NOW, BRUSSELS)
    assert (raised.value.path, raised.value.message) == ("config.duration", "is too long")


def test_a_date_trigger_is_due_at_its_value_plus_its_offset():
    assert due_at(datetime(2026, 3, 29, 8, 0), -2, "hours") == datetime(2026, 3, 29, 6, 0)
    assert due_at(datetime(2026, 3, 29, 8, 0), 3, "days") == datetime(2026, 4, 1, 8, 0)
    # A date field has no time zone: its value is due from its midnight UTC.
    assert due_at(date(2026, 3, 29), -1, "weeks") == datetime(2026, 3, 22)
    assert due_at(date(2026, 3, 29), 0, "days") == datetime(2026, 3, 29)


def test_a_scan_finds_the_values_due_since_the_last_pass():
    last_pass, now = datetime(2026, 3, 29, 8, 0), datetime(2026, 3, 29, 8, 5)
    assert scan_window(last_pass, now, 3, "days") == (datetime(2026, 3, 26, 8, 0), datetime(2026, 3, 26, 8, 5))
    assert scan_window(last_pass, now, -30, "minutes") == (datetime(2026, 3, 29, 8, 30), datetime(2026, 3, 29, 8, 35))


def test_consecutive_passes_find_each_value_once():
    passes = [datetime(2026, 3, 29, 0, 0) + timedelta(minutes=7 * index) for index in range(400)]
    values = [datetime(2026, 3, 27, 0, 0) + timedelta(minutes=minute) for minute in range(0, 2 * 24 * 60, 3)]
    values += [date(2026, 3, 27), date(2026, 3, 28), date(2026, 3, 29)]
    for amount, unit in ((1, "days"), (-90, "minutes"), (0, "hours")):
        found = []
        for last_pass, now in zip(passes, passes[1:], strict=False):
            for dates in (False, True):
                low, high = scan_window(last_pass, now, amount, unit, dates=dates)
                found += [
                    value for value in values
                    if isinstance(value, datetime) is not dates and low < value <= high
                ]
        for value in values:
            due = due_at(value, amount, unit)
            expected = 1 if passes[0] < due <= passes[-1] else 0
            assert found.count(value) == expected, (value, amount, unit)


def test_a_date_field_is_scanned_with_dates():
    last_pass, now = datetime(2026, 3, 29, 23, 58), datetime(2026, 3, 30, 0, 3)
    # Dates due from their midnight one day later: 29 March is due at 30 March 00:00.
    assert scan_window(last_pass, now, 1, "days", dates=True) == (date(2026, 3, 28), date(2026, 3, 29))
    assert scan_window(now, now + timedelta(minutes=5), 1, "days", dates=True) == (date(2026, 3, 29),) * 2


def test_an_offset_beyond_the_calendar_finds_nothing():
    last_pass, now = datetime(2026, 3, 29, 8, 0), datetime(2026, 3, 29, 8, 5)
    assert scan_window(last_pass, now, 999_999_999, "days") == (datetime.min, datetime.min)
    assert scan_window(last_pass, now, -999_999_999, "days") == (datetime.max, datetime.max)
    assert scan_window(last_pass, now, 999_999_999, "days", dates=True) == (date.min, date.min)


def test_a_fire_key_is_the_same_for_the_same_trigger_record_and_value():
    assert fire_key(3, 42, date(2026, 3, 29)) == "3:42:2026-03-29"
    assert fire_key(3, 42, datetime(2026, 3, 29, 8, 0)) == "3:42:2026-03-29T08:00:00"
    aware = datetime(2026, 3, 29, 10, 0, tzinfo=timezone(timedelta(hours=2)))
    assert fire_key(3, 42, aware) == fire_key(3, 42, datetime(2026, 3, 29, 8, 0))
    assert len({fire_key(3, 42, date(2026, 3, 29)), fire_key(3, 43, date(2026, 3, 29)),
                fire_key(4, 42, date(2026, 3, 29)), fire_key(3, 42, date(2026, 3, 30))}) == 4
