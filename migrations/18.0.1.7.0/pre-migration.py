"""18.0.1.7.0, before the module's tables are updated:

- ``workflow_run.parent_run_id`` is indexed where it is set only (most runs have no parent run):
  its full index is dropped here, and the update creates the partial one in its place;
- the indexes of ``workflow_run.event_type`` and ``res_model`` are dropped (Odoo keeps an index
  that a field no longer declares): no query of the addon narrows runs by either alone.

Every run row is written with fewer indexes to keep up (the CRM hooks, enrollments); no stored
value changes.
"""

from odoo.tools import SQL

DROPPED_INDEXES = (
    "workflow_run__parent_run_id_index",
    "workflow_run__event_type_index",
    "workflow_run__res_model_index",
)


def migrate(cr, version):
    for index in DROPPED_INDEXES:
        cr.execute(SQL("DROP INDEX IF EXISTS %s", SQL.identifier(index)))
