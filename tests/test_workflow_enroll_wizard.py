from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, tagged

from .common import WorkflowCase, example_1_values


@tagged("post_install", "-at_install")
class TestWorkflowEnrollWizard(WorkflowCase):
    """Enrolling existing records from the workflow's form and from the lists of leads and contacts."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.workflow = cls.Workflow.create(example_1_values(execution_mode="queued"))
        Lead = cls.env["crm.lead"]
        cls.lead.name = "Enroll: Acme"
        cls.globex = Lead.create({
            "name": "Enroll: Globex", "type": "lead", "expected_revenue": 80000,
            "email_from": "cto@globex.example.com",
        })
        cls.small = Lead.create({
            "name": "Enroll: small", "type": "lead", "expected_revenue": 10, "email_from": "a@small.example.com",
        })
        cls.gmail = Lead.create({
            "name": "Enroll: gmail", "type": "lead", "expected_revenue": 90000, "email_from": "someone@gmail.com",
        })
        cls.opportunity = Lead.create({
            "name": "Enroll: opportunity", "type": "opportunity", "expected_revenue": 90000,
            "email_from": "buyer@opportunity.example.com",
        })
        cls.enroll_domain = "[('name', 'ilike', 'Enroll: ')]"

    def _wizard(self, user=None, **context):
        return Form(self.env["workflow.enroll.wizard"].with_user(user or self.manager).with_context(**context))

    def _list_wizard(self, model, records, user=None):
        return self._wizard(user, active_model=model, active_ids=records.ids)

    def test_preview_counts_the_leads_the_conditions_accept_and_says_why_not_the_others(self):
        wizard = self._wizard(default_workflow_id=self.workflow.id)
        self.assertEqual((wizard.entity_type, wizard.res_model), ("lead", "crm.lead"))
        self.assertFalse(wizard.several_entities)
        runs = self.workflow.run_ids
        wizard.domain = self.enroll_domain
        preview = wizard.preview
        self.assertEqual((preview["count"], preview["rejected_count"]), (2, 2))
        self.assertEqual(
            [(record["display_name"], record["accepted"]) for record in preview["records"]],
            [("Enroll: Acme", True), ("Enroll: Globex", True)],
        )
        rejected = {record["display_name"]: record for record in preview["rejected"]}
        self.assertEqual(set(rejected), {"Enroll: small", "Enroll: gmail"})
        self.assertFalse(rejected["Enroll: small"]["accepted"])
        self.assertIn("expected_revenue gte 50000 → actual 10.0", rejected["Enroll: small"]["explanation"])
        self.assertIn('actual "someone@gmail.com" (false)', rejected["Enroll: gmail"]["explanation"])
        self.assertNotIn("left_out_count", preview)
        # A preview starts nothing.
        self.assertFalse(self.env["workflow.enrollment"].search([("workflow_id", "=", self.workflow.id)]))
        self.workflow.invalidate_recordset(["run_ids"])
        self.assertEqual(self.workflow.run_ids, runs)

    def test_enroll_creates_the_enrollment_and_opens_it(self):
        wizard = self._wizard(default_workflow_id=self.workflow.id)
        wizard.domain = self.enroll_domain
        action = wizard.save().action_enroll()
        enrollment = self.env["workflow.enrollment"].browse(action["res_id"])
        self.assertEqual((action["res_model"], action["view_mode"]), ("workflow.enrollment", "form"))
        self.assertEqual(enrollment.workflow_id, self.workflow)
        self.assertEqual(enrollment.user_id, self.manager)
        self.assertEqual((enrollment.entity_type, enrollment.total, enrollment.queued), ("lead", 2, 2))
        self.assertEqual(
            sorted(enrollment.run_ids.mapped("res_id")), sorted((self.lead | self.globex).ids),
        )
        self.assertEqual(set(enrollment.run_ids.mapped("state")), {"pending"})

    def test_a_domain_that_is_no_domain_is_refused_with_its_text_and_nothing_is_enrolled(self):
        wizard = self._wizard(default_workflow_id=self.workflow.id)
        wizard.domain = "[('name', 'ilike', uid)]"
        self.assertIn("domain: [('name', 'ilike', uid)] is not a domain of literal values", wizard.preview["error"])
        wizard.domain = "[('nope', '=', 1)]"
        self.assertEqual(wizard.preview, {"error": "domain[0]: unknown field 'nope' on crm.lead."})
        with self.assertRaises(UserError) as refused:
            wizard.save().action_enroll()
        self.assertEqual(refused.exception.args[0], "domain[0]: unknown field 'nope' on crm.lead.")
        self.assertFalse(self.env["workflow.enrollment"].search([("workflow_id", "=", self.workflow.id)]))

    def test_what_no_list_sends_is_refused_naming_the_field(self):
        Wizard = self.env["workflow.enroll.wizard"].with_user(self.manager)
        for values, message in (
            ({"selected_model": "res.users", "selected_ids": [1]},
             "selected_model: workflows act only on crm.lead, res.partner, not on 'res.users'"),
            ({"selected_model": "crm.lead", "selected_ids": [2**40]}, "res_ids[0]: 1099511627776 is no record id."),
            ({"selected_model": "crm.lead", "selected_ids": "1,2"}, "res_ids: a list of record ids, not str."),
        ):
            with self.assertRaises(UserError) as refused:
                Wizard.create(dict(values, workflow_id=self.workflow.id, entity_type="lead")).action_enroll()
            self.assertEqual(refused.exception.args[0], message)
        wizard = Wizard.create({"workflow_id": self.workflow.id, "domain": "[" * 500 + "]" * 500})
        self.assertIn("is not a domain of literal values", wizard.preview["error"])
        wizard.domain = "'stage_id'"
        self.assertEqual(wizard.preview, {"error": "domain: a domain is a list of terms, not str."})
        self.assertFalse(self.env["workflow.enrollment"].search([("workflow_id", "=", self.workflow.id)]))

    def test_a_workflow_of_several_kinds_of_records_asks_which(self):
        self.workflow.trigger_ids = [Command.create({"event_type": "deal.won"})]
        wizard = self._wizard(default_workflow_id=self.workflow.id)
        self.assertTrue(wizard.several_entities)
        self.assertEqual(wizard.entity_type, "lead")
        wizard.domain = self.enroll_domain
        wizard.entity_type = "deal"
        self.assertEqual(wizard.res_model, "crm.lead")
        # The deal.won trigger has no condition: every opportunity is accepted.
        self.assertEqual([record["id"] for record in wizard.preview["records"]], self.opportunity.ids)
        wizard.entity_type = "contact"
        self.assertIn("no active trigger of the workflow", wizard.preview["error"])

    def test_run_a_workflow_on_the_leads_selected_in_the_list(self):
        contacts_only = self.Workflow.create({
            "name": "Welcome contacts", "trigger_ids": [Command.create({"event_type": "contact.created"})],
        })
        archived = self.Workflow.create(example_1_values(name="Archived", active=False))
        other_company = self.env["res.company"].create({"name": "Other company"})
        elsewhere = self.Workflow.create(example_1_values(name="Elsewhere", company_id=other_company.id))
        selected = self.lead | self.small | self.opportunity
        wizard = self._list_wizard("crm.lead", selected)
        self.assertIn(self.workflow, wizard.allowed_workflow_ids)
        for workflow in contacts_only | archived | elsewhere:
            self.assertNotIn(workflow, wizard.allowed_workflow_ids)
        wizard.workflow_id = self.workflow
        self.assertEqual(wizard.entity_type, "lead")
        preview = wizard.preview
        self.assertEqual((preview["count"], preview["rejected_count"], preview["left_out_count"]), (1, 1, 1))
        self.assertEqual([record["id"] for record in preview["records"]], self.lead.ids)
        self.assertEqual([record["id"] for record in preview["rejected"]], self.small.ids)
        action = wizard.save().action_enroll()
        enrollment = self.env["workflow.enrollment"].browse(action["res_id"])
        self.assertEqual(enrollment.run_ids.mapped("res_id"), self.lead.ids)

    def test_a_list_of_opportunities_enrolls_them_as_deals(self):
        self.workflow.trigger_ids = [Command.create({"event_type": "deal.won"})]
        wizard = self._list_wizard("crm.lead", self.opportunity)
        wizard.workflow_id = self.workflow
        self.assertEqual(wizard.entity_type, "deal")
        self.assertEqual(wizard.preview["count"], 1)

    def test_run_a_workflow_on_the_contacts_selected_in_the_list(self):
        welcome = self.Workflow.create({
            "name": "Welcome contacts", "execution_mode": "queued",
            "trigger_ids": [Command.create({
                "event_type": "contact.created",
                "conditions": {"field": "email", "operator": "endswith", "value": ".example.com"},
            })],
            "action_ids": [Command.create({"name": "Note", "action_type": "add_note", "config": {"note": "Hi"}})],
        })
        Partner = self.env["res.partner"]
        ann = Partner.create({"name": "Ann", "email": "ann@acme.example.com"})
        bob = Partner.create({"name": "Bob", "email": "bob@gmail.com"})
        wizard = self._list_wizard("res.partner", ann | bob)
        self.assertIn(welcome, wizard.allowed_workflow_ids)
        self.assertNotIn(self.workflow, wizard.allowed_workflow_ids)
        wizard.workflow_id = welcome
        self.assertEqual(wizard.entity_type, "contact")
        preview = wizard.preview
        self.assertEqual((preview["count"], preview["rejected_count"]), (1, 1))
        self.assertEqual(preview["rejected"][0]["display_name"], "Bob")
        self.assertIn('actual "bob@gmail.com" (false)', preview["rejected"][0]["explanation"])
        enrollment = self.env["workflow.enrollment"].browse(wizard.save().action_enroll()["res_id"])
        self.assertEqual((enrollment.res_model, enrollment.run_ids.mapped("res_id")), ("res.partner", ann.ids))

    def test_a_workflow_user_cannot_enroll(self):
        with self.assertRaises(AccessError):
            self.env["workflow.enroll.wizard"].with_user(self.user).create({"workflow_id": self.workflow.id})
        with self.assertRaises(AccessError):
            self.workflow.with_user(self.user).enroll(res_ids=self.lead.ids, dry_run=True)
        self.assertFalse(self.env["workflow.enrollment"].search([("workflow_id", "=", self.workflow.id)]))

    def test_run_a_workflow_is_in_the_action_menu_of_the_lists_for_managers_only(self):
        manager_group = self.env.ref("workflow_engine.group_workflow_manager")
        for model, xml_id in (
            ("crm.lead", "workflow_engine.workflow_enroll_wizard_action_crm_lead"),
            ("res.partner", "workflow_engine.workflow_enroll_wizard_action_res_partner"),
        ):
            action = self.env.ref(xml_id)
            self.assertEqual(
                (action.binding_model_id.model, action.binding_view_types, action.res_model, action.groups_id),
                (model, "list", "workflow.enroll.wizard", manager_group),
            )
            for user, shown in ((self.manager, True), (self.user, False)):
                toolbar = self.env[model].with_user(user).get_views([(False, "list")], {"toolbar": True})
                names = [item["name"] for item in toolbar["views"]["list"]["toolbar"].get("action", [])]
                self.assertEqual("Run a Workflow" in names, shown, (model, user.login))
        # The run by hand on one record stays for Workflow Users.
        self.assertIn(
            'name="action_execute"',
            self.Workflow.with_user(self.user).get_views([(False, "form")])["views"]["form"]["arch"],
        )

    def test_the_workflow_form_offers_the_enrollment_to_managers(self):
        def arch(user):
            return self.Workflow.with_user(user).get_views([(False, "form")])["views"]["form"]["arch"]

        self.assertIn('string="Enroll Existing Records"', arch(self.manager))
        self.assertNotIn("Enroll Existing Records", arch(self.user))
        enrollment_form = self.env["workflow.enrollment"].with_user(self.manager).get_views([(False, "form")])
        form_arch = enrollment_form["views"]["form"]["arch"]
        for part in ('widget="workflow_enrollment_progress"', 'name="action_cancel"', 'name="action_view_runs"'):
            self.assertIn(part, form_arch)
        menu = self.env.ref("workflow_engine.workflow_enrollment_menu")
        self.assertEqual(menu.groups_id, self.env.ref("workflow_engine.group_workflow_manager"))
