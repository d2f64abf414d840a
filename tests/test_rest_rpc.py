import json
import xmlrpc.client

from odoo.tests import tagged

from odoo.addons.base.controllers.rpc import (
    RPC_FAULT_CODE_ACCESS_DENIED,
    RPC_FAULT_CODE_ACCESS_ERROR,
    RPC_FAULT_CODE_WARNING,
)

from .rest_common import STAGE_CHANGE, RestApiCase, example_2

FAULT_KINDS = {
    RPC_FAULT_CODE_ACCESS_DENIED: "AccessDenied",
    RPC_FAULT_CODE_ACCESS_ERROR: "AccessError",
    RPC_FAULT_CODE_WARNING: "UserError",
}
# JSON-RPC names the exception's class; XML-RPC only tells these three kinds apart.
JSON_RPC_KINDS = {
    "odoo.exceptions.AccessDenied": "AccessDenied",
    "odoo.exceptions.AccessError": "AccessError",
    "odoo.exceptions.UserError": "UserError",
    "odoo.exceptions.ValidationError": "UserError",
    "odoo.addons.workflow_engine.exceptions.IdempotencyConflict": "UserError",
}


class RpcRefused(Exception):
    """A call refused over XML-RPC or JSON-RPC: ``kind`` (AccessDenied, AccessError, UserError)."""

    def __init__(self, kind, message):
        super().__init__(message)
        self.kind = kind
        self.message = message


@tagged("post_install", "-at_install")
class TestRestRulesOverRpc(RestApiCase):
    """The REST API's permission and validation rules hold over XML-RPC and JSON-RPC, with
    the same API keys as passwords."""

    def xmlrpc(self, user, model, method, *args, key=None, **kwargs):
        try:
            return self.xmlrpc_object.execute_kw(
                self.env.cr.dbname, user.id, key or self.keys[user], model, method, list(args), kwargs
            )
        except xmlrpc.client.Fault as fault:
            raise RpcRefused(FAULT_KINDS.get(fault.faultCode, "ServerError"), fault.faultString) from fault

    def jsonrpc(self, user, model, method, *args, key=None, **kwargs):
        call = {"service": "object", "method": "execute_kw",
                "args": [self.env.cr.dbname, user.id, key or self.keys[user], model, method, list(args), kwargs]}
        response = self.opener.post(
            f"{self.base_url()}/jsonrpc", data=json.dumps({"jsonrpc": "2.0", "method": "call", "params": call}),
            headers={"Content-Type": "application/json"}, timeout=30,
        ).json()
        if "error" in response:
            data = response["error"]["data"]
            raise RpcRefused(JSON_RPC_KINDS.get(data["name"], data["name"]), data["message"])
        return response["result"]

    def _values(self, **changes):
        """Example 2 as the values of a workflow.workflow create, as an RPC client sends them."""
        document = example_2(**changes)
        return {
            "name": document["name"],
            "trigger_ids": [[0, 0, trigger] for trigger in document["triggers"]],
            "action_ids": [[0, 0, action] for action in document["actions"]],
        }

    def assertRefused(self, kind, call, *args, **kwargs):
        with self.assertRaises(RpcRefused) as caught:
            call(*args, **kwargs)
        self.assertEqual(caught.exception.kind, kind, caught.exception.message)
        return caught.exception.message

    def test_api_keys_authenticate_and_a_bad_key_is_refused(self):
        for rpc in (self.xmlrpc, self.jsonrpc):
            with self.subTest(rpc=rpc.__name__):
                workflow_id = rpc(self.manager, "workflow.workflow", "create", self._values(name=rpc.__name__))
                [read] = rpc(self.user, "workflow.workflow", "read", [workflow_id], ["name", "trigger_ids"])
                self.assertEqual(read["name"], rpc.__name__)
                self.assertEqual(len(read["trigger_ids"]), 1)
                self.assertRefused("AccessDenied", rpc, self.user, "workflow.workflow", "search", [], key="not-a-key")

    def test_a_workflow_user_reads_and_executes_but_cannot_change_definitions_or_runs(self):
        workflow = self.create_workflow()
        run = workflow.execute("crm.lead", self.lead.id, STAGE_CHANGE)
        for rpc in (self.xmlrpc, self.jsonrpc):
            with self.subTest(rpc=rpc.__name__):
                self.assertRefused("AccessError", rpc, self.user, "workflow.workflow", "create", self._values())
                self.assertRefused(
                    "AccessError", rpc, self.user, "workflow.workflow", "write", [workflow.id], {"name": "Hijacked"}
                )
                self.assertRefused("AccessError", rpc, self.user, "workflow.workflow", "unlink", [workflow.id])
                self.assertRefused(
                    "AccessError", rpc, self.user, "workflow.trigger", "write", workflow.trigger_ids.ids,
                    {"active": False},
                )
                self.assertRefused(
                    "AccessError", rpc, self.user, "workflow.action", "create",
                    {"workflow_id": workflow.id, "name": "Extra", "action_type": "add_note", "config": {"note": "x"}},
                )
                self.assertRefused("AccessError", rpc, self.user, "workflow.run", "write", run.ids, {"state": "failed"})
                self.assertRefused(
                    "AccessError", rpc, self.manager, "workflow.action.run", "unlink", run.action_run_ids.ids
                )
                run_id = rpc(self.user, "workflow.workflow", "execute", [workflow.id], "crm.lead", self.lead.id,
                             STAGE_CHANGE)
                [read] = rpc(self.user, "workflow.run", "read", [run_id], ["state", "action_run_ids"])
                self.assertEqual((read["state"], len(read["action_run_ids"])), ("success", 3))
        self.assertEqual(workflow.name, "Deal reached Proposition")
        self.assertEqual(len(workflow.action_ids), 3)
        self.assertEqual(run.state, "success")

    def test_invalid_definitions_are_refused_naming_the_bad_node(self):
        for rpc in (self.xmlrpc, self.jsonrpc):
            with self.subTest(rpc=rpc.__name__):
                values = self._values()
                values["trigger_ids"][0][2]["conditions"] = {"and": [
                    {"field": "stage", "operator": "eq", "value": "New"},
                    {"field": "stage", "operator": "equals", "value": "Won"},
                ]}
                message = self.assertRefused("UserError", rpc, self.manager, "workflow.workflow", "create", values)
                self.assertIn("and[1]: unknown operator 'equals'", message)
                values = self._values()
                values["action_ids"][1][2]["config"]["visibility"] = "everyone"
                message = self.assertRefused("UserError", rpc, self.manager, "workflow.workflow", "create", values)
                self.assertIn("config.visibility: must be one of 'internal', 'public'", message)
        self.assertFalse(self.env["workflow.workflow"].search([]))

    def test_records_of_another_company_are_out_of_reach(self):
        ours = self.create_workflow()
        theirs = self.create_workflow(example_2(name="Theirs"), user=self.other_manager)
        for rpc in (self.xmlrpc, self.jsonrpc):
            with self.subTest(rpc=rpc.__name__):
                self.assertEqual(rpc(self.manager, "workflow.workflow", "search", []), ours.ids)
                self.assertRefused("AccessError", rpc, self.manager, "workflow.workflow", "read", theirs.ids, ["name"])
                self.assertRefused(
                    "AccessError", rpc, self.manager, "workflow.workflow", "write", theirs.ids, {"name": "Mine"}
                )
                self.assertRefused(
                    "AccessError", rpc, self.user, "workflow.workflow", "execute", theirs.ids, "crm.lead", self.lead.id
                )
        self.assertEqual(theirs.name, "Theirs")
        self.assertFalse(theirs.run_ids)

    def test_an_idempotency_key_reused_for_another_payload_is_refused(self):
        workflow = self.create_workflow()
        for rpc in (self.xmlrpc, self.jsonrpc):
            with self.subTest(rpc=rpc.__name__):
                key = f"{rpc.__name__}-1"
                run_id = rpc(self.user, "workflow.workflow", "execute", [workflow.id], "crm.lead", self.lead.id,
                             STAGE_CHANGE, idempotency_key=key)
                again = rpc(self.user, "workflow.workflow", "execute", [workflow.id], "crm.lead", self.lead.id,
                            STAGE_CHANGE, idempotency_key=key)
                self.assertEqual(again, run_id)
                message = self.assertRefused(
                    "UserError", rpc, self.user, "workflow.workflow", "execute", [workflow.id], "crm.lead",
                    self.lead.id, {"new_stage": "Won"}, idempotency_key=key,
                )
                self.assertIn(key, message)
        self.assertEqual(len(workflow.run_ids), 2)
