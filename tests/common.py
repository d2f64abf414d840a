import json
import threading
import time
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from odoo import SUPERUSER_ID, Command, api
from odoo.modules.registry import DummyRLock, Registry
from odoo.tests import TransactionCase, new_test_user
from odoo.tests.common import BaseCase, get_db_name

EXAMPLE_1_CONDITIONS = {
    "and": [
        {"field": "expected_revenue", "operator": "gte", "value": 50000},
        {"field": "lead.email_from", "operator": "endswith", "value": ".example.com"},
    ]
}


def example_1_values(**overrides):
    """The design's Example 1, on stock crm.lead fields: a high-value lead is qualified."""
    values = {
        "name": "Auto-qualify high-value leads",
        "execution_mode": "immediate",
        "trigger_ids": [(0, 0, {"event_type": "lead.created", "conditions": EXAMPLE_1_CONDITIONS})],
        "action_ids": [
            (0, 0, {
                "name": "Qualify",
                "ordering": 1,
                "action_type": "update_field",
                "config": {"entity_type": "lead", "entity_id": "{{lead.id}}",
                           "field": "priority", "value": "3"},
            }),
            (0, 0, {
                "name": "Explain",
                "ordering": 2,
                "action_type": "add_note",
                "config": {"entity_type": "lead", "entity_id": "{{lead.id}}",
                           "note": "Qualified: {{lead.expected_revenue}} expected from "
                                   "{{lead.partner_name}}",
                           "visibility": "internal"},
            }),
        ],
    }
    values.update(overrides)
    return values


EXAMPLE_3_EXIT_CONDITIONS = {
    "or": [
        {"field": "stage_id.is_won", "operator": "eq", "value": True},
        {"field": "active", "operator": "eq", "value": False},
    ]
}
"""The nurture stops once the lead is won, or lost (Odoo archives a lost lead)."""


def example_3_values(**overrides):
    """The design's Example 3 as a nurture track: a new low-score lead is tagged, e-mailed,
    e-mailed again three days later unless it was won or lost meanwhile, and four days
    after that its owner gets a follow-up task."""
    values = {
        "name": "Nurture new low-score leads",
        "execution_mode": "queued",
        "duplicate_window_minutes": 0,
        "exit_conditions": EXAMPLE_3_EXIT_CONDITIONS,
        "trigger_ids": [(0, 0, {"event_type": "lead.created", "conditions": {"and": [
            {"field": "stage", "operator": "eq", "value": "New"},
            {"field": "lead_score", "operator": "lt", "value": 60},
        ]}})],
        "action_ids": [
            (0, 0, {"name": name, "ordering": ordering, "action_type": action_type, "config": config})
            for ordering, (name, action_type, config) in enumerate([
                ("Tag as nurture_track", "update_field", {"field": "tag_ids", "value": ["nurture_track"]}),
                ("First e-mail", "send_email", {"to": "{{lead.email}}", "subject": "Welcome, {{lead.name}}",
                                                "body": "Thank you for your interest."}),
                ("Wait three days", "wait", {"duration": {"days": 3}}),
                ("Second e-mail", "send_email", {"to": "{{lead.email}}", "subject": "Still interested, {{lead.name}}?",
                                                 "body": "Here is what our customers say."}),
                ("Wait four days", "wait", {"duration": {"days": 4}}),
                ("Follow-up task", "create_task", {"title": "Nurture follow-up: {{lead.name}}",
                                                   "assignee": "{{lead.owner.login}}", "due_date": "{{today+1}}"}),
            ], start=1)
        ],
    }
    values.update(overrides)
    return values


class WorkflowCase(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        sales = "base.group_user,sales_team.group_sale_salesman_all_leads"
        cls.user = new_test_user(
            cls.env, "wf_user", groups=f"{sales},workflow_engine.group_workflow_user",
            email="wf_user@example.com",
        )
        cls.manager = new_test_user(
            cls.env, "wf_manager", groups=f"{sales},workflow_engine.group_workflow_manager",
            email="wf_manager@example.com",
        )
        cls.admin = new_test_user(
            cls.env, "wf_admin", groups=f"{sales},workflow_engine.group_workflow_admin",
            email="wf_admin@example.com",
        )
        # These tests check what the actions do, so they run them in the caller's transaction;
        # tests of the queue create queued workflows explicitly.
        cls.Workflow = cls.env["workflow.workflow"].with_context(default_execution_mode="immediate")
        cls.lead = cls.env["crm.lead"].create({
            "name": "Big opportunity",
            "type": "lead",
            "expected_revenue": 120000,
            "email_from": "buyer@acme.example.com",
            "partner_name": "Acme",
        })

    def new_outsider(self):
        """A salesperson who sees every lead and is in no workflow group."""
        return self.env["res.users"].create({
            "name": "Outsider", "login": "outsider",
            "groups_id": [Command.set(self.env.ref("sales_team.group_sale_salesman_all_leads").ids)],
        })


class QueueCase(WorkflowCase):
    """Queued runs within one test transaction: the queue's own transactions are savepoints
    of it (the registry's test mode), so every step can be checked."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.registry.enter_test_mode(cls.cr)
        cls.addClassCleanup(cls.registry.leave_test_mode)
        cls.Run = cls.env["workflow.run"]

    def _process(self, worker_timeout=None):
        """One pass of the queue's workers; how many runs they claimed."""
        return self.Run._process_queue(worker_timeout=worker_timeout)

    def _drain(self):
        """Passes of the queue's workers until no run is due; how many runs they claimed."""
        self.env.flush_all()
        claimed = 0
        for _batch in range(20):
            count = self._process()
            if not count:
                break
            claimed += count
        self.env.invalidate_all()
        return claimed


class CommittingCase(BaseCase):
    """Tests of what servers do with real transactions that commit, on connections of their own
    (queue workers, concurrent requests): no test cursor orders them. What a test commits, it
    deletes."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.registry = Registry(get_db_name())
        assert not cls.registry.in_test_mode(), "these tests need real transactions"
        # The server holds the registries' lock while it runs the tests: other threads (workers,
        # the server's request threads) could never open an environment. Odoo's test mode
        # (HttpCase) lifts it for its server threads alike.
        cls.classPatch(Registry, "_lock", DummyRLock())

    @contextmanager
    def _env(self):
        """A superuser environment on a new cursor, committed when the ``with`` block ends."""
        with self.registry.cursor() as cr:
            yield api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})


class WebhookReceiver(BaseHTTPRequestHandler):
    """A webhook receiver on 127.0.0.1 that records requests and answers as told by the path:
    /slow does not answer in time, /status/<code> answers with the code, /score with
    ``{"score": 87}``, any other path with an echo of the Authorization header."""

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.server.received.append({"path": self.path, "headers": dict(self.headers), "body": body})
        if self.path.startswith("/slow"):
            time.sleep(2)
            return  # the client gave up waiting: nobody reads an answer any more
        status = int(self.path.rsplit("/", 1)[-1]) if self.path.startswith("/status/") else 200
        # /score stands for an enrichment service, whose answer later steps read (steps.<key>.output.json).
        answer = {"score": 87} if self.path.startswith("/score") else {
            "echo": self.headers.get("Authorization"), "ok": status < 300,
        }
        payload = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


def start_webhook_receiver(test_class):
    """Serve WebhookReceiver on 127.0.0.1 for ``test_class`` (``server``, ``url``), allow-listed."""
    test_class.server = ThreadingHTTPServer(("127.0.0.1", 0), WebhookReceiver)
    test_class.server.received = []
    threading.Thread(target=test_class.server.serve_forever, daemon=True).start()
    test_class.addClassCleanup(test_class.server.server_close)
    test_class.addClassCleanup(test_class.server.shutdown)
    test_class.url = f"http://127.0.0.1:{test_class.server.server_address[1]}"
    test_class.env["ir.config_parameter"].set_param("workflow_engine.webhook_allowed_hosts", "127.0.0.1")
