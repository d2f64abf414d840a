from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from odoo.addons.workflow_engine.engine.definition import READ_ONLY_KEYS

from .common import WorkflowCase, example_1_values


@tagged("post_install", "-at_install")
class TestWorkflowVersions(WorkflowCase):
    def _create(self, user=None):
        return self.Workflow.with_user(user or self.manager).create(example_1_values())

    def _versions(self, workflow):
        return self.env["workflow.version"].search([("workflow_id", "=", workflow.id)])

    def _set_threshold(self, workflow, amount):
        trigger = workflow.trigger_ids
        conditions = dict(trigger.conditions)
        conditions["and"] = [dict(conditions["and"][0], value=amount), conditions["and"][1]]
        workflow.write({"trigger_ids": [Command.update(trigger.id, {"conditions": conditions})]})

    def test_saving_a_definition_counts_no_runs_and_its_snapshot_holds_no_read_only_key(self):
        workflow = self._create()
        workflow.execute("crm.lead", self.lead.id)
        workflow.invalidate_recordset(["run_count", "failed_run_count"])
        workflow.write({"priority": 20})
        for name in ("run_count", "failed_run_count"):
            self.assertFalse(self.env.cache.contains(workflow, workflow._fields[name]), f"{name} was computed")
        snapshot = self._versions(workflow)[0].snapshot
        self.assertEqual(snapshot["priority"], 20)
        self.assertFalse(READ_ONLY_KEYS & set(snapshot))
        for item in snapshot["triggers"] + snapshot["actions"]:
            self.assertFalse(READ_ONLY_KEYS & set(item))

    def test_creating_then_changing_twice_leaves_three_versions_and_restoring_v1_is_v4(self):
        workflow = self._create()
        self._set_threshold(workflow, 60000)
        workflow.write({"name": "Qualify big leads", "priority": 20})
        versions = self._versions(workflow)
        self.assertEqual(versions.mapped("version"), [3, 2, 1])
        self.assertEqual(versions.author_id, self.manager)
        first = versions.filtered(lambda version: version.version == 1)
        self.assertEqual(first.snapshot["name"], "Auto-qualify high-value leads")
        self.assertEqual(first.snapshot["triggers"][0]["conditions"]["and"][0]["value"], 50000)
        self.assertNotIn("id", first.snapshot["actions"][0], "a snapshot holds no ids")
        self.assertEqual(workflow.version_count, 3)

        first.with_user(self.manager).action_restore()
        workflow.invalidate_recordset()
        self.assertEqual(self._versions(workflow).mapped("version"), [4, 3, 2, 1])
        self.assertEqual(workflow.name, "Auto-qualify high-value leads")
        self.assertEqual(workflow.priority, 10)
        self.assertEqual(workflow.trigger_ids.conditions["and"][0]["value"], 50000)
        self.assertEqual(workflow.current_version_id.snapshot, first.snapshot)

    def test_a_form_save_of_workflow_triggers_and_actions_makes_one_version(self):
        workflow = self._create()
        workflow.write({
            "name": "Renamed",
            "trigger_ids": [Command.update(workflow.trigger_ids.id, {"active": False})],
            "action_ids": [Command.update(workflow.action_ids[0].id, {"name": "Qualify it"}),
                           Command.create({"name": "Note", "action_type": "add_note", "config": {"note": "hi"}})],
        })
        self.assertEqual(self._versions(workflow).mapped("version"), [2, 1])

    def test_a_save_that_changes_nothing_makes_no_version_but_a_direct_action_write_does(self):
        workflow = self._create()
        workflow.write({"name": workflow.name})
        self.assertEqual(len(self._versions(workflow)), 1)
        workflow.action_ids[1].with_user(self.manager).write({"config": {"note": "Changed"}})
        self.assertEqual(len(self._versions(workflow)), 2)
        workflow.action_ids[1].with_user(self.manager).unlink()
        self.assertEqual(len(self._versions(workflow)), 3)
        self.assertEqual(len(self._versions(workflow)[0].snapshot["actions"]), 1)

    def test_the_chatter_shows_who_changed_what_before_and_after(self):
        workflow = self._create()
        self._set_threshold(workflow.with_user(self.admin), 75000)
        message = workflow.message_ids.filtered(lambda message: "Version 2" in message.body)
        self.assertEqual(len(message), 1)
        self.assertEqual(message.author_id, self.admin.partner_id)
        self.assertIn("triggers[0].conditions.and[0].value", message.body)
        self.assertIn("50000 → 75000", message.body)
        self.assertIn("triggers[0].conditions.and[0].value: 50000 → 75000", self._versions(workflow)[0].changes)

    def test_versions_are_read_only_for_everyone(self):
        version = self._create().version_ids
        for user in (self.user, self.manager, self.admin):
            self.assertEqual(version.with_user(user).read(["version"])[0]["version"], 1)
            with self.assertRaises(AccessError):
                version.with_user(user).write({"version": 7})
            with self.assertRaises(AccessError):
                version.with_user(user).unlink()
            with self.assertRaises(AccessError):
                self.env["workflow.version"].with_user(user).create({"workflow_id": version.workflow_id.id,
                                                                     "version": 9})
        with self.assertRaises(UserError):
            version.sudo().write({"version": 7})
        with self.assertRaises(UserError):
            version.sudo().unlink()

    def test_deleting_the_workflow_deletes_its_versions_and_users_cannot_restore(self):
        workflow = self._create()
        self._set_threshold(workflow, 1)
        with self.assertRaises(AccessError):
            self._versions(workflow)[-1].with_user(self.user).action_restore()
        version_ids = self._versions(workflow).ids
        workflow.unlink()
        self.assertFalse(self.env["workflow.version"].browse(version_ids).exists())

    def test_runs_point_to_the_version_they_ran_with(self):
        workflow = self._create()
        first_run = workflow.execute("crm.lead", self.lead.id)
        self._set_threshold(workflow, 60000)
        second_run = workflow.execute("crm.lead", self.lead.id)
        self.assertEqual(first_run.version_id.version, 1)
        self.assertEqual(second_run.version_id.version, 2)
