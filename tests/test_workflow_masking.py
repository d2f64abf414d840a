import hashlib
import json

from odoo import Command
from odoo.tests import tagged

from ..engine import templates
from ..models.masking_coverage import masking_coverage
from ..models.record_context import build_context, masked_event_keys
from .common import WorkflowCase
from .rest_common import RestApiCase

PHONE = "+1 (202) 555-0122"
MASKED_PHONE = "•••• 0122"
CLEAR_PARTS = ("(202) 555", "555-0122", "2025550", "5550122")
"""Pieces of the phone number, clear or sanitized, that nothing shown may contain."""

PROBES = {
    "clear attribute": "{{lead.phone.clear}}",
    "map attribute": "{{[lead]|map(attribute='phone.clear')|join}}",
    "attr filter": "{{lead.phone|attr('clear')}}",
    "comparisons and string methods": "{{lead.phone.startswith('+1')}} {{'202' in lead.phone}} "
                                      "{{lead.phone == '" + PHONE + "'}} {{lead.phone.find('555')}}",
}
"""Templates that read a masked phone's real value, or compare it, on the code before masking held."""


class ShowsNoClearValue:
    def assertShowsNoClearValue(self, shown):
        for part in CLEAR_PARTS:
            self.assertNotIn(part, shown)


@tagged("post_install", "-at_install")
class TestMasking(ShowsNoClearValue, WorkflowCase):
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
                self.assertShowsNoClearValue(shown)
                self.assertIn(MASKED_PHONE, shown)

    def test_a_run_as_user_inside_the_allowed_group_sees_the_value(self):
        self.manager.write({"groups_id": [Command.link(self.seeing_group.id)]})
        for place, shown in self._shown_everywhere().items():
            with self.subTest(place=place):
                self.assertIn(PHONE, shown)
                self.assertNotIn(MASKED_PHONE, shown)

    def test_fields_that_hold_no_masked_value_stay_in_clear(self):
        self.lead.mobile = PHONE
        partner = self.env["res.partner"].create({"name": "P", "email": "p@example.com", "mobile": PHONE})
        context = build_context(self.lead.with_user(self.manager), {})
        self.assertEqual(templates.render("{{lead.email_from}} {{lead.mobile}}", context),
                         f"buyer@acme.example.com {PHONE}")
        self.assertEqual(templates.render("{{record.email}} {{record.mobile}}",
                                          build_context(partner.with_user(self.manager), {})),
                         f"p@example.com {PHONE}")

    def _shown_by_run_and_dry_run(self, workflow, record=None):
        """Everything a run and a dry run of ``workflow`` on ``record`` (the lead) show, as JSON text."""
        record = record or self.lead
        run = workflow.with_user(self.manager).execute(record._name, record.id)
        dry_run = workflow.with_user(self.manager).dry_run(record._name, record.id)
        shown = [run.explanation, run.payload, run.error, dry_run]
        shown += [[action_run.input, action_run.output, action_run.error] for action_run in run.action_run_ids]
        return run, dry_run, json.dumps(shown, ensure_ascii=False)

    def test_no_template_reads_or_probes_the_real_value(self):
        workflow = self.Workflow.with_user(self.manager).create({
            "name": "Probe",
            "action_ids": [
                Command.create({"name": name, "action_type": "add_note", "allow_failure": True,
                                "config": {"note": probe}})
                for name, probe in PROBES.items()
            ],
        })
        run, dry_run, shown = self._shown_by_run_and_dry_run(workflow)
        self.assertShowsNoClearValue(shown)
        action_runs = {action_run.action_id.name: action_run for action_run in run.action_run_ids}
        for name in ("clear attribute", "map attribute", "attr filter"):
            with self.subTest(probe=name):
                self.assertEqual(action_runs[name].state, "failed")
                self.assertIn("undefined variable", action_runs[name].error)
        # A masked value compares and searches as its mask, "•••• 0122".
        self.assertEqual(action_runs["comparisons and string methods"].input["note"], "False False False -1")
        self.assertEqual(dry_run["actions"][3]["input"]["note"], "False False False -1")

    def test_a_condition_compares_the_real_value_but_reaches_nothing_behind_it(self):
        workflow = self.Workflow.with_user(self.manager).create({
            "name": "Probe conditions",
            "trigger_ids": [Command.create({
                "event_type": "lead.created",
                "conditions": {"or": [
                    {"field": "lead.phone.clear", "operator": "startswith", "value": "+"},
                    {"field": "lead.phone._clear", "operator": "startswith", "value": "+"},
                ]},
            })],
            "action_ids": [Command.create({"name": "Note", "action_type": "add_note", "config": {"note": "Hit"}})],
        })
        run, dry_run, shown = self._shown_by_run_and_dry_run(workflow)
        self.assertEqual(run.state, "skipped")
        self.assertFalse(dry_run["holds"])
        self.assertEqual([leaf["actual"] for leaf in run.explanation["leaves"]], [None, None])
        self.assertShowsNoClearValue(shown)

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
        # The run's key must not confirm a guess of the masked value: hashing what the run
        # shows, with the guess in place of the mask, must not give the key.
        guessed = dict(run.payload, lead_data=dict(run.payload["lead_data"], phone=PHONE))
        identity = [workflow.id, run.event_type, run.res_model, run.res_id, guessed]
        digest = hashlib.sha256(json.dumps(identity, sort_keys=True, default=str).encode()).hexdigest()
        self.assertTrue(run.idempotency_key.startswith("event:"))
        self.assertNotEqual(run.idempotency_key, f"event:{digest[:40]}")


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

    def test_api_run_documents_show_no_path_to_a_masked_value(self):
        self.env.company.workflow_masked_field_ids = self.env["ir.model.fields"]._get("crm.lead", "phone")
        self.lead.partner_id = self.env["res.partner"].create({"name": "Caller", "phone": PHONE})
        probes = {**PROBES, "related and computed": "{{deal.partner_id.phone}} {{deal.phone_sanitized}}"}
        workflow = self.env["workflow.workflow"].with_user(self.manager).create({
            "name": "Probe", "execution_mode": "immediate",
            "trigger_ids": [Command.create({"event_type": "deal.won", "conditions": {"or": [
                {"field": "deal.phone.clear", "operator": "eq", "value": "x"},
                {"field": "deal.phone", "operator": "endswith", "value": "0122"},
            ]}})],
            "action_ids": [
                Command.create({"name": name, "action_type": "add_note", "allow_failure": True,
                                "config": {"note": probe.replace("lead.", "deal.")}})
                for name, probe in probes.items()
            ],
        })
        response = self.api("POST", f"/api/v1/workflows/{workflow.id}/execute/",
                            {"res_model": "crm.lead", "res_id": self.lead.id}, user=self.user)
        self.assertEqual(response.status_code, 200, response.text)
        run = self.api("GET", f"/api/v1/workflow-runs/{response.json()['id']}/", user=self.user).json()
        shown = json.dumps(run, ensure_ascii=False)
        self.assertIn(MASKED_PHONE, shown)
        for part in CLEAR_PARTS:
            self.assertNotIn(part, shown)


@tagged("post_install", "-at_install")
class TestMaskingCoverage(ShowsNoClearValue, WorkflowCase):
    """Masking a field masks every other path to its value: the fields Odoo computes from it,
    the field it mirrors, related paths, exports, explanations, dry runs."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.seeing_group = cls.env["res.groups"].create({"name": "Sees masked CRM fields"})
        cls.partner = cls.env["res.partner"].create({"name": "Caller", "phone": PHONE})
        cls.called_lead = cls.env["crm.lead"].create({"name": "Call me", "type": "lead", "partner_id": cls.partner.id})

    def _mask(self, *fields):
        field_ids = [self.env["ir.model.fields"]._get(*field.rsplit(".", 1)).id for field in fields]
        self.env.company.write({
            "workflow_masked_field_ids": [Command.set(field_ids)],
            "workflow_unmasking_group_ids": [Command.set(self.seeing_group.ids)],
        })

    def _rendered(self, template, record):
        return templates.render(template, build_context(record.with_user(self.manager), {}))

    def test_the_fields_computed_from_mirrored_by_and_related_to_a_masked_field_are_masked(self):
        self._mask("crm.lead.phone")
        self.assertEqual(self.called_lead.phone, PHONE, "a lead's phone is its partner's")
        self.assertEqual(self.called_lead.phone_sanitized, "+12025550122")
        self.manager.partner_id.phone = PHONE
        paths = {
            "crm.lead.phone": ("{{lead.phone}}", self.called_lead),
            "crm.lead.phone_sanitized (computed)": ("{{lead.phone_sanitized}}", self.called_lead),
            "res.partner.phone (mirrored)": ("{{lead.partner_id.phone}}", self.called_lead),
            "res.partner.phone of a contact": ("{{contact.phone}}", self.partner),
            "res.partner.phone_sanitized": ("{{lead.partner_id.phone_sanitized}}", self.called_lead),
            "res.users.phone (related)": ("{{user.phone}}", self.called_lead),
            "res.users.partner_id.phone": ("{{user.partner_id.phone}}", self.called_lead),
        }
        for path, (template, record) in paths.items():
            with self.subTest(path=path):
                shown = self._rendered(template, record)
                self.assertTrue(shown.startswith("••••"), shown)
                self.assertShowsNoClearValue(shown)
        self.manager.write({"groups_id": [Command.link(self.seeing_group.id)]})
        self.assertEqual(self._rendered("{{lead.partner_id.phone}} {{user.phone}}", self.called_lead),
                         f"{PHONE} {PHONE}")

    def test_masking_a_lead_email_masks_its_normalized_form_and_the_partners_email(self):
        self._mask("crm.lead.email_from")
        self.partner.email = "caller@example.com"
        self.assertEqual(self.called_lead.email_from, "caller@example.com")
        shown = self._rendered("{{lead.email_from}} {{lead.email_normalized}} {{lead.partner_id.email}} "
                               "{{lead.partner_id.email_formatted}} {{user.email}}", self.called_lead)
        self.assertEqual(shown, "•••• .com •••• .com •••• .com •••• com> •••• .com")
        self.assertNotIn("caller", shown)

    def test_masking_a_partner_field_masks_the_lead_fields_that_mirror_it(self):
        self._mask("res.partner.phone", "res.partner.mobile")
        self.partner.mobile = PHONE
        self.called_lead.mobile = PHONE
        self.assertEqual(self._rendered("{{lead.phone}} {{lead.mobile}}", self.called_lead),
                         f"{MASKED_PHONE} {MASKED_PHONE}")

    def test_runs_dry_runs_and_explanations_mask_every_path(self):
        self._mask("crm.lead.phone")
        sanitized = self.called_lead.phone_sanitized
        workflow = self.Workflow.with_user(self.manager).create({
            "name": "Call back",
            "trigger_ids": [Command.create({"event_type": "lead.created", "conditions": {"and": [
                {"field": "lead.partner_id.phone", "operator": "eq", "value": PHONE},
                {"field": "lead.phone_sanitized", "operator": "eq", "value": sanitized},
            ]}})],
            "action_ids": [Command.create({"name": "Note", "action_type": "add_note", "config": {
                "note": "Call {{lead.partner_id.phone}} or {{lead.phone_sanitized}}",
            }})],
        })
        run = workflow.with_user(self.manager).execute("crm.lead", self.called_lead.id)
        self.assertEqual(run.state, "success", "conditions compare the real values")
        dry_run = workflow.with_user(self.manager).dry_run("crm.lead", self.called_lead.id)
        self.assertTrue(dry_run["holds"])
        self.assertEqual(run.action_run_ids.input["note"], f"Call {MASKED_PHONE} or •••• 122")
        self.assertEqual(dry_run["actions"][0]["input"], run.action_run_ids.input)
        for place, explanation in (("run", run.explanation), ("dry run", dry_run["explanation"])):
            with self.subTest(place=place):
                self.assertEqual([leaf["actual"] for leaf in explanation["leaves"]], [MASKED_PHONE, "•••• 122"])
                self.assertIn("actual \"•••• 122\"", explanation["summary"])
        payload = masked_event_keys(self.partner.with_user(self.manager), {"contact_data": {"phone": PHONE}})
        self.assertEqual(payload["contact_data"]["phone"], MASKED_PHONE)

    def test_update_field_reports_a_masked_old_value_masked(self):
        self._mask("res.partner.phone")
        workflow = self.Workflow.with_user(self.manager).create({
            "name": "New number",
            "action_ids": [Command.create({"name": "Update", "action_type": "update_field", "config": {
                "entity_type": "lead", "entity_id": "{{lead.id}}", "field": "phone", "value": "+1 (202) 555-0199",
            }})],
        })
        run = workflow.with_user(self.manager).execute("crm.lead", self.called_lead.id)
        self.assertEqual(run.state, "success", run.action_run_ids.error)
        self.assertEqual(run.action_run_ids.output["old_value"], MASKED_PHONE)
        self.assertEqual(self.called_lead.phone, "+1 (202) 555-0199")

    def test_enqueue_export_masks_the_covered_columns(self):
        self._mask("res.partner.phone")
        workflow = self.Workflow.with_user(self.admin).create({
            "name": "Export",
            "action_ids": [Command.create({"name": "Export", "action_type": "enqueue_export", "config": {
                "export_type": "csv", "entity_type": "lead", "filters": {"name": "Call me"},
                "fields": ["name", "phone", "phone_sanitized", "mobile"], "email_to": "{{user.email}}",
            }})],
        })
        for sees, expected in ((False, f"Call me,{MASKED_PHONE},•••• 122,"),
                               (True, f"Call me,{PHONE},{self.called_lead.phone_sanitized},")):
            with self.subTest(run_as_in_allowed_group=sees):
                if sees:
                    self.admin.write({"groups_id": [Command.link(self.seeing_group.id)]})
                run = workflow.execute("crm.lead", self.called_lead.id)
                self.assertEqual(run.state, "success", run.action_run_ids.error)
                export = self.env["workflow.export"].browse(run.action_run_ids.output["export_id"])
                export._send()
                self.assertEqual(export.attachment_id.raw.decode().splitlines()[1], expected)

    def test_the_settings_say_which_fields_are_covered_because_of_which(self):
        self._mask("crm.lead.phone")
        coverage = self.env["res.config.settings"].create({}).workflow_masking_coverage.splitlines()
        for line in ("crm.lead.phone_sanitized (computed from crm.lead.phone)",
                     "res.partner.phone (crm.lead.phone is computed from it)",
                     "res.partner.phone_sanitized (computed from res.partner.phone)",
                     "res.users.phone (related to res.partner.phone)"):
            self.assertIn(line, coverage)
        covered = {f"{model}.{name}" for model, name in masking_coverage(self.env.registry, {("crm.lead", "phone")})}
        self.assertNotIn("crm.lead.mobile", covered, "phone_sanitized comes from the mobile too: no path to the phone")
        email_coverage = masking_coverage(self.env.registry, {("crm.lead", "email_from")})
        self.assertEqual(email_coverage[("crm.lead", "email_normalized")], "computed from crm.lead.email_from")
        self.assertEqual(email_coverage[("res.partner", "email")], "crm.lead.email_from is computed from it")
        self.assertEqual(email_coverage[("res.users", "email")], "related to res.partner.email")
        self.assertNotIn(("res.partner", "display_name"), email_coverage,
                         "a partner's name shows its e-mail only in display contexts that workflows do not set")
        self.assertEqual(masking_coverage(self.env.registry, {("res.partner", "mobile")})[("crm.lead", "mobile")],
                         "mirrors res.partner.mobile")
