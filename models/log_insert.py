"""Run logs written with one INSERT, leaving the ORM's cache as its create() would.

No model lives here. The engine writes a run on every matching event and an action run for
every action: ``workflow.run._insert`` and ``workflow.action.run._insert`` use these helpers
where the ORM's create would cost its generic bookkeeping for rows that need none of it
(fields left out get their default, and no stored field of a log is computed, translated or
constrained in Python).
"""

from collections import defaultdict
from datetime import date, datetime

IMMUTABLE_TYPES = (str, int, float, date, datetime, type(None))
"""Values whose conversion to the cache may be shared between rows (bool is an int)."""


def log_rows(model, vals_list):
    """``vals_list`` as the rows to insert into ``model``'s table: the defaults of the stored
    fields that some ``vals`` leave out, and the creation and write fields."""
    env = model.env
    now = env.cr.now()
    defaulted = [
        name for name, field in model._fields.items()
        if field.store and field.default and name != "uuid" and any(name not in vals for vals in vals_list)
    ]
    defaults = model.default_get(defaulted) if defaulted else {}
    return [
        {**defaults, **vals, "create_uid": env.uid, "create_date": now, "write_uid": env.uid, "write_date": now}
        for vals in vals_list
    ]


def insert_columns(model, rows):
    """The fields that ``rows`` give a value, their quoted names for the INSERT, and the
    parameters of one VALUES row per row, in order."""
    columns = [model._fields[name] for name in dict.fromkeys(name for row in rows for name in row)]
    params = [
        field.convert_to_column_insert(row[field.name], model, row) if field.name in row else None
        for row in rows for field in columns
    ]
    # The names are the model's fields.
    return columns, ", ".join(f'"{field.name}"' for field in columns), params


def cache_inserted(records, rows):
    """What the ORM's create caches, for the inserted ``records`` of ``rows`` (in order): they
    are read without a query, and the records they point to that hold their one2many in cache
    (a workflow's run_ids, a run's action_run_ids) hold the new ones too."""
    cache = records.env.cache
    stored = [field for name, field in records._fields.items() if field.store and name != "id"]
    for field in stored:
        values = _cache_values(field, records, rows)
        cache.update(records, field, values)
        inverses = records.pool.field_inverses[field]
        if field.type == "many2one" and inverses:
            # The records that point to one record join its cached one2many together.
            pointing = defaultdict(list)
            for record_id, value in zip(records._ids, values, strict=True):
                pointing[value].append(record_id)
            comodel = records.env[field.comodel_name]
            for value, record_ids in pointing.items():
                # As create: a one2many joins the new records only where it is in cache.
                if value and any(cache.contains(comodel.browse(value), inverse) for inverse in inverses):
                    field._update_inverses(records.browse(record_ids), value)
    records.modified([field.name for field in stored], create=True)


def _cache_values(field, records, rows):
    """The cache values of ``field`` for ``rows``: a value that many rows share (the fields of
    their workflow, their state) converted once, as the conversion of an immutable value is."""
    converted = {}
    values = []
    for row in rows:
        value = row.get(field.name)
        if isinstance(value, IMMUTABLE_TYPES):
            key = (type(value), value)
            if key not in converted:
                converted[key] = field.convert_to_cache(value, records)
            values.append(converted[key])
        else:
            values.append(field.convert_to_cache(value, records))
    return values
