import base64
import json

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, tagged

from odoo.addons.workflow_engine.engine import actions as action_schemas

from .common import EXAMPLE_1_CONDITIONS, WorkflowCase, example_1_values


@tagged("post_install", "-at_install")
class TestWorkflowEditors(WorkflowCase):
    """The server side of the condition builder and the action editor."""

    def test_condition_context_of_lead_and_contact_events(self):
        lead_info = self.Workflow.with_user(self.user).get_condition_builder_info("deal.stage_changed")
        self.assertEqual(lead_info["res_model"], "crm.lead")
        self.assertEqual(lead_info["entity_names"], ["lead", "deal", "record"])
        self.assertEqual(lead_info["aliases"]["amount"], "expected_revenue")
        self.assertEqual(lead_info["aliases"]["created_at"], "create_date")
        self.assertEqual(lead_info["named_by_text"], ["stage"])
        self.assertEqual(lead_info["event_keys"], ["deal_id", "old_stage", "new_stage"])
        self.assertEqual(lead_info["roots"], {"user": "res.users", "company": "res.company"})
        contact_info = self.Workflow.get_condition_builder_info("account.created")
        self.assertEqual(contact_info["res_model"], "res.partner")
        self.assertEqual(contact_info["entity_names"], ["contact", "account", "record"])
        self.assertEqual(contact_info["named_by_text"], [])
        self.assertEqual(self.Workflow.get_condition_builder_info("custom")["event_keys"], [])

    def test_conditions_are_refused_with_the_message_saving_gives(self):
        check = self.Workflow.with_user(self.user).check_conditions
        self.assertFalse(check(EXAMPLE_1_CONDITIONS))
        self.assertFalse(check(json.dumps(EXAMPLE_1_CONDITIONS)))
        self.assertFalse(check(""))
        bad = {"and": [
            {"field": "amount", "operator": "gte", "value": 1},
            {"field": "x", "operator": "equals", "value": 1},
        ]}
        message = check(bad)
        self.assertEqual(message, "Invalid conditions: and[1]: unknown operator 'equals'")
        with self.assertRaises(ValidationError) as saving:
            self.Workflow.create(example_1_values(
                trigger_ids=[(0, 0, {"event_type": "lead.created", "conditions": bad})]
            ))
        self.assertEqual(saving.exception.args[0], message)
        self.assertEqual(check('{"field": "amount",'), "Invalid conditions: conditions: invalid JSON at line 1 "
                                                        "column 20: Expecting property name enclosed in double quotes")

    def test_action_configs_are_refused_with_the_message_saving_gives(self):
        check = self.Workflow.with_user(self.user).check_action_config
        self.assertFalse(check("add_note", {"note": "Hello {{lead.name}}"}, "Note"))
        message = check("send_email", {"to": "{{lead.email_from}}"}, "Welcome")
        self.assertEqual(message, "Invalid configuration of action 'Welcome': config: missing required key 'subject'")
        self.assertIn("unknown action type 'fax'", check("fax", {}, "Fax"))
        self.assertIn("invalid JSON", check("add_note", "{", "Note"))

    def test_action_schemas_describe_every_key_of_the_engine(self):
        schemas = self.Workflow.with_user(self.user).get_action_schemas()
        self.assertEqual(set(schemas), set(action_schemas.ACTION_TYPES))
        self.assertEqual(list(schemas["send_email"]["required"]), ["to", "subject"])
        self.assertEqual(schemas["send_email"]["one_of"], ["template", "body"])
        self.assertEqual(
            schemas["add_note"]["optional"]["visibility"],
            {"kind": "str", "choices": ["internal", "public"], "default": "internal"},
        )
        self.assertTrue(json.dumps(schemas))


@tagged("post_install", "-at_install")
class TestWorkflowBackendViews(WorkflowCase):
    def test_lead_and_partner_forms_have_the_runs_smart_button(self):
        workflow = self.Workflow.create(example_1_values())
        workflow.execute("crm.lead", self.lead.id)
        for model in ("crm.lead", "res.partner"):
            arch = self.env[model].with_user(self.user).get_views([(False, "form")])["views"]["form"]["arch"]
            self.assertIn('name="action_view_workflow_runs"', arch, model)
        action = self.lead.with_user(self.user).action_view_workflow_runs()
        runs = self.env["workflow.run"].with_user(self.user).search(action["domain"])
        self.assertEqual(runs, workflow.run_ids)
        self.assertEqual(self.lead.with_user(self.user).workflow_run_count, 1)

    def test_users_outside_the_workflow_groups_see_no_smart_button(self):
        outsider = self.new_outsider()
        arch = self.env["crm.lead"].with_user(outsider).get_views([(False, "form")])["views"]["form"]["arch"]
        self.assertNotIn("action_view_workflow_runs", arch)

    def test_workflow_form_uses_the_editors(self):
        arch = self.Workflow.with_user(self.manager).get_views([(False, "form")])["views"]["form"]["arch"]
        for widget in ("workflow_condition_builder", "workflow_action_config", "workflow_condition_summary",
                       "workflow_action_step"):
            self.assertIn(f'widget="{widget}"', arch)
        for view_type in ("graph", "pivot", "search"):
            self.env["workflow.run"].with_user(self.user).get_views([(False, view_type)])

    def _action_run_form(self, user):
        return self.env["workflow.action.run"].with_user(user).get_views([(False, "form")])["views"]["form"]["arch"]

    def test_traceback_of_an_action_run_is_for_administrators_only(self):
        self.assertIn('name="error"', self._action_run_form(self.user))
        self.assertNotIn('name="traceback"', self._action_run_form(self.manager))
        self.assertIn('name="traceback"', self._action_run_form(self.admin))

    def test_a_duplicated_workflow_keeps_its_triggers_and_actions_and_waits_archived(self):
        workflow = self.Workflow.with_user(self.manager).create(example_1_values())
        workflow.execute("crm.lead", self.lead.id)
        duplicate = workflow.copy()
        self.assertEqual(duplicate.name, "Auto-qualify high-value leads (copy)")
        self.assertFalse(duplicate.active)
        self.assertEqual(duplicate.trigger_ids.conditions, workflow.trigger_ids.conditions)
        self.assertEqual(duplicate.action_ids.mapped("config"), workflow.action_ids.mapped("config"))
        self.assertFalse(duplicate.run_ids)
        self.assertEqual(workflow.copy({"name": "Twin", "active": True}).mapped("name"), ["Twin"])
        workflow.action_archive()
        self.assertFalse(workflow.active)


@tagged("post_install", "-at_install")
class TestWorkflowTransfer(WorkflowCase):
    """Exporting and importing workflows as the REST API's definition documents."""

    def _export(self, workflows):
        wizard = self.env["workflow.export.wizard"].with_user(self.manager).with_context(
            active_model="workflow.workflow", active_ids=workflows.ids
        ).create({})
        return wizard

    def _import(self, **values):
        wizard = self.env["workflow.import.wizard"].with_user(self.manager).create(values)
        return wizard.action_import()

    def test_export_is_the_rest_document_and_imports_back_as_the_same_workflow(self):
        workflow = self.Workflow.with_user(self.manager).create(example_1_values())
        wizard = self._export(workflow)
        document = json.loads(wizard.document_text)
        self.assertEqual(document, workflow._to_document())
        self.assertEqual(wizard.document_name, "auto-qualify-high-value-leads.json")
        self.assertEqual(base64.b64decode(wizard.document_file).decode(), wizard.document_text)
        download = wizard.action_download()
        self.assertEqual(download["type"], "ir.actions.act_url")
        self.assertIn(f"/web/content/workflow.export.wizard/{wizard.id}/document_file/", download["url"])

        action = self._import(document_file=wizard.document_file, document_name=wizard.document_name)
        imported = self.Workflow.browse(action["res_id"])
        self.assertNotEqual(imported, workflow)
        self.assertEqual(self._definition(imported._to_document()), self._definition(document))

    def _definition(self, document):
        """``document`` without the ids and counters that belong to one database."""
        items = {
            key: [{name: value for name, value in item.items() if name != "id"} for item in document[key]]
            for key in ("triggers", "actions")
        }
        kept = {key: value for key, value in document.items() if key not in ("id", "run_count", "failed_run_count")}
        return dict(kept, **items)

    def test_several_workflows_travel_as_a_list(self):
        workflows = self.Workflow.with_user(self.manager).create([
            example_1_values(name="One"), example_1_values(name="Two"),
        ])
        wizard = self._export(workflows)
        self.assertEqual(wizard.document_name, "workflows.json")
        action = self._import(document_text=wizard.document_text)
        imported = self.Workflow.search(action["domain"])
        self.assertEqual(sorted(imported.mapped("name")), ["One", "Two"])
        self.assertNotIn(imported, workflows)

    def test_import_refuses_what_is_not_a_definition(self):
        with self.assertRaisesRegex(UserError, "invalid JSON at line 1 column 2"):
            self._import(document_text="{oops")
        with self.assertRaisesRegex(UserError, "a JSON object, or a list of them"):
            self._import(document_text="[1, 2]")
        with self.assertRaisesRegex(UserError, "Choose a file"):
            self._import()
        document = {"name": "Bad", "triggers": [{"event_type": "lead.created", "conditions": {"and": []}}]}
        with self.assertRaisesRegex(ValidationError, r"triggers\[0\]\.conditions"):
            self._import(document_text=json.dumps(document))
        with self.assertRaisesRegex(ValidationError, "Workflow 2 of 2"):
            self._import(document_text=json.dumps([{"name": "Good"}, document]))

    def test_import_is_for_managers(self):
        menu = self.env.ref("workflow_engine.workflow_menu_import")
        self.assertEqual(menu.groups_id, self.env.ref("workflow_engine.group_workflow_manager"))
        with self.assertRaises(AccessError):
            self.env["workflow.import.wizard"].with_user(self.user).create({"document_text": "{}"})

    def test_form_of_the_import(self):
        form = Form(self.env["workflow.import.wizard"].with_user(self.manager))
        form.document_text = json.dumps({"name": "Pasted"})
        action = form.save().action_import()
        self.assertEqual(self.Workflow.browse(action["res_id"]).name, "Pasted")
