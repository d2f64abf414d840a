import importlib.util
from pathlib import Path

from odoo.tests import TransactionCase, tagged

MIGRATIONS = Path(__file__).parent.parent / "migrations"


def load_migration(version, stage):
    """The module of the migration script ``<stage>-migration.py`` of ``version``."""
    path = MIGRATIONS / version / f"{stage}-migration.py"
    spec = importlib.util.spec_from_file_location(f"workflow_engine_{stage}_migration_{version}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@tagged("post_install", "-at_install")
class TestMigration18012(TransactionCase):
    def test_records_saved_under_the_old_xml_ids_take_the_new_ones(self):
        migration = load_migration("18.0.1.2.0", "pre")
        renamed = migration.RENAMED_XMLIDS
        records = {new: self.env.ref(f"workflow_engine.{new}") for new in renamed.values()}
        # A database of 18.0.1.1.0 holds these records under the old ids.
        for old, new in renamed.items():
            self.env.cr.execute(
                "UPDATE ir_model_data SET name = %s WHERE module = 'workflow_engine' AND name = %s", (old, new)
            )
        migration.migrate(self.env.cr, "18.0.1.1.0")
        migration.migrate(self.env.cr, "18.0.1.1.0")  # a second run changes nothing
        self.env.registry.clear_cache()
        for old, new in renamed.items():
            self.assertEqual(self.env.ref(f"workflow_engine.{new}"), records[new])
            self.assertIsNone(self.env.ref(f"workflow_engine.{old}", raise_if_not_found=False))


@tagged("post_install", "-at_install")
class TestMigration18017(TransactionCase):
    def index_definitions(self):
        self.env.cr.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'workflow_run' AND indexname IN %s",
            [("workflow_run__parent_run_id_index", "workflow_run__event_type_index", "workflow_run__res_model_index")],
        )
        return dict(self.env.cr.fetchall())

    def test_run_indexes_of_1_6_become_those_of_1_7(self):
        # A database of 18.0.1.6.0: a full index of parent_run_id, indexes of event_type and res_model.
        self.env.cr.execute("DROP INDEX workflow_run__parent_run_id_index")
        for column in ("parent_run_id", "event_type", "res_model"):
            self.env.cr.execute(f"CREATE INDEX workflow_run__{column}_index ON workflow_run ({column})")
        load_migration("18.0.1.7.0", "pre").migrate(self.env.cr, "18.0.1.6.0")
        # What the update does after the pre-migration: the fields' indexes as they are declared.
        self.env.registry.check_indexes(self.env.cr, ["workflow.run"])
        indexes = self.index_definitions()
        self.assertEqual(list(indexes), ["workflow_run__parent_run_id_index"])
        self.assertIn("WHERE (parent_run_id IS NOT NULL)", indexes["workflow_run__parent_run_id_index"])
