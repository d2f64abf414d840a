import base64
import json
import os
import pathlib
import shutil
import tempfile
from datetime import timedelta
from unittest.mock import patch

from odoo import Command, fields
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tests.common import ChromeBrowser

from odoo.addons.web.tests.test_js import unit_test_error_checker

SCREENSHOT_SIGNAL = "workflow_engine screenshot "
SCREENSHOTS_DIR_VARIABLE = "WORKFLOW_SCREENSHOTS_DIR"
"""Where the tour saves its screenshots, when set (static/description/screenshots refreshes the
README's); otherwise a temporary folder, so that a test run leaves the repository as it was."""
SCREENSHOTS = ("condition_builder", "action_editor", "workflow_form", "dry_run", "runs_graph")
RUN_HISTORY = [
    # Oldest day first. The graph colours the states in the order it meets them: this order
    # gives the skipped, failed, successful and partial runs blue, red, green and orange.
    ("skipped", "skipped"),
    ("failed", "success", "success"),
    ("partial", "success", "success", "success"),
    ("failed", "skipped", "success", "success"),
    ("partial", "success", "success"),
    ("failed", "partial", "success", "success", "success"),
    ("skipped", "success", "success"),
]

EXAMPLE_1_CONDITIONS = {
    "and": [
        {"field": "email_from", "operator": "ne", "value": None},
        {"or": [
            {"field": "expected_revenue", "operator": "gte", "value": 50000},
            {"field": "probability", "operator": "gte", "value": 80},
        ]},
    ]
}


def _save_screenshot(browser, directory, name, capture):
    directory.mkdir(parents=True, exist_ok=True)
    (directory / f"{name}.png").write_bytes(base64.b64decode(capture.result()["data"]))
    browser._logger.info("screenshot %s saved in %s", name, directory)
    # The tour waits for this mark before it goes on, so the page is captured as it was.
    browser._websocket_send("Runtime.evaluate", params={
        "expression": f"document.body.dataset.workflowScreenshot = {json.dumps(name)}",
    })


def _taking_screenshots(handle_console, directory):
    """ChromeBrowser._handle_console, and a console message "workflow_engine screenshot
    <name>" saves the page as <name>.png in ``directory``."""

    def handle(browser, type, args=None, **kwargs):
        message = browser._from_remoteobject(args[0]) if args else ""
        if type == "log" and isinstance(message, str) and message.startswith(SCREENSHOT_SIGNAL):
            name = message[len(SCREENSHOT_SIGNAL):]
            capture = browser._websocket_send("Page.captureScreenshot", params={"format": "png"}, with_future=True)
            capture.add_done_callback(lambda done: _save_screenshot(browser, directory, name, done))
        return handle_console(browser, type, args=args, **kwargs)

    return handle


@tagged("post_install", "-at_install")
class TestWorkflowUi(HttpCase):
    browser_size = "1400x1000"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        admin = cls.env.ref("base.user_admin")
        admin.write({"tour_enabled": False, "groups_id": [Command.link(cls.env.ref("crm.group_use_lead").id)]})
        cls.senior_rep = new_test_user(
            cls.env, "senior_rep", name="Senior Rep", groups="sales_team.group_sale_salesman_all_leads"
        )
        cls.env["crm.lead"].create({
            "name": "Acme big deal", "type": "lead", "expected_revenue": 120000,
            "email_from": "buyer@acme.example.com", "partner_name": "Acme",
        })
        cls._create_run_history(admin)

    @classmethod
    def _create_run_history(cls, admin):
        """A week of runs of two workflows (RUN_HISTORY), for the runs graph."""
        workflows = cls.env["workflow.workflow"].create([
            {
                "name": "Nurture new low-score leads",
                "run_as_user_id": admin.id,
                "execution_mode": "immediate",
                "trigger_ids": [Command.create({
                    "event_type": "custom", "custom_event": "crm.nurture",
                    "conditions": {"field": "lead_score", "operator": "lt", "value": 60},
                })],
                "action_ids": [
                    Command.create({
                        "name": "Note", "ordering": 1, "action_type": "add_note",
                        "config": {"note": "Nurture track started"},
                    }),
                    Command.create({
                        "name": "Welcome e-mail", "ordering": 2, "action_type": "send_email", "allow_failure": True,
                        "config": {"to": "{{lead.email_from}}", "subject": "Welcome", "body": "Hello"},
                    }),
                ],
            },
            {
                "name": "Sync to the ERP",
                "run_as_user_id": admin.id,
                "execution_mode": "immediate",
                "trigger_ids": [Command.create({"event_type": "custom", "custom_event": "erp.sync"})],
                "action_ids": [Command.create({
                    "name": "Write the ERP reference", "action_type": "update_field",
                    "config": {"field": "x_erp_reference", "value": "{{lead.id}}"},
                })],
            },
        ])
        nurture, sync = workflows
        lead_values = {
            "success": {"email_from": "prospect@example.com", "probability": 20},
            "partial": {"email_from": False, "probability": 20},
            "skipped": {"email_from": "prospect@example.com", "probability": 90},
            "failed": {"email_from": "prospect@example.com", "probability": 20},
        }
        for days_ago, states in enumerate(reversed(RUN_HISTORY)):
            runs = cls.env["workflow.run"]
            for index, state in enumerate(states):
                lead = cls.env["crm.lead"].create(dict(lead_values[state], name=f"Prospect {days_ago}-{index}"))
                runs |= (sync if state == "failed" else nurture).execute("crm.lead", lead.id)
            assert runs.mapped("state") == list(states), runs.mapped("state")
            runs.flush_recordset()
            # The ORM never writes a record's creation date: the past is written directly.
            cls.env.cr.execute(
                "UPDATE workflow_run SET create_date = %s WHERE id IN %s",
                [fields.Datetime.now() - timedelta(days=days_ago), tuple(runs.ids)],
            )
        cls.env["workflow.run"].invalidate_model(["create_date"])

    def test_example_1_built_tested_and_run_in_the_browser(self):
        screenshots = os.environ.get(SCREENSHOTS_DIR_VARIABLE)
        if not screenshots:
            screenshots = tempfile.mkdtemp(prefix="workflow_engine_screenshots_")
            self.addCleanup(shutil.rmtree, screenshots)
        screenshots = pathlib.Path(screenshots).resolve()
        handler = _taking_screenshots(ChromeBrowser._handle_console, screenshots)
        with patch.object(ChromeBrowser, "_handle_console", handler):
            self.start_tour("/odoo", "workflow_engine_example_1", login="admin", timeout=300)

        workflow = self.env["workflow.workflow"].search([("name", "=", "Auto-qualify high-value leads")])
        self.assertEqual(workflow.execution_mode, "immediate")
        self.assertEqual(workflow.trigger_ids.event_type, "lead.created")
        self.assertEqual(workflow.trigger_ids.conditions, EXAMPLE_1_CONDITIONS)
        self.assertEqual(
            [(action.action_type, action.config) for action in workflow.action_ids],
            [
                ("update_field", {"field": "stage_id", "value": "Qualified"}),
                ("update_field", {"field": "user_id", "value": "Senior Rep"}),
                ("send_notification", {"recipient": "admin", "message": "New qualified lead: {{lead.name}}"}),
                ("create_task", {
                    "title": "Follow up with {{lead.name}}", "due_date": "{{today+2}}", "priority": "high",
                }),
            ],
        )
        lead = self.env["crm.lead"].search([("name", "=", "Globex expansion")])
        run = self.env["workflow.run"].search([("workflow_id", "=", workflow.id)])
        self.assertEqual((run.res_id, run.event_type, run.state), (lead.id, "lead.created", "success"))
        self.assertEqual((lead.stage_id.name, lead.user_id), ("Qualified", self.senior_rep))
        for name in SCREENSHOTS:
            self.assertTrue((screenshots / f"{name}.png").stat().st_size, name)

    def test_enroll_leads_selected_in_the_list(self):
        leads = self.env["crm.lead"].create([
            {"name": "Tour: Initech", "type": "lead", "expected_revenue": 70000, "email_from": "it@initech.com"},
            {"name": "Tour: Tiny", "type": "lead", "expected_revenue": 5, "email_from": "me@tiny.example.com"},
        ])
        workflow = self.env["workflow.workflow"].create({
            "name": "Enroll high-value leads",
            "execution_mode": "queued",
            "trigger_ids": [Command.create({
                "event_type": "lead.created",
                "conditions": {"field": "expected_revenue", "operator": "gte", "value": 50000},
            })],
            "action_ids": [Command.create({"name": "Note", "action_type": "add_note", "config": {"note": "Enrolled"}})],
        })
        self.start_tour("/odoo", "workflow_engine_enroll", login="admin", timeout=180)

        enrollment = self.env["workflow.enrollment"].search([("workflow_id", "=", workflow.id)])
        self.assertEqual((enrollment.user_id.login, enrollment.total, enrollment.queued), ("admin", 1, 1))
        self.assertEqual(enrollment.run_ids.mapped("res_id"), leads[:1].ids)

    def test_javascript_unit_tests(self):
        self.browser_js(
            "/web/tests?headless&loglevel=2&timeout=15000&filter=%40workflow_engine",
            "", "", login="admin", timeout=600,
            success_signal="[HOOT] test suite succeeded", error_checker=unit_test_error_checker,
        )
