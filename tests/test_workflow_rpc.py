import json
import xmlrpc.client

from odoo.tests import HttpCase, new_test_user, tagged

from odoo.addons.base.controllers.rpc import RPC_FAULT_CODE_ACCESS_ERROR

from .common import example_1_values


@tagged("post_install", "-at_install")
class TestWorkflowRpc(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        sales = "base.group_user,sales_team.group_sale_salesman_all_leads"
        cls.user = new_test_user(cls.env, "rpc_user", groups=f"{sales},workflow_engine.group_workflow_user")
        cls.manager = new_test_user(
            cls.env, "rpc_manager", groups=f"{sales},workflow_engine.group_workflow_manager"
        )
        cls.lead = cls.env["crm.lead"].create({
            "name": "RPC lead", "expected_revenue": 90000, "email_from": "cto@corp.example.com",
            "partner_name": "Corp",
        })

    def _call(self, user, model, method, *args, **kwargs):
        password = user.login + "x" * (8 - len(user.login))
        return self.xmlrpc_object.execute_kw(
            self.env.cr.dbname, user.id, password, model, method, list(args), kwargs
        )

    def _xmlrpc_values(self):
        values = example_1_values()
        values["trigger_ids"] = [list(command) for command in values["trigger_ids"]]
        values["action_ids"] = [list(command) for command in values["action_ids"]]
        return values

    def test_manager_creates_and_executes_example_1_over_xmlrpc(self):
        workflow_id = self._call(self.manager, "workflow.workflow", "create", self._xmlrpc_values())
        self.assertIsInstance(workflow_id, int)
        run_id = self._call(self.manager, "workflow.workflow", "execute", [workflow_id], "crm.lead", self.lead.id)
        self.assertIsInstance(run_id, int)
        [run] = self._call(
            self.manager, "workflow.run", "read", [run_id], fields=["state", "action_run_ids", "duration_ms"]
        )
        self.assertEqual(run["state"], "success")
        self.assertEqual(len(run["action_run_ids"]), 2)
        self.assertEqual(self.lead.priority, "3")

    def test_invalid_condition_is_refused_over_xmlrpc_naming_the_node(self):
        values = self._xmlrpc_values()
        values["trigger_ids"][0][2]["conditions"] = json.dumps(
            {"or": [{"field": "stage", "operator": "eq", "value": "New"}, {"field": "", "operator": "eq", "value": 1}]}
        )
        with self.assertRaises(xmlrpc.client.Fault) as caught:
            self._call(self.manager, "workflow.workflow", "create", values)
        self.assertIn("or[1]", caught.exception.faultString)
        self.assertFalse(self.env["workflow.workflow"].search([("name", "=", values["name"])]))

    def test_workflow_user_cannot_define_workflows_over_xmlrpc(self):
        with self.assertRaises(xmlrpc.client.Fault) as caught:
            self._call(self.user, "workflow.workflow", "create", self._xmlrpc_values())
        self.assertEqual(caught.exception.faultCode, RPC_FAULT_CODE_ACCESS_ERROR)
        workflow_id = self._call(self.manager, "workflow.workflow", "create", self._xmlrpc_values())
        with self.assertRaises(xmlrpc.client.Fault) as caught:
            self._call(self.user, "workflow.workflow", "write", [workflow_id], {"name": "Hijacked"})
        self.assertEqual(caught.exception.faultCode, RPC_FAULT_CODE_ACCESS_ERROR)
        [read] = self._call(self.user, "workflow.workflow", "read", [workflow_id], fields=["name"])
        self.assertEqual(read["name"], "Auto-qualify high-value leads")
