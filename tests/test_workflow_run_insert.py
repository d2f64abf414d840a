"""workflow.run._insert writes runs with one INSERT instead of the ORM's create: it stays only
as long as it leaves the database, the ORM cache and every computed field as create() does, for
every field of workflow.run, including fields added later."""

from odoo import Command, fields
from odoo.tests import tagged

from .common import WorkflowCase

DIFFERENT_BY_NATURE = frozenset({"id", "uuid", "idempotency_key", "display_name"})
"""What two runs created alike still differ in: their identity."""
LEFT_OUT = object()


@tagged("post_install", "-at_install")
class TestRunInsert(WorkflowCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.workflow = cls.Workflow.create({
            "name": "Queued", "execution_mode": "queued",
            "trigger_ids": [Command.create({"event_type": "custom", "custom_event": "x"})],
            "action_ids": [Command.create({"name": "Note", "action_type": "add_note", "config": {"note": "n"}})],
        })

    def run_vals(self, key, **values):
        vals = {
            "workflow_id": self.workflow.id, "trigger_id": self.workflow.trigger_ids.id, "event_type": "custom",
            "payload": {"amount": 3, "nested": {"list": [1, "two"]}}, "version_id": self.workflow.current_version_id.id,
            "res_model": "crm.lead", "res_id": self.lead.id, "user_id": self.manager.id,
            "company_id": self.env.company.id, "depth": 1, "idempotency_key": key, "queue_backend": "cron",
            "explanation": {"result": True, "summary": "always"}, **values,
        }
        return {name: value for name, value in vals.items() if value is not LEFT_OUT}

    def values_of(self, run):
        """Every field of ``run``, relations as ids, as the ORM returns them now."""
        return {
            name: run[name].ids if field.relational else run[name]
            for name, field in run._fields.items() if name not in DIFFERENT_BY_NATURE
        }

    def assert_alike(self, values):
        # One run, whose values the INSERT gives all in its SELECT list, then two, whose shared
        # values and own values it writes apart (log_insert.insert_select).
        other = {"payload": {"amount": 4}, "depth": 2, "explanation": None}
        for count in (1, 2):
            vals_list = [values, {**values, **other}][:count]
            self.assert_inserted_alike(
                [self.run_vals(f"created {count}.{index}", **vals) for index, vals in enumerate(vals_list)],
                [self.run_vals(f"inserted {count}.{index}", **vals) for index, vals in enumerate(vals_list)],
            )

    def assert_inserted_alike(self, created_vals, inserted_vals):
        runs = self.env["workflow.run"].sudo()
        self.workflow.run_ids  # noqa: B018 - the workflow's one2many is in cache before the runs exist
        created = runs.create(created_vals)
        inserted = runs._insert(inserted_vals)
        self.assertEqual(len(inserted), len(inserted_vals))
        # From the cache, as the caller reads them right after the insert: every stored field is
        # there, as after create, and holds the same value.
        uncached = {
            run.idempotency_key: [name for name, field in run._fields.items()
                                  if field.store and name != "id" and not self.env.cache.contains(run, field)]
            for run in created | inserted
        }
        self.assertEqual(set(map(tuple, uncached.values())), {()}, f"stored fields that are not in cache: {uncached}")
        self.assertEqual(list(map(self.values_of, inserted)), list(map(self.values_of, created)))
        self.assertLessEqual(inserted, self.workflow.run_ids)
        # From the database.
        self.env.invalidate_all()
        self.assertEqual(list(map(self.values_of, inserted)), list(map(self.values_of, created)))
        rows = {}
        for run in created | inserted:
            self.env.cr.execute("SELECT * FROM workflow_run WHERE id = %s", [run.id])
            columns = [column.name for column in self.env.cr.description]
            row = dict(zip(columns, self.env.cr.fetchone(), strict=True))
            rows[run] = {name: value for name, value in row.items() if name not in DIFFERENT_BY_NATURE}
        self.assertEqual([rows[run] for run in inserted], [rows[run] for run in created])

    def test_a_pending_run_is_inserted_as_create_would_create_it(self):
        self.assert_alike({"state": "pending"})

    def test_a_running_run_with_its_start_is_inserted_as_create_would_create_it(self):
        self.assert_alike({"state": "running", "attempt": 1, "started_at": fields.Datetime.now()})

    def test_a_failed_run_without_record_is_inserted_as_create_would_create_it(self):
        self.assert_alike({
            "state": "failed", "res_model": False, "res_id": 0, "error": "Stopped", "error_code": "chain_too_deep",
        })

    def test_a_run_left_to_its_defaults_is_inserted_as_create_would_create_it(self):
        self.assert_alike({"state": LEFT_OUT, "queue_backend": LEFT_OUT})

    def test_action_runs_alike_in_every_value_are_each_inserted(self):
        run = self.env["workflow.run"].sudo()._insert([self.run_vals("with actions", state="running")])
        vals = {"run_id": run.id, "action_id": self.workflow.action_ids.id, "name": "Note", "state": "success"}
        action_runs = self.env["workflow.action.run"].sudo()._insert([dict(vals), dict(vals)])
        self.assertEqual(len(action_runs), 2)
        self.assertEqual(len(set(action_runs.ids)), 2)
        self.assertEqual(self.env["workflow.action.run"].sudo().search_count([("run_id", "=", run.id)]), 2)
