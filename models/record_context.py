"""Adapts Odoo records to the mappings that engine.conditions and engine.templates read.

No model lives here: this is the glue between the ORM and the pure engine. Values
are read lazily, so a condition that tests two fields reads two fields, and Odoo's
prefetching still batches those reads across the records of one event.
"""

from collections import ChainMap
from collections.abc import Mapping

from odoo import fields
from odoo.exceptions import AccessError

from ..engine import domains
from ..engine.events import CONTEXT_NAMES, ENTITY_MODELS
from ..engine.masking import Masked, mask_value

FIELD_ALIASES = {
    "crm.lead": {
        "amount": "expected_revenue",
        "email": "email_from",
        "company_name": "partner_name",
        "owner": "user_id",
        "stage": "stage_id",
        "lead_score": "probability",
    },
}
"""The design's field names that stock Odoo spells differently."""

COMMON_ALIASES = {"created_at": "create_date", "updated_at": "write_date"}


def field_name(model_name, name):
    """The Odoo field that the design's ``name`` stands for on ``model_name``."""
    return FIELD_ALIASES.get(model_name, {}).get(name) or COMMON_ALIASES.get(name, name)

NAMED_BY_TEXT = frozenset({"stage"})
"""Aliases of relations that the design compares by name (``stage == "Proposition"``)."""

SKIPPED_TYPES = frozenset({"binary"})

_ABSENT = object()


class RecordContext(Mapping):
    """A read-only mapping view of one record, as its environment's user may read it.

    Fields the user may not read are absent, empty values are None, relations are
    nested views (``lead.user_id.email``) and x2many fields are lists of names. The
    view equals the record's id or display name, so conditions such as
    ``{"field": "user_id", "operator": "eq", "value": 2}`` read naturally.
    """

    __slots__ = ("_record", "_memo", "_masked", "_journal")

    def __init__(self, record, memo=None, journal=None):
        self._record = record
        # Values already read, when the view may keep them: while the conditions of many
        # workflows are evaluated on one event, nothing writes the record.
        self._memo = memo
        self._masked = None
        # With a journal (a list), each value read from the record is noted in it as
        # ``(memo, key)`` (memo None: not kept), so that a caller knows what was read.
        self._journal = journal

    def __getitem__(self, key):
        memo = self._memo
        if self._journal is not None and (memo is None or key not in memo):
            self._journal.append((memo, key))
        if memo is None:
            return self._read(key)
        if key not in memo:
            try:
                memo[key] = self._read(key)
            except KeyError:
                memo[key] = _ABSENT
        value = memo[key]
        if value is _ABSENT:
            raise KeyError(key)
        return value

    def _read(self, key):
        record = self._record
        name = field_name(record._name, key) if isinstance(key, str) else None
        field = record._fields.get(name)
        if field is None or field.type in SKIPPED_TYPES or not field.is_accessible(record.env):
            raise KeyError(key)
        try:
            value = record[name]
        except AccessError as exc:
            raise KeyError(key) from exc
        if key in NAMED_BY_TEXT:
            return value.display_name or None
        if self._masked is None:
            self._masked = masked_fields(record)
        if name in self._masked and value:
            return Masked(value)
        return self._convert(field, value, self._memo is not None, self._journal)

    def __iter__(self):
        record = self._record
        yield from (
            name for name, field in record._fields.items()
            if field.type not in SKIPPED_TYPES and field.is_accessible(record.env)
        )
        yield from FIELD_ALIASES.get(record._name, ())
        yield from COMMON_ALIASES

    def __len__(self):
        return sum(1 for _name in self)

    def __eq__(self, other):
        if isinstance(other, RecordContext):
            return self._record == other._record
        if isinstance(other, int) and not isinstance(other, bool):
            return self._record.id == other
        if isinstance(other, str):
            return self._record.display_name == other
        return NotImplemented

    def __hash__(self):
        return hash((self._record._name, self._record.id))

    def __str__(self):
        return self._record.display_name or ""

    def __repr__(self):
        return f"RecordContext({self._record!r})"

    @staticmethod
    def _convert(field, value, memoize, journal=None):
        if field.type == "many2one":
            return RecordContext(value, {} if memoize else None, journal) if value else None
        if field.type in ("one2many", "many2many"):
            return [related.display_name for related in value]
        if field.type == "boolean":
            return value
        return None if value is False else value


def _masked_pairs(env):
    """The ``(model, field)`` pairs that ``env``'s user sees masked."""
    fields_masked, unmasking_groups = env.company._workflow_masking()
    if not fields_masked or unmasking_groups & set(env.user.sudo().groups_id.ids):
        return frozenset()
    return frozenset(fields_masked)


def masked_fields(record):
    """The fields of ``record``'s model that its environment's user sees masked (see
    res.company's workflow masking settings)."""
    return frozenset(name for model, name in _masked_pairs(record.env) if model == record._name)


def shown_value(record, name, value):
    """``value``, read from ``record``'s field ``name``, as a workflow may show it to its
    environment's user: only its mask when the field is masked for them."""
    return mask_value(value) if value and name in masked_fields(record) else value


def masked_event_keys(record, event_keys):
    """``event_keys`` with the values of masked fields of ``record`` (in the ``*_data`` values
    of its event, as hooks pass the written values) masked, for the run's payload."""
    names = masked_fields(record) if record else frozenset()
    if not names:
        return event_keys
    return {
        key: {name: Masked(item) if name in names and item else item for name, item in value.items()}
        if key.endswith("_data") and isinstance(value, dict) else value
        for key, value in event_keys.items()
    }


def user_today(records):
    """Today's date in the time zone of the user of ``records``' environment."""
    return fields.Date.context_today(records.with_context(tz=records.env.user.tz))


class _Today(Mapping):
    """``today`` in the context of an event on ``record``: the date in its user's time zone,
    looked up when a condition or template reads it (most read the record only, and the
    user's time zone costs their row and their partner's in a request's new cache)."""

    __slots__ = ("_record", "_today")

    def __init__(self, record):
        self._record = record
        self._today = None

    def __getitem__(self, key):
        if key != "today":
            raise KeyError(key)
        if self._today is None:
            self._today = user_today(self._record)
        return self._today

    def __contains__(self, key):
        return key == "today"

    def __iter__(self):
        yield "today"

    def __len__(self):
        return 1


class EventContext(ChainMap):
    """The maps of an event's context (see build_context), looked up in order without a
    KeyError raised and caught in each map before the record's view, where conditions find
    most of what they read: a ChainMap tries every map for the item, and its ``get`` looks
    the item up twice. The last map, the view, is asked directly."""

    def __getitem__(self, key):
        *firsts, last = self.maps
        for mapping in firsts:
            if key in mapping:
                return mapping[key]
        return last[key]

    def get(self, key, default=None):
        try:
            return self[key]
        except KeyError:
            return default


def build_context(record, event_keys, company=None, memoize=False, journal=None):
    """The condition and template context of an event on ``record`` (possibly empty).

    Lookup order: the names every context has (the record under its entity names, ``lead``
    and ``deal`` for a crm.lead, and as ``record``; ``user``, ``company``, ``today``), which
    no event key replaces, then the event's keys, then the record's own fields, so
    ``{"field": "expected_revenue", ...}`` works directly. With ``memoize``, each value is
    read once: for evaluating conditions, not for running actions that change the record.
    With ``journal`` (a list), every value read from a record is noted in it (see RecordContext).
    """
    env = record.env
    # The context's own names come last: no event key stands for the record, user or company.
    names = {key: value for key, value in masked_event_keys(record, event_keys).items() if key not in CONTEXT_NAMES}
    names["user"] = RecordContext(env.user, journal=journal)
    names["company"] = RecordContext(company or env.company, journal=journal)
    today = _Today(record)
    if not record:
        return EventContext(names, today)
    view = RecordContext(record, {} if memoize else None, journal)
    names["record"] = view
    for entity_type, model in ENTITY_MODELS.items():
        if model == record._name:
            names[entity_type] = view
    return EventContext(names, today, view)


def fields_metadata(env, model_name):
    """The fields of ``model_name`` as engine.domains reads them, those ``env``'s user may
    read only (as RecordContext shows them); company-dependent ones count as not stored."""
    if model_name not in env:
        return {}
    metadata = {}
    for name, field in env[model_name]._fields.items():
        if field.type in SKIPPED_TYPES or not field.is_accessible(env):
            continue
        metadata[name] = {
            "type": field.type,
            "relation": field.comodel_name if field.relational else None,
            "store": bool(field.store and field.column_type and not field.company_dependent),
            "translate": bool(field.translate),
            "selection": list(field.get_values(env)) if field.type == "selection" else None,
            "size": getattr(field, "size", None),
            "digits": field.get_digits(env) if field.type == "float" else None,
        }
    return metadata


def condition_domain(model, dsl, company=None, event_keys=()):
    """``(domain, residual)`` of the condition ``dsl`` on records of ``model`` (a recordset, its
    environment the user the condition is seen by): every record the condition holds for
    is in the domain, and a record of the domain passes when ``residual`` (None: always)
    holds on its build_context. ``user``, ``company`` and ``today`` are the constants
    build_context would give; ``event_keys`` the names of an event's payload, if any."""
    env = model.env
    cache = {}

    def fields_of(model_name):
        if model_name not in cache:
            cache[model_name] = fields_metadata(env, model_name)
        return cache[model_name]

    constants = {
        "user": RecordContext(env.user),
        "company": RecordContext(company or env.company),
        "today": user_today(model),
    }
    roots = ["record", *(entity for entity, name in ENTITY_MODELS.items() if name == model._name)]
    return domains.to_domain(
        dsl,
        model._name,
        fields_of,
        field_name=field_name,
        roots=roots,
        constants=constants,
        masked=_masked_pairs(env),
        named_by_text=NAMED_BY_TEXT,
        event_keys=[key for key in event_keys if key not in CONTEXT_NAMES],
    )
