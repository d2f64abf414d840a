import json

from odoo import Command
from odoo.tests import tagged

from ..engine import templates
from ..models.record_context import build_context, masked_event_keys
from .common import WorkflowCase
from .rest_common import RestApiCase

PHONE = "+32 470 555 0122"
MASKED_PHONE = "•••• 0122"


@tagged("post_install", "-at_install")
class TestMasking(WorkflowCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.seeing_group = cls.env["res.groups"].create({"name": "Sees masked CRM fields"})
        cls.env.company.write({
            "workflow_masked_field_ids": [Command.set(cls.env["ir.model.fields"]._get("crm.lead", "phone").ids)],
            "workflow_unmasking_group_ids": [Command.set(cls.seeing_group.ids)],
        })
        cls.lead.phone = PHONE
        cls.workflow = cls.Workflow.with_user(cls.manager).create({
            "name": "Call back",
            "trigger_ids": [Command.create({
                "event_type": "lead.created", "conditions": {"field": "lead.phone", "operator": "endswith",
                                                             "value": "0122"},
            })],
            "action_ids": [Command.create({"name": "Note", "action_type": "add_note",
                                           "config": {"note": "Call {{lead.phone}}"}})],
        })

    def _shown_everywhere(self):
        """What a workflow running as the manager shows of the lead's phone: a rendered
        context, an action run's input, a run's explanation, a dry run, a run payload."""
        context = build_context(self.lead.with_user(self.manager), {})
        run = self.workflow.with_user(self.manager).execute("crm.lead", self.lead.id)
        self.assertEqual(run.action_run_ids.state, "success", "conditions test the real value")
        dry_run = self.workflow.with_user(self.manager).dry_run("crm.lead", self.lead.id)
        self.assertTrue(dry_run["holds"])
        payload = masked_event_keys(self.lead.with_user(self.manager), {"lead_data": {"phone": PHONE, "name": "X"}})
        return {
            "context": templates.render("Call {{lead.phone}}", context),
            "action run input": run.action_run_ids.input["note"],
            "run explanation": json.dumps(run.explanation, ensure_ascii=False),
            "dry run": json.dumps(dry_run, ensure_ascii=False),
            "payload": json.dumps(payload, ensure_ascii=False),
        }

    def test_a_run_as_user_outside_the_allowed_group_only_sees_the_mask(self):
        for place, shown in self._shown_everywhere().items():
            with self.subTest(place=place):
                self.assertNotIn(PHONE, shown)
                self.assertNotIn("555 0122", shown)
                self.assertIn(MASKED_PHONE, shown)

    def test_a_run_as_user_inside_the_allowed_group_sees_the_value(self):
        self.manager.write({"groups_id": [Command.link(self.seeing_group.id)]})
        for place, shown in self._shown_everywhere().items():
            with self.subTest(place=place):
                self.assertIn(PHONE, shown)
                self.assertNotIn(MASKED_PHONE, shown)

    def test_unmasked_fields_and_other_models_stay_in_clear(self):
        context = build_context(self.lead.with_user(self.manager), {})
        self.assertEqual(templates.render("{{lead.email_from}}", context), "buyer@acme.example.com")
        partner = self.env["res.partner"].create({"name": "P", "phone": PHONE})
        self.assertEqual(templates.render("{{record.phone}}", build_context(partner.with_user(self.manager), {})),
                         PHONE)

    def test_the_payload_of_an_event_run_keeps_the_mask(self):
        workflow = self.Workflow.with_user(self.manager).create({
            "name": "On new leads", "trigger_ids": [Command.create({"event_type": "lead.created"})],
            "action_ids": [Command.create({"name": "Note", "action_type": "add_note", "config": {"note": "New"}})],
        })
        lead = self.env["crm.lead"].create({"name": "Caller", "type": "lead", "phone": PHONE})
        run = workflow.run_ids.filtered(lambda run: run.res_id == lead.id)
        self.assertEqual(run.state, "success", run.error)
        self.assertEqual(run.payload["lead_data"]["phone"], MASKED_PHONE)
        self.assertEqual(run.payload["lead_data"]["name"], "Caller")


@tagged("post_install", "-at_install")
class TestMaskingApi(RestApiCase):
    def test_api_answers_show_masked_values_to_users_outside_the_allowed_group(self):
        seeing_group = self.env["res.groups"].create({"name": "Sees masked CRM fields"})
        self.env.company.write({
            "workflow_masked_field_ids": [Command.set(self.env["ir.model.fields"]._get("crm.lead", "phone").ids)],
            "workflow_unmasking_group_ids": [Command.set(seeing_group.ids)],
        })
        self.lead.phone = PHONE
        workflow = self.env["workflow.workflow"].with_user(self.manager).create({
            "name": "Call back", "execution_mode": "immediate",
            "action_ids": [Command.create({"name": "Note", "action_type": "add_note",
                                           "config": {"note": "Call {{deal.phone}}"}})],
        })
        for sees, expected, hidden in ((False, MASKED_PHONE, PHONE), (True, PHONE, MASKED_PHONE)):
            with self.subTest(run_as_in_allowed_group=sees):
                if sees:
                    self.manager.write({"groups_id": [Command.link(seeing_group.id)]})
                response = self.api(
                    "POST", f"/api/v1/workflows/{workflow.id}/execute/",
                    {"res_model": "crm.lead", "res_id": self.lead.id}, user=self.user,
                )
                self.assertEqual(response.status_code, 200, response.text)
                run = self.api("GET", f"/api/v1/workflow-runs/{response.json()['id']}/", user=self.user)
                shown = json.dumps(run.json(), ensure_ascii=False)
                self.assertIn(expected, shown)
                self.assertNotIn(hidden, shown)
