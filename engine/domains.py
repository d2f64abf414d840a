"""Conditions (engine.conditions) as Odoo domains: compile what SQL can decide exactly.

``to_domain(dsl, model, fields_of, ...)`` returns ``(domain, residual)``: every record the
condition holds for is in ``domain``, and on the records of ``domain`` the condition holds
exactly when ``residual`` does (a condition of the same DSL, None when the domain is exact).
Nothing here imports Odoo: the caller hands in the models' fields as plain metadata,
``fields_of(model) -> {name: {"type", "relation", "store", "translate", "selection", ...}}``.

Semantics are those of ``engine.conditions`` on ``build_context`` of the record:

- Negation is pushed down to the leaves (De Morgan), so no ``!`` is ever emitted, and each
  compiled leaf is a two-valued domain: the records whose value is null get exactly the
  result that the Python test gives on the value the context shows for them (None for
  strings, dates, relations; 0 for numbers, as Odoo reads them; False for booleans), so the
  negation of a leaf on a null is true, as in Python.
- Strings: ``eq``, ``ne``, ``in``, ``not_in``, ``contains`` (``like`` with ``%``, ``_`` and
  ``\\`` escaped), ``startswith``, ``endswith`` (``=like``) compile; the empty string and null
  are told apart. Ordering (collations differ from code points) and ``icontains`` (casefold
  differs from ``ilike``) stay residual. A selection field with known keys compiles every
  operator exactly (the keys for which the test holds).
- Numbers compare numerically (for a float with digits, values of its scale; monetary:
  integral values, as columns round what they get), booleans
  only equal booleans (every operator, by enumeration), dates and datetimes as
  ``conditions`` does (ISO strings parsed; a date against a datetime on its day; an aware
  datetime in UTC). A value of a type no record value can match gives a constant.
- A many2one compiles against ids; ``rel.field`` paths become ``(rel, 'any', ...)``, with
  ``(rel, 'not any', [])`` when the test holds on null (no related record, or one the
  user may not read).
- Residual (kept for Python, ``[]`` or a superset in the domain): relations compared by
  display name, x2many fields (lists of names), fields named by text (``stage``), masked,
  non-stored, translated, unknown fields and event keys.
- ``constants`` (``user``, ``company``, ``today``: their values) are evaluated here.

Residual rule: supersets stay supersets under ``and`` and ``or``; a residual leaf under
negation is ``[]`` (a superset's negation is no superset). The residual of an ``and`` is the
``and`` of its inexact children's residuals; an ``or`` (or a negated ``and``) with an
inexact child is kept whole in the residual.
"""

import math
from datetime import date, datetime, time, timedelta, timezone

from . import conditions, jsondoc

__all__ = ["FALSE_DOMAIN", "TRUE_DOMAIN", "to_domain"]

TRUE_DOMAIN = []
FALSE_LEAF = (0, "=", 1)
FALSE_DOMAIN = [FALSE_LEAF]

_NULLABLE_TYPES = frozenset({"char", "text", "html", "selection", "date", "datetime", "many2one"})
_CHAR_TYPES = frozenset({"char", "text", "html"})
_NUMBER_TYPES = frozenset({"integer", "float", "monetary"})
_ORDER = {"gt": ">", "gte": ">=", "lt": "<", "lte": "<="}
_NEGATED = {"and": "or", "or": "and"}
_TESTS = conditions._TESTS  # pylint: disable=protected-access


class _Residual(Exception):
    """The leaf cannot be decided in SQL; ``superset`` is a domain containing its records."""

    def __init__(self, superset=None):
        super().__init__()
        self.superset = TRUE_DOMAIN if superset is None else superset


# --- domains ------------------------------------------------------------------------


def _combine(operator, domains):
    neutral, absorbing = (TRUE_DOMAIN, FALSE_DOMAIN) if operator == "&" else (FALSE_DOMAIN, TRUE_DOMAIN)
    kept = []
    for domain in domains:
        if domain == absorbing:
            return list(absorbing)
        if domain != neutral:
            kept.append(domain)
    if not kept:
        return list(neutral)
    result = [operator] * (len(kept) - 1)
    for domain in kept:
        result.extend(domain)
    return result


def _and(*domains):
    return _combine("&", domains)


def _or(*domains):
    return _combine("|", domains)


def _constant(holds):
    return list(TRUE_DOMAIN) if holds else list(FALSE_DOMAIN)


def _escape_like(text):
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


# --- leaves -------------------------------------------------------------------------


def _test(operator, expected, negate):
    test = _TESTS[operator]
    return (lambda actual: not test(actual, expected)) if negate else (lambda actual: test(actual, expected))


def _is_number(value):
    return isinstance(value, (int, float)) and value.__class__ is not bool


def _char_core(name, operator, expected, negate):
    """Domain exact on the records whose string is non-empty."""
    if operator in ("eq", "ne"):
        if not isinstance(expected, str) or not expected:
            return _constant((operator == "ne") != negate)
        positive = (operator == "eq") != negate
        return [(name, "=" if positive else "!=", expected)]
    if operator in ("in", "not_in"):
        options = sorted({option for option in expected if isinstance(option, str) and option})
        positive = (operator == "in") != negate
        if not options:
            return _constant(not positive)
        return [(name, "in" if positive else "not in", options)]
    if operator in ("contains", "startswith", "endswith"):
        if not isinstance(expected, str):
            return _constant(negate)
        if not expected:
            return _constant(not negate)
        escaped = _escape_like(expected)
        if operator == "contains":
            return [(name, "not like" if negate else "like", escaped)]
        pattern = escaped + "%" if operator == "startswith" else "%" + escaped
        # Under the guard that the string is set, NOT (LIKE) is two-valued.
        return ["!", (name, "=like", pattern)] if negate else [(name, "=like", pattern)]
    raise _Residual()


def _char_leaf(name, operator, expected, negate):
    test = _test(operator, expected, negate)
    core = _char_core(name, operator, expected, negate)
    holds_on_null, holds_on_empty = test(None), test("")
    if holds_on_null and holds_on_empty:
        empty_part = [(name, "=", False)]  # Odoo: null or ''
    elif holds_on_null:
        empty_part = [(name, "not like", "%")]  # (NOT LIKE '%%%' OR IS NULL): null only
    elif holds_on_empty:
        empty_part = ["&", (name, "=", False), (name, "=like", "%")]  # '' only
    else:
        empty_part = FALSE_DOMAIN
    return _or(empty_part, _and([(name, "!=", False)], core))


def _kept_by_column(value, field_type, digits):
    """Whether a domain's number reaches SQL unchanged: a float column with digits rounds
    it to its scale, a monetary one to its currency's (counted here as any fraction)."""
    if value == int(value):
        return True
    if field_type == "float":
        return not digits or round(value, digits[1]) == value
    return False


def _number_core(name, meta, operator, expected, negate):
    """Domain exact on all records, nulls read as 0 as Odoo does (and its domains do)."""
    test = _test(operator, expected, negate)
    field_type, digits = meta["type"], meta.get("digits")
    integral = field_type == "integer"
    if operator in ("in", "not_in"):
        options = [option for option in expected if _is_number(option) and math.isfinite(option)]
        if integral:
            options = [int(option) for option in options if option == int(option)]
        elif not all(_kept_by_column(option, field_type, digits) for option in options):
            raise _Residual()
        positive = (operator == "in") != negate
        if not options:
            return _constant(not positive)
        return [(name, "in" if positive else "not in", sorted(set(options)))]
    if operator not in ("eq", "ne", *_ORDER) or not _is_number(expected) or not math.isfinite(expected):
        return _constant(test(0))
    if expected != int(expected):
        if not integral:
            if not _kept_by_column(expected, field_type, digits) or abs(expected) >= 2**53:
                raise _Residual()
            return [(name, _negated_order(operator, negate) if operator in _ORDER else
                     ("=" if (operator == "eq") != negate else "!="), expected)]
        if operator in ("eq", "ne"):
            return _constant(test(0))
        # x > 2.5 is x > 2 and x < 2.5 is x < 3 for integers (likewise >=, <=).
        expected = math.floor(expected) if operator in ("gt", "lte") else math.ceil(expected)
    if abs(expected) >= 2**53:
        raise _Residual()
    expected = int(expected)
    if operator in ("eq", "ne"):
        positive = (operator == "eq") != negate
        return [(name, "=" if positive else "!=", expected)]
    sql = _ORDER[operator]
    if negate:
        sql = {">": "<=", ">=": "<", "<": ">=", "<=": ">"}[sql]
    return [(name, sql, expected)]


def _boolean_leaf(name, operator, expected, negate):
    test = _test(operator, expected, negate)
    on_true, on_false = test(True), test(False)
    if on_true == on_false:
        return _constant(on_true)
    return [(name, "=", on_true)]  # (= False) is null or false in Odoo, as Python reads it


def _moment(value):
    if isinstance(value, (date, str)):
        return value if isinstance(value, date) else jsondoc.parse_iso(value)
    return None


def _day_range(name, day, positive):
    start = datetime.combine(day, time.min)
    end = start + timedelta(days=1)
    if positive:
        return ["&", (name, ">=", start), (name, "<", end)]
    return ["|", (name, "<", start), (name, ">=", end)]


def _naive_utc(moment):
    if moment.utcoffset() is None:
        return moment
    return moment.astimezone(timezone.utc).replace(tzinfo=None)


def _date_core(name, field_type, operator, expected, negate):
    """Domain exact on the records whose date (or datetime) is set."""
    test = _test(operator, expected, negate)
    sample = datetime(2000, 1, 1) if field_type == "datetime" else date(2000, 1, 1)
    if operator in ("in", "not_in"):
        moments = [_moment(option) for option in expected]
        moments = [moment for moment in moments if moment is not None]
        positive = (operator == "in") != negate
        if not moments:
            return _constant(not positive)
        if field_type == "date":
            days = sorted({moment.date() if isinstance(moment, datetime) else moment for moment in moments})
            return [(name, "in" if positive else "not in", days)]
        parts = [_datetime_equal(name, moment, True) for moment in moments]
        return _or(*parts) if positive else _and(*(_datetime_equal(name, m, False) for m in moments))
    moment = _moment(expected)
    if operator not in ("eq", "ne", *_ORDER) or moment is None:
        return _constant(test(sample))
    if field_type == "date":
        day = moment.date() if isinstance(moment, datetime) else moment
        if operator in ("eq", "ne"):
            return [(name, "=" if (operator == "eq") != negate else "!=", day)]
        return [(name, _negated_order(operator, negate), day)]
    if operator in ("eq", "ne"):
        return _datetime_equal(name, moment, (operator == "eq") != negate)
    if not isinstance(moment, datetime):
        # On the day: > d is from the next day on, <= d before the next day.
        start = datetime.combine(moment, time.min)
        bound = start + timedelta(days=1) if operator in ("gt", "lte") else start
        sql = {"gt": ">=", "gte": ">=", "lt": "<", "lte": "<"}[operator]
        if negate:
            sql = "<" if sql == ">=" else ">="
        return [(name, sql, bound)]
    moment = _exact_datetime(moment)
    return [(name, _negated_order(operator, negate), moment)]


def _negated_order(operator, negate):
    sql = _ORDER[operator]
    return {">": "<=", ">=": "<", "<": ">=", "<=": ">"}[sql] if negate else sql


def _exact_datetime(moment):
    if moment.microsecond:
        raise _Residual()  # Odoo's domains drop microseconds
    return _naive_utc(moment)


def _datetime_equal(name, moment, positive):
    if not isinstance(moment, datetime):
        return _day_range(name, moment, positive)
    return [(name, "=" if positive else "!=", _exact_datetime(moment))]


def _is_record_id(value):
    return _is_number(value) and isinstance(value, int) and value > 0


def _many2one_core(name, operator, expected, negate):
    """Domain exact on the records whose relation is set (compared by id)."""
    test = _test(operator, expected, negate)
    if operator in ("eq", "ne"):
        if isinstance(expected, str):
            raise _Residual()
        if not _is_record_id(expected):
            return _constant((operator == "ne") != negate)
        return [(name, "=" if (operator == "eq") != negate else "!=", expected)]
    if operator in ("in", "not_in"):
        if any(isinstance(option, str) for option in expected):
            raise _Residual()
        # Odoo reads an id 0 in a relation's list as False (null), which no set relation is.
        ids = sorted({option for option in expected if _is_record_id(option)})
        positive = (operator == "in") != negate
        if not ids:
            return _constant(not positive)
        return [(name, "in" if positive else "not in", ids)]
    if operator in ("contains", "icontains") and isinstance(expected, str):
        raise _Residual()
    # A related record's view orders against nothing and contains nothing.
    return _constant(test(object()))


class _Compiler:
    def __init__(self, fields_of, *, field_name, roots, constants, masked, named_by_text, event_keys):
        self.fields_of = fields_of
        self.event_keys = frozenset(event_keys or ())
        self.field_name = field_name
        self.roots = frozenset(roots)
        self.constants = dict(constants or {})
        self.masked = frozenset(masked or ())
        self.named_by_text = frozenset(named_by_text or ())

    # Each compile_* returns (domain, exact): exact domains are the subtree's records, the
    # others supersets of them.

    def compile_node(self, model, node, negate):
        for key in ("and", "or"):
            if key in node:
                kind = _NEGATED[key] if negate else key
                results = [self.compile_node(model, child, negate) for child in node[key]]
                domains = [domain for domain, _exact in results]
                exact = all(exact for _domain, exact in results)
                return (_and if kind == "and" else _or)(*domains), exact
        if "not" in node:
            return self.compile_node(model, node["not"], not negate)
        return self.compile_leaf(model, node, negate)

    def residual(self, model, node, negate):
        """The condition left to check in Python on the records of the compiled domain."""
        if "and" in node or "or" in node:
            key = "and" if "and" in node else "or"
            if (_NEGATED[key] if negate else key) == "and":
                parts = [
                    part for part in (self.residual(model, child, negate) for child in node[key])
                    if part is not None
                ]
                if not parts:
                    return None
                return parts[0] if len(parts) == 1 else {"and": parts}
            _domain, exact = self.compile_node(model, node, negate)
            if exact:
                return None
            return {"not": node} if negate else node
        if "not" in node:
            return self.residual(model, node["not"], not negate)
        _domain, exact = self.compile_leaf(model, node, negate)
        if exact:
            return None
        return {"not": node} if negate else node

    def compile_leaf(self, model, node, negate):
        keys = node["field"].split(".")
        if keys[0] in self.constants:
            holds = conditions.evaluate(node, self.constants) != negate
            return _constant(holds), True
        if keys[0] in self.event_keys:
            return (TRUE_DOMAIN if negate else _Residual().superset), False
        if keys[0] in self.roots and len(keys) > 1:
            keys = keys[1:]
        try:
            return self._path(model, keys, node["operator"], node["value"], negate), True
        except _Residual as residual:
            return (TRUE_DOMAIN if negate else residual.superset), False

    def _path(self, model, keys, operator, expected, negate):
        key = keys[0]
        if key in self.named_by_text or key.startswith("_"):
            raise _Residual()
        name = self.field_name(model, key)
        meta = (self.fields_of(model) or {}).get(name)
        if not meta or not meta.get("store", True) or meta.get("translate") or (model, name) in self.masked:
            raise _Residual()
        field_type = meta["type"]
        if len(keys) > 1:
            if field_type != "many2one" or not meta.get("relation"):
                raise _Residual()
            # A missing relation makes the path's value null.
            holds_on_null = _test(operator, expected, negate)(None)
            try:
                inner = self._path(meta["relation"], keys[1:], operator, expected, negate)
            except _Residual as residual:
                if negate:
                    raise _Residual() from None
                raise _Residual([(name, "any", residual.superset)]) from None
            # (rel, 'not any', []): no related record, or one the user may not read (its
            # fields then read as null, as Odoo's `any` leaves it out under record rules).
            return _or(
                [(name, "not any", [])] if holds_on_null else FALSE_DOMAIN,
                [(name, "any", inner)],
            )
        if field_type in _NUMBER_TYPES:
            return _number_core(name, meta, operator, expected, negate)
        if field_type == "boolean":
            return _boolean_leaf(name, operator, expected, negate)
        if field_type in _CHAR_TYPES:
            texts = expected if isinstance(expected, list) else [expected]
            longest = max((len(text) for text in texts if isinstance(text, str)), default=0)
            if meta.get("size") and 2 * longest + 1 > meta["size"]:
                raise _Residual()  # Odoo cuts values (and =like patterns) to the size
            return _char_leaf(name, operator, expected, negate)
        if field_type not in _NULLABLE_TYPES:
            raise _Residual()
        test = _test(operator, expected, negate)
        if field_type == "selection":
            keys_known = meta.get("selection")
            if keys_known is None:
                raise _Residual()
            options = [key for key in keys_known if test(key)]
            if len(options) == len(keys_known):
                core = TRUE_DOMAIN
            else:
                core = [(name, "in", options)] if options else FALSE_DOMAIN
        elif field_type in ("date", "datetime"):
            core = _date_core(name, field_type, operator, expected, negate)
        else:
            core = _many2one_core(name, operator, expected, negate)
        null_part = [(name, "=", False)] if test(None) else FALSE_DOMAIN
        return _or(null_part, _and([(name, "!=", False)], core))


def to_domain(
    dsl,
    model,
    fields_of,
    *,
    field_name=None,
    roots=("record",),
    constants=None,
    masked=(),
    named_by_text=(),
    event_keys=(),
):
    """``(domain, residual)`` for the condition ``dsl`` on records of ``model``.

    ``fields_of(model)`` gives a model's fields as ``{name: {"type", "relation", "store",
    "translate", "selection", "size", "digits"}}`` (selection: the list of keys; size of a
    char, digits ``(precision, scale)`` of a float, if any); ``field_name(model, name)``
    the field a name stands for (aliases); ``roots`` the names the record goes by
    (``record``, ``lead``...); ``constants`` the values of ``user``, ``company``, ``today``;
    ``masked`` the ``(model, field)`` pairs masked for the user; ``named_by_text`` the
    names whose relation is compared by its display name; ``event_keys`` the names of the
    event's payload (never compiled: they are no field). The domain holds every record
    the condition holds for; on those records the condition holds exactly when ``residual``
    holds (None: always).
    """
    conditions.validate(dsl)
    if dsl is None:
        return list(TRUE_DOMAIN), None
    compiler = _Compiler(
        fields_of,
        field_name=field_name or (lambda _model, name: name),
        roots=roots,
        constants=constants,
        masked=masked,
        named_by_text=named_by_text,
        event_keys=event_keys,
    )
    domain, exact = compiler.compile_node(model, dsl, False)
    return domain, (None if exact else compiler.residual(model, dsl, False))
