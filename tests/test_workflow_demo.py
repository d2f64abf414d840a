from odoo.tests import TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestWorkflowDemo(TransactionCase):
    """The design's three usage examples, as the demo data defines them."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if not cls.env.ref("workflow_engine.workflow_demo_qualify", raise_if_not_found=False):
            cls.skipTest(cls, "demo data is not loaded")
        cls.lead = cls.env["crm.lead"].create({
            "name": "Demo prospect", "type": "lead", "expected_revenue": 60000,
            "email_from": "ceo@prospect.example.com", "partner_name": "Prospect Inc",
            "probability": 10,
        })

    def test_example_1_qualifies_a_high_value_lead(self):
        workflow = self.env.ref("workflow_engine.workflow_demo_qualify")
        run = workflow.execute("crm.lead", self.lead.id)
        self.assertEqual(run.state, "success", run.action_run_ids.mapped("error"))
        self.assertEqual(len(run.action_run_ids), 4)
        self.assertEqual(self.lead.stage_id.name, "Qualified")
        self.assertEqual(self.lead.user_id, self.env.ref("base.user_demo"))
        admin_partner = self.env.ref("base.user_admin").partner_id
        inbox = self.env["mail.notification"].search([
            ("res_partner_id", "=", admin_partner.id), ("notification_type", "=", "inbox"),
            ("mail_message_id", "in", run.action_run_ids[2].output["message_ids"]),
        ])
        self.assertEqual(len(inbox), 1)
        self.assertIn("New qualified lead: Prospect Inc", inbox.mail_message_id.body)
        activity = self.lead.activity_ids
        self.assertEqual(activity.summary, "Follow up with Prospect Inc")
        self.assertEqual(activity.user_id, self.env.ref("base.user_demo"))

    def test_example_2_reacts_to_the_proposition_stage(self):
        workflow = self.env.ref("workflow_engine.workflow_demo_stage")
        self.lead.write({"type": "opportunity", "user_id": self.env.ref("base.user_admin").id})
        run = workflow.execute(
            "crm.lead", self.lead.id, {"old_stage": "Qualified", "new_stage": "Proposition"}
        )
        self.assertEqual(run.state, "success", run.action_run_ids.mapped("error"))
        mails = self.env["mail.mail"].browse(run.action_run_ids[0].output["mail_ids"])
        self.assertEqual(mails.mapped("subject"), ["Demo prospect reached Proposition"])
        self.assertIn(self.env.ref("base.user_admin").email, mails.recipient_ids.mapped("email"))
        self.assertIn("Moved from Qualified to Proposition", self.lead.message_ids[0].body)
        self.assertTrue(self.lead.date_deadline)
        skipped = workflow.execute("crm.lead", self.lead.id, {"new_stage": "Won"})
        self.assertEqual(skipped.state, "skipped")

    def test_example_3_nurtures_a_new_low_score_lead(self):
        workflow = self.env.ref("workflow_engine.workflow_demo_nurture")
        run = workflow.execute("crm.lead", self.lead.id)
        self.assertEqual(run.state, "success", run.action_run_ids.mapped("error"))
        self.assertEqual(self.lead.tag_ids.mapped("name"), ["nurture_track"])
        self.assertTrue(self.lead.activity_ids.filtered(lambda a: a.summary.startswith("Nurture follow-up")))
        mails = self.env["mail.mail"].browse(run.action_run_ids[0].output["mail_ids"])
        self.assertIn("ceo@prospect.example.com", mails.recipient_ids.mapped("email"))
        self.assertEqual(set(mails.mapped("subject")), {"Welcome to YourCompany"})
