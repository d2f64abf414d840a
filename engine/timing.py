"""Time in workflows: how long a wait lasts and when its run resumes, when a date trigger is
due, and which records a pass of the date scan finds.

Every instant here is a naive UTC datetime, as Odoo stores them; a time of day is read in
the user's time zone, and turned back into UTC with its daylight saving offset of that day.
"""

import re
from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from . import jsondoc, templates
from .exceptions import ConfigError
from .jsondoc import iso

__all__ = [
    "DURATION_UNITS",
    "check_duration",
    "check_time_of_day",
    "check_until",
    "check_wait",
    "due_at",
    "fire_key",
    "offset",
    "resume_at",
    "scan_window",
]

DURATION_UNITS = ("minutes", "hours", "days", "weeks")
"""The units of a wait's ``duration`` keys and of a date trigger's ``date_offset_unit``:
the keyword arguments of ``timedelta`` that a person counts in."""
WAIT_KINDS = ("duration", "until")
"""The keys of a wait config of which exactly one says how long it lasts."""
_UNIT_CHOICES = ", ".join(map(repr, DURATION_UNITS))
_TIME_OF_DAY = re.compile(r"([01][0-9]|2[0-3]):([0-5][0-9])")
_UTC = timezone.utc
# Where a wait config's values are, for the errors that resume_at raises on its rendered config.
DURATION_PATH = "config.duration"
UNTIL_PATH = "config.until"


def _added(moment, delta, path):
    """``moment + delta``; ConfigError at ``path`` when it is past what datetime holds."""
    try:
        return moment + delta
    except OverflowError:
        raise ConfigError("is too long", path) from None


def _describe(value):
    return "null" if value is None else type(value).__name__


def _is_integer(value):
    return isinstance(value, int) and value.__class__ is not bool


def offset(amount, unit, path=None):
    """``amount`` (an integer, negative for before) of ``unit`` (one of DURATION_UNITS) as a
    timedelta; ConfigError at ``path`` for anything else, or for more than timedelta holds."""
    if not _is_integer(amount):
        raise ConfigError(f"must be an integer, got {_describe(amount)}", path)
    if unit not in DURATION_UNITS:
        raise ConfigError(f"unknown unit {unit!r}, expected one of {_UNIT_CHOICES}", path)
    try:
        return timedelta(**{unit: amount})
    except OverflowError:
        raise ConfigError(f"{amount} {unit} is too long", path) from None


def check_duration(duration, path, rendered):
    """Check a wait's ``duration`` object found at ``path``: keys among DURATION_UNITS, each a
    non-negative integer, together longer than nothing. Templated amounts are checked once
    rendered (see engine.actions)."""
    if not duration:
        raise ConfigError(f"needs at least one of {_UNIT_CHOICES}", path)
    pending = False
    total = timedelta()
    for unit, amount in duration.items():
        if not rendered and templates.is_template(amount):
            pending = True
            continue
        unit_path = f"{path}.{unit}"
        length = offset(amount, unit, unit_path)
        if amount < 0:
            raise ConfigError(f"must not be negative, got {amount}", unit_path)
        total = _added(total, length, path)
    if not pending and not total:
        raise ConfigError("must be longer than 0", path)


def check_until(until, path, rendered):
    """Check a wait's ``until`` template: a date or datetime only known once rendered, so
    here it only has to be some text."""
    if not until.strip():
        raise ConfigError("must not be empty", path)


def check_time_of_day(time_of_day, path, rendered):
    """Check a wait's ``time_of_day``: ``HH:MM`` on the 24-hour clock, 00:00 to 23:59."""
    if not _TIME_OF_DAY.fullmatch(time_of_day):
        raise ConfigError(f"must be a time of day HH:MM from 00:00 to 23:59, got {time_of_day!r}", path)


def check_wait(config, path, rendered):
    """Check that the wait ``config`` found at ``path`` says how long it lasts in exactly one
    way: a ``duration`` or an ``until``."""
    kinds = [kind for kind in WAIT_KINDS if kind in config]
    if len(kinds) != 1:
        raise ConfigError("needs either 'duration' or 'until', not both" if kinds else
                          "needs either 'duration' or 'until'", path)


def _zone(tz_name):
    """The time zone named ``tz_name``; UTC when the user has none, or one Python does not
    know (a tz removed from the database, a typo in an import)."""
    if not tz_name:
        return _UTC
    try:
        return ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError):
        return _UTC


def _naive_utc(moment):
    return moment.astimezone(_UTC).replace(tzinfo=None) if moment.tzinfo else moment


def _local_to_utc(day, time_of_day, zone):
    """The UTC instant of the wall time ``time_of_day`` on ``day`` in ``zone``.

    A wall time that the clock skips (02:30 when it jumps from 02:00 to 03:00) becomes the
    first instant after the jump: the run resumes as soon as that time has passed. A wall
    time that happens twice (when the clock goes back) is its first occurrence (fold=0):
    the earlier of the two is the one a person waiting for it sees first.
    """
    local = datetime.combine(day, time_of_day, tzinfo=zone)
    moment = local.astimezone(_UTC)
    if moment.astimezone(zone).replace(tzinfo=None) == local.replace(tzinfo=None):
        return moment.replace(tzinfo=None)
    # In a gap, fold=1 reads the wall time with the offset after the jump, which puts it
    # before the jump: bisect between the two readings for the second of the jump.
    before, after = int(local.replace(fold=1).timestamp()), int(moment.timestamp())
    after_offset = moment.astimezone(zone).utcoffset()
    while after - before > 1:
        middle = (before + after) // 2
        if datetime.fromtimestamp(middle, zone).utcoffset() == after_offset:
            after = middle
        else:
            before = middle
    return datetime.fromtimestamp(after, _UTC).replace(tzinfo=None)


def _parse_until(value):
    """The date or naive UTC datetime that the rendered ``until`` text gives."""
    problem = ConfigError(f"must render to an ISO date or datetime, got {value!r}", UNTIL_PATH)
    if not isinstance(value, str):
        raise problem
    moment = jsondoc.parse_iso(value.strip())
    if moment is None:
        raise problem
    return moment if not isinstance(moment, datetime) else _naive_utc(moment)


def resume_at(config, now_utc, tz_name, until_value=None):
    """When a run that reaches the wait ``config`` at ``now_utc`` resumes, as a naive UTC
    datetime. ``config`` is rendered and checked (engine.actions.check_rendered), ``tz_name``
    is the user's time zone, ``until_value`` what the ``until`` template rendered to.

    A ``duration`` lasts from now; with a ``time_of_day`` the run resumes at the first
    such local time at or after the end of the duration. An ``until`` date is its day's
    midnight, local time, or its ``time_of_day``; an ``until`` datetime (naive is UTC, as
    Odoo renders them) is that instant, or with a ``time_of_day`` that local time on its
    local day. A moment already passed is returned as it is: the run resumes at once.
    """
    zone = _zone(tz_name)
    time_of_day = time.fromisoformat(config["time_of_day"]) if "time_of_day" in config else None
    if "duration" in config:
        target = now_utc
        for unit, amount in config["duration"].items():
            target = _added(target, offset(amount, unit), DURATION_PATH)
        if time_of_day is None:
            return target
        day = target.replace(tzinfo=_UTC).astimezone(zone).date()
        moment = _local_to_utc(day, time_of_day, zone)
        return moment if moment >= target else _local_to_utc(day + timedelta(days=1), time_of_day, zone)
    until = _parse_until(until_value)
    if isinstance(until, datetime):
        if time_of_day is None:
            return until
        until = until.replace(tzinfo=_UTC).astimezone(zone).date()
    return _local_to_utc(until, time_of_day or time(), zone)


def _as_moment(value):
    """A date or datetime field value as a naive UTC datetime: a date is its midnight UTC,
    since an Odoo date field has no time zone to read it in (and the server's is UTC)."""
    return value if isinstance(value, datetime) else datetime.combine(value, time())


def due_at(value, amount, unit):
    """When a date trigger of ``amount`` ``unit`` (see offset) fires for the field ``value``
    (a date or a naive UTC datetime), as a naive UTC datetime."""
    return _as_moment(value) + offset(amount, unit)


def _shifted(moment, delta):
    """``moment - delta``, held to the datetimes that exist: no field value lies beyond them."""
    try:
        return moment - delta
    except OverflowError:
        return datetime.max if delta < timedelta() else datetime.min


def scan_window(last_pass, now, amount, unit, dates=False):
    """The bounds ``(low, high)`` of the field values that come due between the scan pass at
    ``last_pass`` and this one at ``now`` (naive UTC) for a date trigger of ``amount``
    ``unit``: the records with ``low < field <= high``, so that each value is found by one
    pass only. With ``dates``, for a date field: the bounds are dates, a date being due at
    its midnight UTC plus the offset (see due_at)."""
    delta = offset(amount, unit)
    low, high = _shifted(last_pass, delta), _shifted(now, delta)
    # A date's midnight is after a moment exactly when the date is after the moment's date.
    return (low.date(), high.date()) if dates else (low, high)


def fire_key(trigger_id, res_id, date_value):
    """The key that a date trigger fires once by for the record ``res_id`` and its field's
    ``date_value`` (a date, or a datetime: an aware one is read in UTC): the same values
    always give the same text, so a unique index on it refuses a second firing."""
    if isinstance(date_value, datetime):
        date_value = _naive_utc(date_value)
    return f"{trigger_id}:{res_id}:{iso(date_value)}"
