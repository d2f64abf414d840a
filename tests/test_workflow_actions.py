import json
import socket
from datetime import timedelta
from unittest.mock import patch

from odoo import Command, fields
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import tagged

from odoo.addons.workflow_engine.engine.jsondoc import MASK

from .common import WorkflowCase, start_webhook_receiver


@tagged("post_install", "-at_install")
class TestWorkflowActions(WorkflowCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        start_webhook_receiver(cls)
        cls.env["workflow.secret"].create({"name": "api_key", "value": "s3cr3t-t0ken"})

    def setUp(self):
        super().setUp()
        self.server.received.clear()

    def _run(self, action_type, config, record=None, **action_values):
        workflow = self.Workflow.with_user(self.admin).create({
            "name": f"Run {action_type}",
            "action_ids": [Command.create({
                "name": action_type, "action_type": action_type, "config": config, **action_values,
            })],
        })
        record = record or self.lead
        return workflow.execute(record._name, record.id)

    def _webhook(self, path, **config):
        return self._run("call_webhook", {
            "url": f"{self.url}{path}",
            "headers": {"Authorization": "Bearer {{api_key}}"},
            "body": {"lead_id": "{{lead.id}}", "event": "lead.qualified", "company": "{{lead.partner_name}}"},
            **config,
        })

    def test_call_webhook_posts_the_rendered_body_and_logs_the_response(self):
        run = self._webhook("/hook")
        action_run = run.action_run_ids
        self.assertEqual(run.state, "success", action_run.error)
        [request] = self.server.received
        self.assertEqual(
            json.loads(request["body"]), {"lead_id": self.lead.id, "event": "lead.qualified", "company": "Acme"}
        )
        self.assertEqual(request["headers"]["Authorization"], "Bearer s3cr3t-t0ken")
        self.assertEqual(request["headers"]["Idempotency-Key"], f"{run.uuid}:{action_run.action_id.id}")
        self.assertEqual(action_run.output["status"], 200)
        self.assertIn('"ok": true', action_run.output["body"])
        self.assertEqual(action_run.input["headers"]["Authorization"], f"Bearer {MASK}")
        logged = json.dumps([action_run.input, action_run.output, run.payload])
        self.assertNotIn("s3cr3t-t0ken", logged)

    def test_call_webhook_fails_on_error_status_and_timeout(self):
        failed = self._webhook("/status/503").action_run_ids
        self.assertEqual(failed.state, "failed")
        self.assertIn("answered HTTP 503", failed.error)
        self.assertEqual(failed.output["status"], 503)
        self.assertNotIn("s3cr3t-t0ken", failed.output["body"])
        slow = self._webhook("/slow", timeout=0.5).action_run_ids
        self.assertEqual(slow.state, "failed")
        self.assertIn("did not answer within 0.5 s", slow.error)

    def test_call_webhook_refuses_private_addresses_unless_allowed(self):
        self.env["ir.config_parameter"].set_param("workflow_engine.webhook_allowed_hosts", "")
        for url in (self.url + "/hook", "http://localhost:9/x", "http://10.1.2.3/x", "http://169.254.169.254/latest"):
            with self.subTest(url=url):
                run = self._run("call_webhook", {"url": url})
                self.assertEqual(run.state, "failed")
                self.assertIn("not a public address", run.action_run_ids.error)
                self.assertIn("workflow_engine.webhook_allowed_hosts", run.action_run_ids.error)
        self.assertFalse(self.server.received)

    def test_call_webhook_refuses_urls_that_parsers_read_differently(self):
        # Only parsed: the other reading of each URL (1.1.1.1, an empty host) is never connected to.
        port = self.server.server_address[1]
        urls = (f"http://127.0.0.1:{port}{{{{ '' }}}}\\@1.1.1.1/x", f"http://127.0.0.1:{port}{{{{ '' }}}}\\@/x")
        for allowed in ("127.0.0.1", ""):
            self.env["ir.config_parameter"].set_param("workflow_engine.webhook_allowed_hosts", allowed)
            for url in urls:
                with self.subTest(allowed=allowed, url=url):
                    action_run = self._run("call_webhook", {"url": url}).action_run_ids
                    self.assertEqual((action_run.state, action_run.error_code), ("failed", "action_error"))
                    self.assertIn("config.url: refused", action_run.error)
                    self.assertIn("must not contain a backslash", action_run.error)
        self.assertFalse(self.server.received)
        with self.assertRaisesRegex(ValidationError, r"config\.url: must not contain a backslash"):
            self._run("call_webhook", {"url": f"http://127.0.0.1:{port}\\@1.1.1.1/x"})

    def test_call_webhook_connects_to_the_address_it_checked(self):
        port = self.server.server_address[1]
        self.env["ir.config_parameter"].set_param("workflow_engine.webhook_allowed_hosts", "hooks.workflow.test")
        resolve = socket.getaddrinfo
        looked_up = []

        def resolver(host, *args, **kwargs):
            looked_up.append(host)
            return resolve("127.0.0.1" if host == "hooks.workflow.test" else host, *args, **kwargs)

        with patch("socket.getaddrinfo", resolver):
            run = self._webhook("/hook", url=f"http://hooks.workflow.test:{port}/hook",
                                headers={"Host": "intranet.example"})
        self.assertEqual(run.state, "success", run.action_run_ids.error)
        [request] = self.server.received
        self.assertEqual(request["headers"]["Host"], f"hooks.workflow.test:{port}")
        # The guard looks the name up once; the request goes to the address it checked
        # (urllib3 is handed the literal 127.0.0.1), so DNS cannot rebind it in between.
        self.assertEqual(looked_up.count("hooks.workflow.test"), 1)
        self.assertIn("127.0.0.1", looked_up)

    def test_template_limits_follow_their_system_parameters(self):
        parameters = self.env["ir.config_parameter"]
        parameters.set_param("workflow_engine.template_max_output_chars", "10")
        action_run = self._run("add_note", {"note": "{{ 'x' * 11 }}"}).action_run_ids
        self.assertEqual((action_run.state, action_run.error_code), ("failed", "template_error"))
        self.assertEqual(action_run.error, "note: stopped: the output is longer than the limit of 10 characters")
        parameters.set_param("workflow_engine.template_max_output_chars", "")
        parameters.set_param("workflow_engine.template_max_render_ms", "1")
        loops = "{% for a in range(10000) %}{% for b in range(10000) %}{% endfor %}{% endfor %}"
        action_run = self._run("add_note", {"note": f"{{{{ 'x' * 11 }}}}{loops}"}).action_run_ids
        self.assertEqual(action_run.error, "note: stopped: rendering takes longer than the limit of 1 ms")

    def test_secrets_are_only_for_webhooks_and_only_administrators_read_them(self):
        run = self._run("add_note", {"note": "Leaking {{api_key}}"})
        self.assertEqual(run.state, "failed")
        self.assertIn("undefined variable 'api_key'", run.action_run_ids.error)
        secret = self.env["workflow.secret"].search([("name", "=", "api_key")])
        for user in (self.user, self.manager):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                secret.with_user(user).read(["value"])
        self.assertEqual(secret.with_user(self.admin).value, "s3cr3t-t0ken")

    def test_send_email_queues_a_mail_with_a_mail_template(self):
        template = self.env["mail.template"].create({
            "name": "welcome_email", "model_id": self.env.ref("crm.model_crm_lead").id,
            "body_html": '<p>Hi <t t-out="first_name"/>, welcome to <t t-out="object.partner_name"/></p>',
        })
        run = self._run("send_email", {
            "to": "{{lead.email}}", "subject": "Welcome {{lead.partner_name}}", "template": "welcome_email",
            "variables": {"first_name": "Ada"},
        })
        self.assertEqual(run.state, "success", run.action_run_ids.error)
        output = run.action_run_ids.output
        mails = self.env["mail.mail"].browse(output["mail_ids"])
        self.assertTrue(mails)
        self.assertEqual(set(mails.mapped("state")), {"outgoing"})
        self.assertIn("buyer@acme.example.com", mails.recipient_ids.mapped("email"))
        message = self.env["mail.message"].browse(output["message_ids"])
        self.assertEqual((message.model, message.res_id), ("crm.lead", self.lead.id))
        self.assertEqual(message.subject, "Welcome Acme")
        self.assertIn("Hi Ada, welcome to Acme", message.body)
        self.assertEqual(template.id, self.env["mail.template"].search([("name", "=", "welcome_email")]).id)

    def test_send_email_to_a_leads_address_leaves_the_lead_as_it_was(self):
        lead, twin = self.env["crm.lead"].create([{
            "name": name, "type": "lead", "contact_name": "Ada Lovelace",
            "email_from": "ada@lovelace.example.com", "partner_name": "Analytical Engines",
        } for name in ("Desks for Ada", "Another request of Ada")])
        before = lead.read(["partner_id", "contact_name", "email_from", "partner_name"])
        run = self._run("send_email", {"to": "{{lead.email}}", "subject": "Hello", "body": "Hi"}, record=lead)
        self.assertEqual(run.state, "success", run.action_run_ids.error)
        recipients = self.env["mail.mail"].browse(run.action_run_ids.output["mail_ids"]).recipient_ids
        partner = recipients.filtered(lambda recipient: recipient.email == "ada@lovelace.example.com")
        # As the chatter's suggested recipient would be: named after the lead's contact.
        self.assertEqual(partner.name, "Ada Lovelace")
        lead.invalidate_recordset()
        self.assertEqual(lead.read(["partner_id", "contact_name", "email_from", "partner_name"]), before)
        self.assertFalse(twin.partner_id, "nor another lead of the address")

    def test_send_email_refuses_bad_addresses_and_unknown_templates(self):
        bad = self._run("send_email", {"to": "not an address", "subject": "x", "body": "y"})
        self.assertIn("config.to: not a valid e-mail address", bad.action_run_ids.error)
        unknown = self._run("send_email", {"to": "a@example.com", "subject": "x", "template": "nope"})
        self.assertIn("config.template: no mail template 'nope'", unknown.action_run_ids.error)

    def test_create_task_schedules_a_todo_for_the_assignee(self):
        run = self._run("create_task", {
            "title": "Follow up with {{lead.company_name}}", "description": "High interest",
            "assignee": "{{user.email}}", "due_date": "{{today+2}}", "priority": "high",
        })
        self.assertEqual(run.state, "success", run.action_run_ids.error)
        activity = self.env["mail.activity"].browse(run.action_run_ids.output["activity_ids"])
        self.assertEqual(activity.summary, "Follow up with Acme")
        self.assertEqual(activity.user_id, self.admin)
        self.assertEqual(activity.activity_type_id, self.env.ref("mail.mail_activity_data_todo"))
        today = fields.Date.context_today(self.lead.with_user(self.admin))
        self.assertEqual(activity.date_deadline, today + timedelta(days=2))
        self.assertEqual(run.action_run_ids.input["due_date"], activity.date_deadline.isoformat())
        self.assertIn("Priority: high", activity.note)
        self.assertEqual((activity.res_model, activity.res_id), ("crm.lead", self.lead.id))
        unknown = self._run("create_task", {"title": "x", "assignee": "ghost@example.com"})
        self.assertIn("no active user has the login or e-mail 'ghost@example.com'", unknown.action_run_ids.error)

    def test_send_notification_reaches_the_recipients_inbox(self):
        self.assertEqual(self.user.notification_type, "email")
        run = self._run("send_notification", {
            "recipient": "wf_user", "message": "New qualified lead: {{lead.company_name}}",
            "notification_type": "in_app", "link": "/odoo/crm/{{lead.id}}",
        })
        self.assertEqual(run.state, "success", run.action_run_ids.error)
        notification = self.env["mail.notification"].search([
            ("res_partner_id", "=", self.user.partner_id.id),
            ("mail_message_id", "in", run.action_run_ids.output["message_ids"]),
        ])
        self.assertEqual(notification.notification_type, "inbox")
        self.assertIn("New qualified lead: Acme", notification.mail_message_id.body)
        self.assertIn(f"/odoo/crm/{self.lead.id}", notification.mail_message_id.body)

    def test_context_resolves_custom_fields(self):
        self.env["ir.model.fields"].create({
            "name": "x_score", "field_description": "Score", "model_id": self.env.ref("crm.model_crm_lead").id,
            "ttype": "integer",
        })
        self.lead.x_score = 85
        workflow = self.Workflow.create({
            "name": "Score", "run_as_user_id": self.manager.id,
            "trigger_ids": [Command.create({"event_type": "lead.created", "conditions": {
                "and": [{"field": "x_score", "operator": "gte", "value": 80},
                        {"field": "lead.x_score", "operator": "lt", "value": 90}]}})],
        })
        self.assertEqual(workflow.execute("crm.lead", self.lead.id).state, "success")

    def test_fields_the_run_as_user_may_not_read_are_absent_and_unwritable(self):
        # res.partner.signup_type is restricted to base.group_erp_manager, which managers lack.
        partner = self.env["res.partner"].create({"name": "Signed up", "email": "su@example.com"})
        partner.signup_type = "signup"
        conditions = {"field": "contact.signup_type", "operator": "eq", "value": "signup"}
        for user, state in ((self.manager, "skipped"), (self.env.ref("base.user_admin"), "success")):
            with self.subTest(run_as=user.login):
                workflow = self.Workflow.create({
                    "name": "Signup", "run_as_user_id": user.id,
                    "trigger_ids": [Command.create({"event_type": "contact.created", "conditions": conditions})],
                })
                self.assertEqual(workflow.execute("res.partner", partner.id).state, state)
        update = self.Workflow.create({
            "name": "Write signup type", "run_as_user_id": self.manager.id,
            "action_ids": [Command.create({"name": "Signup", "action_type": "update_field",
                                           "config": {"field": "signup_type", "value": "reset"}})],
        }).execute("res.partner", partner.id)
        self.assertEqual(update.state, "failed")
        self.assertIn("field 'signup_type' of res.partner cannot be written by wf_manager", update.error)
        self.assertEqual(partner.signup_type, "signup")

    def test_context_aliases_and_nested_relations(self):
        self.lead.write({"user_id": self.manager.id, "priority": "2"})
        conditions = {"and": [
            {"field": "amount", "operator": "eq", "value": 120000},
            {"field": "email", "operator": "endswith", "value": "example.com"},
            {"field": "company_name", "operator": "eq", "value": "Acme"},
            {"field": "owner.email", "operator": "eq", "value": "wf_manager@example.com"},
            {"field": "lead.user_id.login", "operator": "eq", "value": "wf_manager"},
            {"field": "deal.user_id", "operator": "eq", "value": self.manager.id},
            {"field": "stage", "operator": "eq", "value": self.lead.stage_id.name},
            {"field": "record.priority", "operator": "in", "value": ["2", "3"]},
            {"field": "user.login", "operator": "eq", "value": "wf_manager"},
            {"field": "company.name", "operator": "eq", "value": self.env.company.name},
        ]}
        workflow = self.Workflow.create({
            "name": "Aliases", "run_as_user_id": self.manager.id,
            "trigger_ids": [Command.create({"event_type": "lead.created", "conditions": conditions})],
        })
        run = workflow.execute("crm.lead", self.lead.id)
        self.assertEqual(run.state, "success", run.error)

    def test_enqueue_export_builds_and_mails_the_csv_outside_the_run(self):
        stages = {stage.name: stage for stage in self.env["crm.stage"].search([])}
        self.env["crm.lead"].create([
            {"name": "Qualified lead", "type": "lead", "stage_id": stages["Qualified"].id, "email_from": "q@x.com"},
            {"name": "New lead", "type": "lead", "stage_id": stages["New"].id},
            {"name": "Qualified deal", "type": "opportunity", "stage_id": stages["Qualified"].id},
        ])
        self.env["ir.cron.trigger"].search([]).unlink()
        run = self._run("enqueue_export", {
            "export_type": "csv", "entity_type": "lead",
            "filters": {"stage": "Qualified", "created_at__gte": "{{today-30}}"},
            "fields": ["name", "email"], "email_to": "{{user.email}}",
        })
        self.assertEqual(run.state, "success", run.action_run_ids.error)
        export = self.env["workflow.export"].browse(run.action_run_ids.output["export_id"])
        self.assertEqual(export.state, "pending")
        cron = self.env.ref("workflow_engine.ir_cron_workflow_export")
        self.assertTrue(self.env["ir.cron.trigger"].search([("cron_id", "=", cron.id)]))
        self.assertIn(["create_date", ">=", (fields.Date.today() - timedelta(days=30)).isoformat()], export.domain)
        self.env["workflow.export"]._cron_send_pending()
        self.assertEqual(export.state, "done", export.error)
        self.assertEqual(export.record_count, 1)
        lines = export.attachment_id.raw.decode().splitlines()
        self.assertEqual(lines, ["Opportunity,Email", "Qualified lead,q@x.com"])
        self.assertEqual(export.mail_id.email_to, "wf_admin@example.com")
        self.assertEqual(export.mail_id.attachment_ids, export.attachment_id)

    def test_enqueue_export_refuses_unknown_fields(self):
        run = self._run("enqueue_export", {
            "export_type": "csv", "entity_type": "deal", "filters": {"colour__eq": "red"}, "email_to": "a@b.com",
        })
        self.assertEqual(run.state, "failed")
        self.assertIn("config.filters.colour__eq: crm.lead has no field 'colour'", run.action_run_ids.error)

    def test_add_note_internal_is_a_log_note_and_public_a_message_to_followers(self):
        follower = self.env["res.partner"].create({"name": "Follower", "email": "follower@example.com"})
        self.lead.message_subscribe(partner_ids=follower.ids)
        internal = self._run("add_note", {"note": "For the team", "visibility": "internal"})
        public = self._run("add_note", {"note": "For everyone", "visibility": "public"})
        note = self.env["mail.message"].browse(internal.action_run_ids.output["message_ids"])
        message = self.env["mail.message"].browse(public.action_run_ids.output["message_ids"])
        self.assertEqual(note.subtype_id, self.env.ref("mail.mt_note"))
        self.assertTrue(note.is_internal)
        self.assertFalse(note.notification_ids)
        self.assertEqual(message.subtype_id, self.env.ref("mail.mt_comment"))
        self.assertIn(follower, message.notification_ids.res_partner_id)
        self.assertEqual((note.model, note.res_id, message.res_id), ("crm.lead", self.lead.id, self.lead.id))
