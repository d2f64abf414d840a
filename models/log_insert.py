"""Run logs written with one INSERT, leaving the ORM's cache as its create() would.

No model lives here. The engine writes a run on every matching event and an action run for
every action: ``workflow.run._insert`` and ``workflow.action.run._insert`` use these helpers
where the ORM's create would cost its generic bookkeeping for rows that need none of it
(fields left out get their default, and no stored field of a log is computed, translated or
constrained in Python).
"""

import weakref
from collections import defaultdict

from odoo.tools import SQL

_LEFT_OUT = object()


class _LogTable:
    """What the helpers read of a log model's fields, once per registry (a model's class
    belongs to one registry): its stored fields, their SQL casts, the value each caches when
    left out, and the one2many fields that hold the records a many2one points to."""

    def __init__(self, model):
        self.stored = [field for name, field in model._fields.items() if field.store and name != "id"]
        self.stored_names = [field.name for field in self.stored]
        self.defaulted = [field.name for field in self.stored if field.default and field.name != "uuid"]
        self.casts = {field: f"%s::{field.column_type[1]}" for field in self.stored if field.column_type}
        empty = model.browse()
        self.left_out = {field: field.convert_to_cache(None, empty) for field in self.stored}
        self.inverses = {
            field: tuple(model.pool.field_inverses[field])
            for field in self.stored if field.type == "many2one" and model.pool.field_inverses[field]
        }


_TABLES = weakref.WeakKeyDictionary()


def _log_table(model):
    table = _TABLES.get(type(model))
    if table is None:
        table = _TABLES[type(model)] = _LogTable(model)
    return table


def log_rows(model, vals_list):
    """``vals_list`` as the rows to insert into ``model``'s table: the defaults of the stored
    fields that some ``vals`` leave out, and the creation and write fields."""
    env = model.env
    now = env.cr.now()
    defaulted = [name for name in _log_table(model).defaulted if any(name not in vals for vals in vals_list)]
    defaults = model.default_get(defaulted) if defaulted else {}
    return [
        {**defaults, **vals, "create_uid": env.uid, "create_date": now, "write_uid": env.uid, "write_date": now}
        for vals in vals_list
    ]


def select_list(model, row):
    """The fields that ``row`` gives a value, for an ``INSERT INTO <table> (<names>) SELECT
    <typed>``: their quoted names, their typed placeholders and the parameters of these."""
    fields = [model._fields[name] for name in row]
    casts = _log_table(model).casts
    return (
        ", ".join(f'"{field.name}"' for field in fields),
        ", ".join(casts[field] for field in fields),
        [field.convert_to_column_insert(row[field.name], model, row) for field in fields],
    )


def split_columns(model, rows):
    """The fields that ``rows`` give a value, as ``(shared, own)``: those whose value every
    row shares, and the others. The runs of an event share most of their values (event,
    record, user, payload): insert_select writes them once, cache_inserted converts them once."""
    first = rows[0]
    names = dict.fromkeys(first)
    for row in rows:
        if row.keys() != first.keys():
            names.update(dict.fromkeys(row))
    shared, own = [], []
    for name in names:
        field = model._fields[name]
        value = first.get(name, _LEFT_OUT)
        # A monetary value is converted in the currency of its own row.
        shares = field.type != "monetary" and all(
            other is value or (type(other) is type(value) and other == value)
            for other in (row.get(name, _LEFT_OUT) for row in rows)
        )
        (shared if shares else own).append(field)
    return shared, own


def insert_select(model, rows, columns):
    """``INSERT INTO <table> (<columns>) SELECT ...`` of ``rows``, as an SQL object the caller
    ends (a WHERE, an ON CONFLICT, a RETURNING): the values every row shares (``columns``, as
    split_columns gives them) are given once, in the SELECT list, the others in a VALUES list
    of a row per row, in order: each shared value is converted, sent and parsed once."""
    shared, own = columns
    casts = _log_table(model).casts

    def param(field, row):
        return field.convert_to_column_insert(row[field.name], model, row) if field.name in row else None

    # Typed values: a SELECT list, or a VALUES list where no row says, would type them as text.
    typed = [casts[field] for field in shared]
    params = [param(field, rows[0]) for field in shared]
    values = ""
    if own:
        typed.append("v.*")
        first_row = "(" + ", ".join(casts[field] for field in own) + ")"
        row_sql = "(" + ", ".join(["%s"] * len(own)) + ")"
        values = f" FROM (VALUES {', '.join([first_row] + [row_sql] * (len(rows) - 1))}) AS v"
        params += [param(field, row) for row in rows for field in own]
    elif len(rows) > 1:
        # Rows alike in every value: still one row each.
        values = f" FROM generate_series(1, {len(rows)})"
    names = ", ".join(f'"{field.name}"' for field in shared + own)
    # The names are the model's fields.
    return SQL(f"INSERT INTO {model._table} ({names}) SELECT {', '.join(typed)}{values}", *params)  # noqa: S608


def cache_inserted(records, rows, columns):
    """What the ORM's create caches, for the inserted ``records`` of ``rows`` (in order, split
    into ``columns`` as split_columns gives them, perhaps for more rows than these): they are
    read without a query, and the records they point to that hold their one2many in cache (a
    workflow's run_ids, a run's action_run_ids) hold the new ones too."""
    if not records:
        return
    table = _log_table(records)
    cache = records.env.cache
    shared, own = set(columns[0]), set(columns[1])
    for field in table.stored:
        if field in own:
            values = [field.convert_to_cache(row.get(field.name), records) for row in rows]
        else:
            # Converted once: a value in cache is copied when it is read (fields.Json).
            value = field.convert_to_cache(rows[0][field.name], records) if field in shared else table.left_out[field]
            values = [value] * len(rows)
        cache.update(records, field, values)
        inverses = table.inverses.get(field, ())
        # As create: a one2many joins the new records only where it is in cache.
        if any(cache.contains_field(inverse) for inverse in inverses):
            # The records that point to one record join its cached one2many together.
            pointing = defaultdict(list)
            for record_id, value in zip(records._ids, values, strict=True):
                pointing[value].append(record_id)
            comodel = records.env[field.comodel_name]
            for value, record_ids in pointing.items():
                if value and any(cache.contains(comodel.browse(value), inverse) for inverse in inverses):
                    field._update_inverses(records.browse(record_ids), value)
    records.modified(table.stored_names, create=True)
