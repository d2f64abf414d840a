from datetime import timedelta

from freezegun import freeze_time

from odoo import fields
from odoo.tests import tagged

from .common import QueueCase


@tagged("post_install", "-at_install")
class TestWorkflowDemo(QueueCase):
    """The design's three usage examples, as the demo data defines them, run end to end
    when CRM records change (Example 3 for a week, with time moved forward)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if not cls.env.ref("workflow_engine.workflow_demo_qualify", raise_if_not_found=False):
            cls.skipTest(cls, "demo data is not loaded")
        cls.stages = {stage.name: stage for stage in cls.env["crm.stage"].search([])}

    def _runs(self, xmlid, record):
        return self.env.ref(xmlid).run_ids.filtered(lambda run: run.res_id == record.id)

    def test_example_1_qualifies_a_new_high_value_lead(self):
        lead = self.env["crm.lead"].create({
            "name": "Demo prospect", "type": "lead", "expected_revenue": 60000,
            "email_from": "ceo@prospect.example.com", "partner_name": "Prospect Inc",
        })
        run = self._runs("workflow_engine.workflow_demo_qualify", lead)
        self.assertEqual(run.state, "success", run.action_run_ids.mapped("error"))
        self.assertEqual(len(run.action_run_ids), 4)
        self.assertEqual(lead.stage_id.name, "Qualified")
        self.assertEqual(lead.user_id, self.env.ref("base.user_demo"))
        inbox = self.env["mail.notification"].search([
            ("res_partner_id", "=", self.env.ref("base.user_admin").partner_id.id),
            ("notification_type", "=", "inbox"),
            ("mail_message_id", "in", run.action_run_ids[2].output["message_ids"]),
        ])
        self.assertIn("New qualified lead: Prospect Inc", inbox.mail_message_id.body)
        self.assertEqual(lead.activity_ids.summary, "Follow up with Prospect Inc")
        self.assertEqual(lead.activity_ids.user_id, self.env.ref("base.user_demo"))
        self.assertFalse(
            self._runs("workflow_engine.workflow_demo_nurture", lead),
            "the lead left the stage New before the nurture workflow, of lower priority, was evaluated",
        )

    def test_example_2_reacts_when_a_deal_reaches_proposition(self):
        deal = self.env["crm.lead"].create({
            "name": "Demo deal", "type": "opportunity", "user_id": self.env.ref("base.user_admin").id,
            "stage_id": self.stages["Qualified"].id, "expected_revenue": 150000,
        })
        deal.stage_id = self.stages["Proposition"]
        run = self._runs("workflow_engine.workflow_demo_stage", deal)
        self.assertEqual(run.state, "success", run.action_run_ids.mapped("error"))
        self.assertEqual(run.payload, {"deal_id": deal.id, "old_stage": "Qualified", "new_stage": "Proposition"})
        mails = self.env["mail.mail"].browse(run.action_run_ids[0].output["mail_ids"])
        self.assertEqual(set(mails.mapped("subject")), {"Demo deal reached Proposition"})
        self.assertIn(self.env.ref("base.user_admin").email, mails.recipient_ids.mapped("email"))
        self.assertTrue(deal.message_ids.filtered(lambda m: "Moved from Qualified to Proposition" in m.body))
        self.assertTrue(deal.date_deadline)
        approval = deal.activity_ids.filtered(lambda a: a.summary == "Approve the proposal for Demo deal")
        self.assertEqual(approval.user_id, self.env.ref("base.user_admin"))
        self.assertEqual(run.action_run_ids[1].state, "success")
        deal.stage_id = self.stages["Won"]
        self.assertEqual(len(self._runs("workflow_engine.workflow_demo_stage", deal)), 1)

    def test_example_2_asks_no_approval_at_or_below_100000(self):
        deal = self.env["crm.lead"].create({
            "name": "Small deal", "type": "opportunity", "user_id": self.env.ref("base.user_admin").id,
            "stage_id": self.stages["Qualified"].id, "expected_revenue": 100000,
        })
        deal.stage_id = self.stages["Proposition"]
        run = self._runs("workflow_engine.workflow_demo_stage", deal)
        logs = {log.name: log for log in run.action_run_ids}
        self.assertEqual(run.state, "success", run.action_run_ids.mapped("error"))
        approval = logs["Approval request above 100,000"]
        self.assertEqual(approval.state, "skipped")
        self.assertIn("100000", approval.explanation["summary"])
        self.assertFalse(deal.activity_ids.filtered(lambda a: a.summary.startswith("Approve the proposal")))
        # The run went on after the skipped action.
        self.assertEqual(
            (logs["Note on the timeline"].state, logs["Update the forecast"].state), ("success", "success")
        )

    def test_the_welcome_e_mail_ab_test_splits_new_leads_and_counts_the_won_ones(self):
        workflow = self.env.ref("workflow_engine.workflow_demo_split")
        # The leads the demo data itself created go through the split first.
        self._drain()
        [before] = workflow.get_variant_statistics()[workflow.id]["splits"]
        before = {row["variant"]: (row["records"], row["conversions"]) for row in before["variants"]}
        leads = self.env["crm.lead"].create([
            {"name": f"A/B prospect {index}", "type": "lead", "email_from": f"ab{index}@example.com", "probability": 70}
            for index in range(40)
        ])
        queued = self._runs("workflow_engine.workflow_demo_split", leads[0])
        self.assertEqual((queued.state, queued.action_run_ids), ("pending", self.env["workflow.action.run"]),
                         "queued: nothing runs in the transaction that creates the lead")
        self._drain()
        subjects = {"A": "Welcome to", "B": "How our customers grew with"}
        variants = {}
        for lead in leads:
            run = self._runs("workflow_engine.workflow_demo_split", lead)
            self.assertEqual(run.state, "success", run.action_run_ids.mapped("error"))
            split, email_a, email_b = run.action_run_ids.sorted("ordering")
            variant = variants[lead] = split.output["variant"]
            sent, skipped = (email_a, email_b) if variant == "A" else (email_b, email_a)
            self.assertEqual((sent.state, skipped.state), ("success", "skipped"))
            self.assertTrue(skipped.explanation)
            mails = self.env["mail.mail"].browse(sent.output["mail_ids"])
            [subject] = set(mails.mapped("subject"))
            self.assertTrue(subject.startswith(subjects[variant]), subject)
            self.assertIn(lead.email_from, mails.recipient_ids.mapped("email"))
        counts = {name: list(variants.values()).count(name) for name in "AB"}
        self.assertTrue(counts["A"] and counts["B"], counts)
        won = [lead for lead in leads if variants[lead] == "B"][:3]
        for lead in won:
            lead.stage_id = self.stages["Won"]
        [split] = workflow.get_variant_statistics()[workflow.id]["splits"]
        table = {row["variant"]: (row["records"], row["conversions"]) for row in split["variants"]}
        self.assertEqual(table, {
            "A": (before["A"][0] + counts["A"], before["A"][1]),
            "B": (before["B"][0] + counts["B"], before["B"][1] + 3),
        })
        self.assertEqual(split["key"], "ab")
        self.assertIn(split["sentence"], workflow.variant_statistics_html)
        self.assertFalse(self._runs("workflow_engine.workflow_demo_nurture", leads[0]), "a score of 60 or more")

    def test_example_3_nurtures_a_new_low_score_lead_for_a_week(self):
        start = fields.Datetime.now()
        with freeze_time(start) as frozen:
            lead = self.env["crm.lead"].create({
                "name": "Curious visitor", "type": "lead", "expected_revenue": 500,
                "email_from": "visitor@example.com", "probability": 10,
                "user_id": self.env.ref("base.user_demo").id,
            })
            self._drain()
            run = self._runs("workflow_engine.workflow_demo_nurture", lead)
            self.assertEqual(run.state, "waiting", run.action_run_ids.mapped("error"))
            self.assertEqual(lead.tag_ids.mapped("name"), ["nurture_track"])
            mails = self.env["mail.mail"].browse(run.action_run_ids[1].output["mail_ids"])
            self.assertIn("visitor@example.com", mails.recipient_ids.mapped("email"))
            frozen.tick(timedelta(days=3, minutes=1))
            self._drain()
            self.assertEqual(run.state, "waiting")
            self.assertTrue(lead.message_ids.filtered(lambda m: (m.subject or "").startswith("Still interested")))
            frozen.tick(timedelta(days=4, minutes=1))
            self._drain()
        self.assertEqual(run.state, "success", run.action_run_ids.mapped("error"))
        task = lead.activity_ids.filtered(lambda a: a.summary == "Nurture follow-up: Curious visitor")
        self.assertEqual(task.user_id, self.env.ref("base.user_demo"))
        self.assertFalse(self._runs("workflow_engine.workflow_demo_qualify", lead))

    def test_example_3_stops_when_the_lead_is_won_during_the_first_wait(self):
        with freeze_time(fields.Datetime.now()) as frozen:
            lead = self.env["crm.lead"].create({
                "name": "Fast buyer", "type": "lead", "email_from": "buyer@example.com", "probability": 10,
            })
            self._drain()
            lead.stage_id = self.stages["Won"]
            frozen.tick(timedelta(days=3, minutes=1))
            self._drain()
        run = self._runs("workflow_engine.workflow_demo_nurture", lead)
        self.assertEqual(run.state, "exited")
        self.assertFalse(lead.message_ids.filtered(lambda m: (m.subject or "").startswith("Still interested")))
