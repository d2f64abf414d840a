"""Nobody gains rights through a workflow: run-as, the models workflows act on, fields that give
rights, payloads that would stand for the record, and who reads which runs and versions."""

from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import new_test_user, tagged

from .common import WorkflowCase
from .rest_common import SALES_GROUPS, RestApiCase, example_2

NOTE = {"name": "Note", "action_type": "add_note", "config": {"note": "Seen."}}


def update_field(field, value, **config):
    return {
        "name": f"Set {field}", "action_type": "update_field",
        "config": {"field": field, "value": value, **config},
    }


@tagged("post_install", "-at_install")
class TestRunAs(WorkflowCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.admins_workflow = cls.Workflow.with_user(cls.admin).create({
            "name": "The admin's", "action_ids": [Command.create(NOTE)],
            "trigger_ids": [Command.create({"event_type": "lead.created"})],
        })
        cls.managers_workflow = cls.Workflow.with_user(cls.manager).create({
            "name": "The manager's", "action_ids": [Command.create(NOTE)],
        })

    def assert_refused_naming_run_as(self, error, user):
        self.assertIn(f"runs as {user.name}", str(error.exception))

    def test_a_workflow_always_runs_as_a_named_user(self):
        self.assertEqual(self.managers_workflow.run_as_user_id, self.manager)
        self.assertTrue(self.Workflow._fields["run_as_user_id"].required)
        with self.assertRaisesRegex(ValidationError, "run_as_user_id"):
            self.admins_workflow.with_user(self.admin).write({"run_as_user_id": False})
        with self.assertRaisesRegex(ValidationError, "run_as_user_id"):
            self.Workflow.with_user(self.admin).create({"name": "Nobody's", "run_as_user_id": False})

    def test_a_manager_cannot_change_a_workflow_that_runs_as_someone_else(self):
        workflow = self.admins_workflow.with_user(self.manager)
        changes = {
            "rename the workflow": lambda: workflow.write({"name": "Mine now"}),
            "make it run as himself": lambda: workflow.write({"run_as_user_id": self.manager.id}),
            "add an action": lambda: self.env["workflow.action"].with_user(self.manager).create(
                dict(NOTE, workflow_id=workflow.id)),
            "change an action": lambda: workflow.action_ids.write({"config": {"note": "Changed."}}),
            "delete an action": lambda: workflow.action_ids.unlink(),
            "change a trigger": lambda: workflow.trigger_ids.write({"conditions": {"field": "id", "operator": "gt",
                                                                                   "value": 0}}),
            "delete the workflow": lambda: workflow.unlink(),
            "restore a version": lambda: workflow.version_ids[-1:].action_restore(),
        }
        for change, do in changes.items():
            with self.subTest(change), self.assertRaises(AccessError) as error:
                do()
            self.assert_refused_naming_run_as(error, self.admin)
        self.assertEqual(self.admins_workflow.name, "The admin's")
        self.assertEqual(self.admins_workflow.action_ids.config, {"note": "Seen."})

    def test_the_run_as_user_in_person_and_an_administrator_may_change_it(self):
        other_manager = new_test_user(
            self.env, "wf_manager_2", groups=f"{SALES_GROUPS},workflow_engine.group_workflow_manager",
        )
        self.admins_workflow.with_user(self.admin).run_as_user_id = other_manager
        self.admins_workflow.with_user(other_manager).action_ids.config = {"note": "By the run-as user."}
        self.managers_workflow.with_user(self.admin).action_ids.config = {"note": "By an administrator."}
        self.assertEqual(self.admins_workflow.action_ids.config, {"note": "By the run-as user."})
        self.assertEqual(self.managers_workflow.action_ids.config, {"note": "By an administrator."})
        with self.assertRaises(AccessError) as error:
            self.admins_workflow.with_user(self.manager).write({"name": "Not his"})
        self.assert_refused_naming_run_as(error, other_manager)

    def test_moving_an_action_to_another_workflow_is_checked_at_save(self):
        action = self.managers_workflow.action_ids.with_user(self.manager)
        with self.assertRaises(AccessError) as error:
            action.workflow_id = self.admins_workflow
        self.assert_refused_naming_run_as(error, self.admin)
        self.assertEqual(action.workflow_id, self.managers_workflow)

    def test_a_managers_copy_of_an_admins_workflow_runs_as_the_manager(self):
        copy = self.admins_workflow.with_user(self.manager).copy()
        self.assertEqual(copy.run_as_user_id, self.manager)


@tagged("post_install", "-at_install")
class TestWorkflowModels(WorkflowCase):
    """execute, dry_run and emit_event act only on the trigger matrix's models."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.workflow = cls.Workflow.with_user(cls.manager).create({
            "name": "Make me an administrator",
            "action_ids": [Command.create(update_field("groups_id", "Settings"))],
        })

    def test_another_model_is_refused_naming_res_model(self):
        workflow = self.workflow.with_user(self.manager)
        calls = {
            "execute": lambda: workflow.execute("res.users", self.manager.id),
            "dry_run": lambda: workflow.dry_run("res.users", self.manager.id),
            "emit_event": lambda: workflow.emit_event(
                "promote", {}, records={"res_model": "res.users", "res_ids": [self.manager.id]}),
            "emit_event on a recordset": lambda: workflow.emit_event("promote", {}, records=self.manager),
        }
        for call, do in calls.items():
            with self.subTest(call), self.assertRaisesRegex(UserError, "res_model: workflows act only on"):
                do()
        self.assertFalse(self.manager.has_group("base.group_system"))
        self.assertFalse(self.env["workflow.run"].search([("workflow_id", "=", self.workflow.id)]))


@tagged("post_install", "-at_install")
class TestRightsFields(WorkflowCase):
    """update_field never writes a field that gives rights or identity unless the run-as
    user is a Workflow Administrator."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.employee = new_test_user(cls.env, "wf_employee", groups="base.group_user", email="employee@example.com")
        cls.partner = cls.employee.partner_id
        cls.partner_name = cls.partner.name
        cls.customer = cls.env["res.partner"].create({"name": "Customer", "email": "customer@example.com"})

    def run_update(self, user, record, field, value):
        workflow = self.Workflow.with_user(user).create({
            "name": f"Write {field}", "action_ids": [Command.create(update_field(field, value))],
        })
        return workflow.with_user(user).execute(record._name, record.id)

    def test_a_managers_workflow_cannot_rewrite_an_internal_users_identity(self):
        lead = self.env["crm.lead"].create({"name": "Employee's lead", "partner_id": self.partner.id})
        for record, field, value in (
            (self.partner, "email", "attacker@example.com"),
            (self.partner, "name", "Someone Else"),
            (self.partner, "company_id", False),
            (lead, "email_from", "attacker@example.com"),
        ):
            with self.subTest(field=field, model=record._name):
                run = self.run_update(self.manager, record, field, value)
                self.assertEqual(run.state, "failed")
                self.assertIn(f"field '{field}' of {record._name} gives rights or identity", run.error)
                self.assertEqual(run.action_run_ids.error_code, "action_error")
        self.assertEqual(self.partner.email, "employee@example.com")
        self.assertEqual(self.partner.name, self.partner_name)

    def test_a_managers_workflow_still_writes_a_customers_email(self):
        run = self.run_update(self.manager, self.customer, "email", "new@example.com")
        self.assertEqual(run.state, "success", run.error)
        self.assertEqual(self.customer.email, "new@example.com")

    def test_an_administrators_workflow_may_write_an_identity(self):
        # Odoo's own rule stands beside ours: a user's partner is written by those who manage users.
        self.admin.groups_id = [Command.link(self.env.ref("base.group_erp_manager").id)]
        run = self.run_update(self.admin, self.partner, "email", "renamed@example.com")
        self.assertEqual(run.state, "success", run.error)
        self.assertEqual(self.partner.email, "renamed@example.com")


@tagged("post_install", "-at_install")
class TestPayloadNames(WorkflowCase):
    """A payload never stands for the record, the user, the company or the dates."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.workflow = cls.Workflow.with_user(cls.manager).create({
            "name": "Note on the lead",
            "action_ids": [Command.create({
                "name": "Note", "action_type": "add_note",
                "config": {"entity_type": "lead", "entity_id": "{{lead.id}}", "note": "Seen by {{user.login}}."},
            })],
        })

    def test_a_payload_naming_the_record_is_refused_with_its_path(self):
        hidden = self.env["crm.lead"].create({"name": "Hidden"})
        for key, value in (("lead", {"id": hidden.id}), ("record", {"id": hidden.id}), ("user", {"login": "x"}),
                           ("today", "2000-01-01")):
            with self.subTest(key), self.assertRaisesRegex(UserError, f"payload.{key}: "):
                self.workflow.with_user(self.user).execute("crm.lead", self.lead.id, {key: value})
        with self.assertRaisesRegex(UserError, "payload.deal: "):
            self.workflow.with_user(self.user).emit_event("custom", {"deal": {"id": hidden.id}})
        self.assertFalse(hidden.message_ids.filtered(lambda message: "Seen by" in (message.body or "")))

    def test_event_keys_never_replace_the_contexts_names(self):
        from ..models.record_context import build_context

        context = build_context(self.lead, {"lead": {"id": 0}, "user": "nobody", "new_stage": "Won"})
        self.assertEqual(context["lead"]["id"], self.lead.id)
        self.assertEqual(context["user"]["id"], self.env.uid)
        self.assertEqual(context["new_stage"], "Won")


@tagged("post_install", "-at_install")
class TestRunVisibility(WorkflowCase):
    """A run follows the rights on its record, as mail.message follows its document."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.own_leads_user = new_test_user(
            cls.env, "wf_own_leads", groups="base.group_user,sales_team.group_sale_salesman,"
            "workflow_engine.group_workflow_user",
        )
        workflow = cls.Workflow.with_user(cls.manager).create({
            "name": "Note", "action_ids": [Command.create(dict(NOTE, config={"note": "Secret plan."}))],
        })
        cls.own_lead = cls.env["crm.lead"].create({"name": "His", "user_id": cls.own_leads_user.id})
        cls.others_lead = cls.env["crm.lead"].create({"name": "Not his", "user_id": cls.manager.id})
        cls.own_run = workflow.with_user(cls.manager).execute("crm.lead", cls.own_lead.id)
        cls.others_run = workflow.with_user(cls.manager).execute("crm.lead", cls.others_lead.id)

    def test_a_user_reads_only_the_runs_of_records_he_may_read(self):
        runs = self.env["workflow.run"].with_user(self.own_leads_user)
        found = runs.search([("id", "in", (self.own_run | self.others_run).ids)])
        self.assertEqual(found.ids, self.own_run.ids)
        self.assertEqual(runs.search_count([("id", "=", self.others_run.id)]), 0)
        with self.assertRaises(AccessError):
            runs.browse(self.others_run.id).read(["payload", "explanation"])
        self.assertTrue(runs.browse(self.own_run.id).read(["payload"]))

    def test_action_runs_follow_their_run(self):
        action_runs = self.env["workflow.action.run"].with_user(self.own_leads_user)
        found = action_runs.search([("run_id", "in", (self.own_run | self.others_run).ids)])
        self.assertEqual(found, self.own_run.action_run_ids.with_user(self.own_leads_user))
        with self.assertRaises(AccessError):
            action_runs.browse(self.others_run.action_run_ids.ids).read(["input", "output"])

    def test_a_user_who_reads_every_lead_reads_every_run(self):
        runs = self.own_run | self.others_run
        self.assertEqual(self.env["workflow.run"].with_user(self.user).search([("id", "in", runs.ids)]), runs)


@tagged("post_install", "-at_install")
class TestVersionCompanies(WorkflowCase):
    def test_a_manager_of_another_company_reads_no_version(self):
        other_company = self.env["res.company"].create({"name": "Elsewhere"})
        outsider = new_test_user(
            self.env, "wf_elsewhere", groups=f"{SALES_GROUPS},workflow_engine.group_workflow_manager",
            company_id=other_company.id, company_ids=[Command.set(other_company.ids)],
        )
        workflow = self.Workflow.with_user(self.manager).create({"name": "Ours", "company_id": self.env.company.id})
        versions = self.env["workflow.version"].with_user(outsider)
        self.assertFalse(versions.search([("workflow_id", "=", workflow.id)]))
        with self.assertRaises(AccessError):
            versions.browse(workflow.version_ids.ids).read(["snapshot"])
        ours = self.env["workflow.version"].with_user(self.manager)
        self.assertTrue(ours.search([("workflow_id", "=", workflow.id)]))


@tagged("post_install", "-at_install")
class TestRunAsOverRest(RestApiCase):
    def test_a_manager_cannot_take_over_an_admins_workflow(self):
        workflow = self.create_workflow(user=self.admin)
        path = f"/api/v1/workflows/{workflow.id}/"
        for document in (example_2(run_as_user_id=None), example_2(name="Renamed")):
            error = self.error_of(self.api("PUT", path, document, user=self.manager), 403, "forbidden")
            self.assertIn(f"runs as {self.admin.name}", error["message"])
        self.error_of(self.api("DELETE", path, user=self.manager), 403, "forbidden")
        self.assertEqual(workflow.run_as_user_id, self.admin)
        self.assertEqual(workflow.name, example_2()["name"])

    def test_a_null_run_as_user_is_the_saving_user(self):
        workflow = self.create_workflow(user=self.manager)
        response = self.api("PUT", f"/api/v1/workflows/{workflow.id}/", example_2(run_as_user_id=None),
                            user=self.manager)
        self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual(response.json()["run_as_user_id"], self.manager.id)

    def test_execute_on_another_model_is_refused_with_the_path_res_model(self):
        workflow = self.create_workflow(user=self.manager)
        response = self.api("POST", f"/api/v1/workflows/{workflow.id}/execute/",
                            {"res_model": "res.users", "res_id": self.manager.id}, user=self.manager)
        error = self.error_of(response, 422, "invalid_request")
        self.assertEqual([detail["path"] for detail in error["details"]], ["res_model"])

    def test_a_payload_naming_the_lead_is_refused_with_its_path(self):
        workflow = self.create_workflow(user=self.manager)
        response = self.api("POST", f"/api/v1/workflows/{workflow.id}/execute/",
                            {"res_model": "crm.lead", "res_id": self.lead.id, "payload": {"lead": {"id": 1}}},
                            user=self.user)
        error = self.error_of(response, 422, "invalid_request")
        self.assertEqual([detail["path"] for detail in error["details"]], ["payload.lead"])
        response = self.api("POST", "/api/v1/events/", {"name": "x", "payload": {"record": {"id": 1}}}, user=self.user)
        error = self.error_of(response, 422, "invalid_request")
        self.assertEqual([detail["path"] for detail in error["details"]], ["payload.record"])

    def test_a_user_reads_over_rest_only_the_runs_of_records_he_may_read(self):
        own_leads_user = new_test_user(
            self.env, "rest_own_leads", groups="base.group_user,sales_team.group_sale_salesman,"
            "workflow_engine.group_workflow_user",
        )
        key = self.env["res.users.apikeys"].with_user(own_leads_user).sudo()._generate(None, "own leads", None)
        workflow = self.create_workflow(user=self.manager)
        own_lead = self.env["crm.lead"].create({"name": "His", "user_id": own_leads_user.id})
        workflow = workflow.with_user(self.manager)
        own_run = workflow.execute("crm.lead", own_lead.id, {"new_stage": "Won"})
        others_run = workflow.execute("crm.lead", self.lead.id, {"new_stage": "Won"})
        self.error_of(self.api("GET", f"/api/v1/workflow-runs/{others_run.id}/", key=key), 404, "not_found")
        self.assertEqual(self.api("GET", f"/api/v1/workflow-runs/{own_run.id}/", key=key).status_code, 200)
        listed = self.api("GET", f"/api/v1/workflows/{workflow.id}/runs/", key=key).json()
        self.assertEqual([run["id"] for run in listed["items"]], [own_run.id])
