import xmlrpc.client

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import HttpCase, new_test_user, tagged

from odoo.addons.base.controllers.rpc import RPC_FAULT_CODE_ACCESS_ERROR

from ..exceptions import RunCapabilityError
from .common import WorkflowCase
from .rest_common import RestApiCase

ADMIN_GROUP_NAME = "Workflow Engine / Administrator"
EMAIL = {"subject": "Hello", "body": "Hello."}
CAPABILITIES = {
    # case: (action type, config, whether a Workflow Manager may save it)
    "add_note": ("add_note", {"note": "Seen."}, True),
    "update_field": ("update_field", {"field": "priority", "value": "2"}, True),
    "create_task": ("create_task", {"title": "Call back"}, True),
    "send_notification": ("send_notification", {"recipient": "{{user.email}}", "message": "Look"}, True),
    "send_email to the record's contact": ("send_email", dict(EMAIL, to="{{lead.email_from}}"), True),
    "send_email to the owner and a user": (
        "send_email", dict(EMAIL, to="{{deal.owner.email}}, cap_admin@example.com"), True,
    ),
    "send_email to an outside address": ("send_email", dict(EMAIL, to="someone@elsewhere.example.org"), False),
    "send_email copying an outside address": (
        "send_email", dict(EMAIL, to="{{lead.email_from}}", cc="someone@elsewhere.example.org"), False,
    ),
    "send_email to another placeholder": ("send_email", dict(EMAIL, to="{{lead.description}}"), False),
    "split": ("split", {"variants": {"A": 50, "B": 50}}, True),
    # The first workflow of this matrix, which a Manager may run (tests/test_workflow_sub.py
    # shows the refusal of a workflow the saving user may not run).
    "run_workflow": ("run_workflow", {"workflow": "Uses add_note"}, True),
    "call_webhook": ("call_webhook", {"url": "https://hooks.example.com/crm"}, False),
    "enqueue_export": (
        "enqueue_export", {"export_type": "csv", "entity_type": "lead", "email_to": "{{user.email}}"}, False,
    ),
}


def workflow_values(case):
    action_type, config, _manager_may = CAPABILITIES[case]
    return {
        "name": f"Uses {case}",
        "trigger_ids": [(0, 0, {"event_type": "lead.created"})],
        "action_ids": [(0, 0, {"name": case, "action_type": action_type, "config": config})],
    }


@tagged("post_install", "-at_install")
class TestCapabilities(WorkflowCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.admin.email = "cap_admin@example.com"

    def assert_refused_naming(self, error, case):
        message = str(error.exception)
        self.assertIn(f"'{case}'", message)
        self.assertIn(CAPABILITIES[case][0], message)
        self.assertIn(ADMIN_GROUP_NAME, message)

    def test_capability_matrix_through_the_orm(self):
        for case, (_action_type, _config, manager_may) in CAPABILITIES.items():
            with self.subTest(case=case):
                workflow = self.Workflow.with_user(self.admin).create(workflow_values(case))
                self.assertEqual(workflow.action_ids.name, case)
                if manager_may:
                    self.assertTrue(self.Workflow.with_user(self.manager).create(workflow_values(case)))
                else:
                    with self.assertRaises(AccessError) as error:
                        self.Workflow.with_user(self.manager).create(workflow_values(case))
                    self.assert_refused_naming(error, case)

    def test_a_manager_cannot_save_an_admins_workflow_that_uses_an_admin_action(self):
        # An administrator made it run as the manager, who may change it in person, but not
        # save it while it uses an action of the administrators.
        workflow = self.Workflow.with_user(self.admin).create(
            dict(workflow_values("call_webhook"), run_as_user_id=self.manager.id)
        )
        with self.assertRaises(AccessError) as error:
            workflow.with_user(self.manager).write({"priority": 50})
        self.assert_refused_naming(error, "call_webhook")
        with self.assertRaises(AccessError):
            workflow.with_user(self.manager)._write_document(dict(workflow._to_document(), priority=50))
        self.assertEqual(workflow.priority, 10)

    def test_a_manager_cannot_turn_an_action_into_an_admin_action(self):
        workflow = self.Workflow.with_user(self.manager).create(workflow_values("add_note"))
        action = workflow.action_ids.with_user(self.manager)
        with self.assertRaises(AccessError) as error:
            action.write({"action_type": "call_webhook", "config": {"url": "https://hooks.example.com/crm"}})
        self.assertIn(ADMIN_GROUP_NAME, str(error.exception))
        with self.assertRaises(AccessError):
            action.write({"action_type": "send_email", "config": dict(EMAIL, to="spy@elsewhere.example.org")})
        self.assertEqual(workflow.action_ids.action_type, "add_note")

    def test_the_run_start_check_refuses_a_run_as_user_who_lost_the_admin_group(self):
        workflow = self.Workflow.with_user(self.admin).create(workflow_values("call_webhook"))
        workflow._check_run_capabilities()
        self.admin.write({"groups_id": [Command.unlink(self.env.ref("workflow_engine.group_workflow_admin").id)]})
        self.assertTrue(self.admin.has_group("workflow_engine.group_workflow_manager"))
        with self.assertRaises(RunCapabilityError) as error:
            workflow._check_run_capabilities()
        self.assertIn("call_webhook", str(error.exception))
        self.assertIn(ADMIN_GROUP_NAME, str(error.exception))
        self.assertEqual(error.exception.code, "capability_lost")

    def test_a_run_whose_owner_lost_the_admin_group_fails_with_that_reason(self):
        workflow = self.Workflow.with_user(self.admin).create(
            dict(workflow_values("call_webhook"), execution_mode="immediate")
        )
        self.admin.write({"groups_id": [Command.unlink(self.env.ref("workflow_engine.group_workflow_admin").id)]})
        run = workflow.execute("crm.lead", self.lead.id)
        self.assertEqual(run.state, "failed")
        self.assertEqual(run.error_code, "capability_lost")
        self.assertIn(ADMIN_GROUP_NAME, run.error)
        self.assertFalse(run.action_run_ids, "no action ran with rights nobody holds any more")

    def test_the_run_start_check_refuses_an_archived_or_demoted_run_as_user(self):
        workflow = self.Workflow.with_user(self.manager).create(workflow_values("add_note"))
        workflow._check_run_capabilities()
        self.manager.active = False
        with self.assertRaisesRegex(RunCapabilityError, "archived"):
            workflow._check_run_capabilities()
        self.manager.active = True
        manager_groups = self.env.ref("workflow_engine.group_workflow_manager") | self.env.ref(
            "workflow_engine.group_workflow_user"
        )
        self.manager.write({"groups_id": [Command.unlink(group.id) for group in manager_groups]})
        with self.assertRaisesRegex(RunCapabilityError, "lost the group Workflow Engine / Manager"):
            workflow._check_run_capabilities()

    def test_a_managers_email_to_an_outside_address_fails_at_run_time(self):
        # Data installed by the superuser skips the save-time check: the run-time one remains.
        workflow = self.Workflow.sudo().create(dict(
            workflow_values("send_email to an outside address"), run_as_user_id=self.manager.id,
        ))
        run = workflow.with_user(self.manager).execute("crm.lead", self.lead.id)
        # The run-start check already sees the literal address; nothing is sent.
        self.assertEqual((run.state, run.error_code), ("failed", "capability_lost"))
        self.assertIn("'send_email to an outside address' (send_email) needs the group", run.error)
        self.assertIn(ADMIN_GROUP_NAME, run.error)
        self.assertFalse(run.action_run_ids)

    def test_a_managers_email_to_the_records_contact_is_sent(self):
        workflow = self.Workflow.with_user(self.manager).create(workflow_values("send_email to the record's contact"))
        run = workflow.with_user(self.manager).execute("crm.lead", self.lead.id)
        self.assertEqual(run.action_run_ids.state, "success", run.action_run_ids.error)
        self.assertEqual(run.action_run_ids.output["recipients"], ["buyer@acme.example.com"])

    def test_update_field_cannot_write_a_field_of_a_group_the_run_as_user_lacks(self):
        partner = self.env["res.partner"].create({"name": "Restricted"})
        workflow = self.Workflow.with_user(self.manager).create({
            "name": "Signup",
            "action_ids": [Command.create({"name": "Set", "action_type": "update_field",
                                           "config": {"field": "signup_type", "value": "signup"}})],
        })
        run = workflow.with_user(self.manager).execute("res.partner", partner.id)
        self.assertEqual(run.state, "failed")
        self.assertIn("signup_type", run.action_run_ids.error)


@tagged("post_install", "-at_install")
class TestCapabilitiesOverXmlRpc(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        sales = "base.group_user,sales_team.group_sale_salesman_all_leads"
        cls.manager = new_test_user(cls.env, "cap_manager", groups=f"{sales},workflow_engine.group_workflow_manager")
        cls.admin = new_test_user(
            cls.env, "cap_admin", groups=f"{sales},workflow_engine.group_workflow_admin", email="cap_admin@example.com"
        )

    def _create(self, user, case):
        values = workflow_values(case)
        values = {key: [list(command) for command in value] if key.endswith("_ids") else value
                  for key, value in values.items()}
        return self.xmlrpc_object.execute_kw(
            self.env.cr.dbname, user.id, user.login + "x" * (8 - len(user.login)), "workflow.workflow", "create",
            [values], {},
        )

    def test_capability_matrix_over_xmlrpc(self):
        for case, (_action_type, _config, manager_may) in CAPABILITIES.items():
            with self.subTest(case=case):
                self.assertIsInstance(self._create(self.admin, case), int)
                if manager_may:
                    self.assertIsInstance(self._create(self.manager, case), int)
                    continue
                with self.assertRaises(xmlrpc.client.Fault) as error:
                    self._create(self.manager, case)
                self.assertEqual(error.exception.faultCode, RPC_FAULT_CODE_ACCESS_ERROR)
                self.assertIn(ADMIN_GROUP_NAME, error.exception.faultString)
                self.assertIn(f"'{case}'", error.exception.faultString)


@tagged("post_install", "-at_install")
class TestCapabilitiesOverRest(RestApiCase):
    def _document(self, case):
        action_type, config, _manager_may = CAPABILITIES[case]
        return {
            "name": f"Uses {case}",
            "triggers": [{"event_type": "lead.created"}],
            "actions": [{"name": case, "action_type": action_type, "config": config}],
        }

    def test_capability_matrix_over_rest(self):
        self.admin.email = "cap_admin@example.com"
        for case, (_action_type, _config, manager_may) in CAPABILITIES.items():
            with self.subTest(case=case):
                self.assertEqual(self.api("POST", "/api/v1/workflows/", self._document(case), user=self.admin)
                                 .status_code, 201)
                response = self.api("POST", "/api/v1/workflows/", self._document(case), user=self.manager)
                if manager_may:
                    self.assertEqual(response.status_code, 201, response.text)
                    continue
                error = self.error_of(response, 403, "forbidden")
                self.assertIn(ADMIN_GROUP_NAME, error["message"])
                self.assertIn(f"'{case}'", error["message"])
