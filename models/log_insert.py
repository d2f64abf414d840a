"""Run logs written with one INSERT, leaving the ORM's cache as its create() would.

No model lives here. The engine writes a run on every matching event and an action run for
every action: ``workflow.run._insert`` and ``workflow.action.run._insert`` use these helpers
where the ORM's create would cost its generic bookkeeping for rows that need none of it
(fields left out get their default, and no stored field of a log is computed, translated or
constrained in Python).
"""

from collections import defaultdict

from odoo.tools import SQL

_LEFT_OUT = object()


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


def insert_select(model, rows):
    """``INSERT INTO <table> (<columns>) SELECT ...`` of ``rows``, as an SQL object the caller
    ends (a WHERE, an ON CONFLICT, a RETURNING): the values every row shares are given once, in
    the SELECT list, the others in a VALUES list of a row per row, in order. The runs of an
    event share most of their values (event, record, user, payload): each is converted, sent
    and parsed once, not once per workflow."""
    columns = [model._fields[name] for name in dict.fromkeys(name for row in rows for name in row)]
    shared, own = [], []
    for field in columns:
        # A monetary value is converted in the currency of its own row.
        shares = field.type != "monetary" and _same([row.get(field.name, _LEFT_OUT) for row in rows])
        (shared if shares else own).append(field)

    def param(field, row):
        return field.convert_to_column_insert(row[field.name], model, row) if field.name in row else None

    # Typed values: a SELECT list, or a VALUES list where no row says, would type them as text.
    typed = [f"%s::{field.column_type[1]}" for field in shared]
    params = [param(field, rows[0]) for field in shared]
    values = ""
    if own:
        typed.append("v.*")
        first_row = "(" + ", ".join(f"%s::{field.column_type[1]}" for field in own) + ")"
        row_sql = "(" + ", ".join(["%s"] * len(own)) + ")"
        values = f" FROM (VALUES {', '.join([first_row] + [row_sql] * (len(rows) - 1))}) AS v"
        params += [param(field, row) for row in rows for field in own]
    elif len(rows) > 1:
        # Rows alike in every value: still one row each.
        values = f" FROM generate_series(1, {len(rows)})"
    names = ", ".join(f'"{field.name}"' for field in shared + own)
    # The names are the model's fields.
    return SQL(f"INSERT INTO {model._table} ({names}) SELECT {', '.join(typed)}{values}", *params)  # noqa: S608


def _same(values):
    """Whether the list ``values`` holds one value only (of one type: True is not 1)."""
    first = values[0]
    return all(value is first or (type(value) is type(first) and value == first) for value in values)


def cache_inserted(records, rows):
    """What the ORM's create caches, for the inserted ``records`` of ``rows`` (in order): they
    are read without a query, and the records they point to that hold their one2many in cache
    (a workflow's run_ids, a run's action_run_ids) hold the new ones too."""
    if not records:
        return
    cache = records.env.cache
    stored = [field for name, field in records._fields.items() if field.store and name != "id"]
    given = set().union(*rows)
    for field in stored:
        values = [row.get(field.name) for row in rows] if field.name in given else [None]
        if len(values) == 1 or _same(values):
            # Converted once: a value in cache is copied when it is read (fields.Json).
            values = [field.convert_to_cache(values[0], records)] * len(rows)
        else:
            values = [field.convert_to_cache(value, records) for value in values]
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
