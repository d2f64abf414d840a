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
