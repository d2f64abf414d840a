from odoo import Command
from odoo.tests import Form, new_test_user, tagged

from ..models.record_context import build_context, user_today
from .common import WorkflowCase


@tagged("post_install", "-at_install")
class TestWorkflowEvents(WorkflowCase):
    """Every row of the trigger matrix, emitted by the CRM hooks, starts the matching runs."""

    def _workflow(self, event_type, conditions=None, note="{{record.display_name}}", **values):
        trigger = {"event_type": event_type, "conditions": conditions}
        if event_type == "custom":
            trigger["custom_event"] = values.pop("custom_event")
        return self.Workflow.create({
            "name": f"On {event_type}",
            "trigger_ids": [Command.create(trigger)],
            "action_ids": [Command.create({"name": "Note", "action_type": "add_note", "config": {"note": note}})],
            **values,
        })

    def _queries_to_create_in_a_new_cache(self):
        # A request's cache holds none of the workflows.
        self.env.invalidate_all()
        before = self.env.cr.sql_log_count
        self.env["crm.lead"].create({"name": "Lead", "type": "lead"})
        self.env.flush_all()
        return self.env.cr.sql_log_count - before

    def _runs(self, workflow):
        return workflow.run_ids.sorted("id")

    def test_lead_created(self):
        workflow = self._workflow(
            "lead.created", {"field": "amount", "operator": "gte", "value": 1000}, note="New lead {{lead_id}}"
        )
        leads = self.env["crm.lead"].create([
            {"name": "Big", "type": "lead", "expected_revenue": 5000},
            {"name": "Small", "type": "lead", "expected_revenue": 10},
            {"name": "Untyped", "expected_revenue": 2000},
            {"name": "Opportunity", "type": "opportunity", "expected_revenue": 9000},
        ])
        runs = self._runs(workflow)
        # "Untyped" is an opportunity: its creator does not work with leads (see the next test).
        self.assertEqual(leads[2].type, "opportunity")
        self.assertEqual(runs.mapped("res_id"), leads[0].ids)
        self.assertEqual(runs.mapped("state"), ["success"])
        self.assertEqual(runs[0].payload["lead_id"], leads[0].id)
        self.assertEqual(runs[0].payload["lead_data"]["name"], "Big")
        self.assertEqual(runs[0].event_type, "lead.created")
        self.assertEqual(runs[0].trigger_id, workflow.trigger_ids)
        self.assertIn(f"New lead {leads[0].id}", leads[0].message_ids[0].body)

    def test_lead_created_goes_by_the_type_the_lead_got(self):
        workflow = self._workflow("lead.created")
        sales = "base.group_user,sales_team.group_sale_salesman_all_leads"
        with_leads = new_test_user(self.env, "wf_with_leads", groups=f"{sales},crm.group_use_lead")
        without_leads = new_test_user(self.env, "wf_without_leads", groups=sales)
        # Without a type in the values, crm makes a lead only for those who work with leads.
        lead = self.env["crm.lead"].with_user(with_leads).create({"name": "Untyped, with leads"})
        opportunity = self.env["crm.lead"].with_user(without_leads).create({"name": "Untyped, without leads"})
        self.assertEqual((lead.type, opportunity.type), ("lead", "opportunity"))
        self.assertEqual(self._runs(workflow).mapped("res_id"), lead.ids)

    def test_lead_converted_by_write_wizard_and_merge(self):
        workflow = self._workflow("lead.converted", note="Converted {{lead_id}} into {{deal_id}}")
        written = self.env["crm.lead"].create({"name": "Written", "type": "lead"})
        written.write({"type": "opportunity"})
        wizard_lead = self.env["crm.lead"].create({"name": "Wizard", "type": "lead", "partner_name": "Wiz"})
        wizard = Form(self.env["crm.lead2opportunity.partner"].with_context(
            active_model="crm.lead", active_id=wizard_lead.id, active_ids=wizard_lead.ids,
        ))
        wizard.name = "convert"
        wizard.action = "nothing"
        wizard.save().action_apply()
        self.assertEqual(wizard_lead.type, "opportunity")
        survivor = self.env["crm.lead"].create({"name": "Survivor", "type": "opportunity", "probability": 90})
        merged = self.env["crm.lead"].create({"name": "Merged", "type": "lead", "probability": 5})
        result = (survivor | merged)._merge_opportunity(auto_unlink=False)
        self.assertEqual(result, survivor)
        payloads = self._runs(workflow).mapped("payload")
        self.assertEqual(payloads, [
            {"lead_id": written.id, "deal_id": written.id},
            {"lead_id": wizard_lead.id, "deal_id": wizard_lead.id},
            {"lead_id": merged.id, "deal_id": survivor.id},
        ])

    def test_deal_stage_changed_won_and_lost(self):
        moved = self._workflow("deal.stage_changed", {"field": "new_stage", "operator": "eq", "value": "Proposition"})
        won = self._workflow("deal.won", note="Won {{amount}}")
        lost = self._workflow("deal.lost", note="Lost: {{reason}}")
        stages = {stage.name: stage for stage in self.env["crm.stage"].search([])}
        deal = self.env["crm.lead"].create({
            "name": "Deal", "type": "opportunity", "expected_revenue": 700, "stage_id": stages["New"].id,
        })
        lead = self.env["crm.lead"].create({"name": "Still a lead", "type": "lead"})
        lead.stage_id = stages["Proposition"]
        deal.stage_id = stages["Qualified"]
        deal.stage_id = stages["Proposition"]
        self.assertEqual(self._runs(moved).mapped("payload"), [
            {"deal_id": deal.id, "old_stage": "Qualified", "new_stage": "Proposition"},
        ])
        self.assertEqual(self.env["workflow.run"].search_count([("workflow_id", "=", moved.id)]), 1)
        deal.action_set_won()
        self.assertEqual(self._runs(won).mapped("payload"), [{"deal_id": deal.id, "amount": 700.0}])
        self.assertIn("Won 700.0", deal.message_ids[0].body)
        other = self.env["crm.lead"].create({"name": "Other", "type": "opportunity", "expected_revenue": 5})
        other.stage_id = stages["Won"]
        self.assertEqual(self._runs(won)[-1].payload, {"deal_id": other.id, "amount": 5.0})
        reason = self.env["crm.lost.reason"].create({"name": "Too expensive"})
        lost_deal = self.env["crm.lead"].create({"name": "Lost deal", "type": "opportunity"})
        lost_deal.action_set_lost(lost_reason_id=reason.id)
        noted_deal = self.env["crm.lead"].create({"name": "Noted deal", "type": "opportunity"})
        self.env["crm.lead.lost"].create({
            "lead_ids": noted_deal.ids, "lost_feedback": "<p>They chose a competitor</p>",
        }).action_lost_reason_apply()
        self.assertEqual(self._runs(lost).mapped("payload"), [
            {"deal_id": lost_deal.id, "reason": "Too expensive"},
            {"deal_id": noted_deal.id, "reason": "They chose a competitor"},
        ])

    def test_contact_and_account_created(self):
        contacts = self._workflow("contact.created", {"field": "email", "operator": "endswith", "value": "@acme.com"})
        accounts = self._workflow("account.created", note="Account {{account_data.name}}")
        company, person, stranger = self.env["res.partner"].create([
            {"name": "Acme", "is_company": True},
            {"name": "Ann", "email": "ann@acme.com"},
            {"name": "Bob", "email": "bob@elsewhere.com"},
        ])
        self.assertEqual(self._runs(contacts).mapped("payload"), [{
            "contact_id": person.id, "contact_data": {"name": "Ann", "email": "ann@acme.com"},
        }])
        self.assertEqual(self._runs(accounts).mapped("res_id"), company.ids)
        self.assertIn("Account Acme", company.message_ids[0].body)
        self.assertFalse(stranger.workflow_run_count)

    def test_timeline_events(self):
        lead = self.env["crm.lead"].with_context(tracking_disable=False).create({"name": "Timeline", "type": "lead"})
        self.env.flush_all()
        self.env.cr.precommit.run()
        workflow = self._workflow("timeline.event", {"field": "event_type", "operator": "ne", "value": "note"})
        lead.message_post(body="Hello", message_type="comment", subtype_xmlid="mail.mt_comment")
        lead.message_post(body="Internal", message_type="comment", subtype_xmlid="mail.mt_note")
        lead.with_context(tracking_disable=False).user_id = self.manager
        self.env.flush_all()
        self.env.cr.precommit.run()
        activity = lead.activity_schedule("mail.mail_activity_data_todo", summary="Call")
        activity.action_feedback(feedback="Done")
        payloads = self._runs(workflow).mapped("payload")
        self.assertEqual([payload["event_type"] for payload in payloads], ["message", "tracking", "activity_done"])
        self.assertEqual({(p["entity_type"], p["entity_id"]) for p in payloads}, {("lead", lead.id)})
        self.assertTrue(all(payload["message_id"] for payload in payloads))

    def test_custom_event(self):
        workflow = self._workflow(
            "custom", {"field": "days", "operator": "gt", "value": 30}, custom_event="invoice.overdue",
            note="Overdue by {{days}} days",
        )
        self._workflow("custom", custom_event="something.else")
        runs = self.Workflow.with_user(self.user).emit_event("invoice.overdue", {"days": 45}, records=self.lead)
        self.assertEqual(runs.workflow_id, workflow)
        self.assertEqual(runs.payload, {"days": 45})
        self.assertIn("Overdue by 45 days", self.lead.message_ids[0].body)
        self.assertFalse(self.Workflow.emit_event("invoice.overdue", {"days": 3}, records=self.lead))
        run_ids = self.Workflow.emit_event(
            "invoice.overdue", {"days": 60}, records={"res_model": "crm.lead", "res_ids": self.lead.ids}
        )
        self.assertEqual(run_ids.res_id, self.lead.id)
        without_record = self.Workflow.emit_event("invoice.overdue", {"days": 90})
        self.assertEqual(without_record.state, "failed")
        self.assertIn("no record", without_record.error)

    def test_priority_orders_the_runs_and_changes_invalidate_the_cache(self):
        self.env["crm.lead"].create({"name": "Before any workflow", "type": "lead"})
        low = self._workflow("lead.created", priority=1)
        high = self._workflow("lead.created", priority=90)
        lead = self.env["crm.lead"].create({"name": "Ordered", "type": "lead"})
        runs = self.env["workflow.run"].search([("res_id", "=", lead.id), ("res_model", "=", "crm.lead")], order="id")
        self.assertEqual(runs.workflow_id.ids, [high.id, low.id])
        high.active = False
        low.trigger_ids.conditions = {"field": "name", "operator": "eq", "value": "Only me"}
        self.env["crm.lead"].create({"name": "Nobody", "type": "lead"})
        self.env["crm.lead"].create({"name": "Only me", "type": "lead"})
        self.assertEqual(len(high.run_ids), 1)
        self.assertEqual([run.payload["lead_data"]["name"] for run in self._runs(low)], ["Ordered", "Only me"])

    def test_workflows_of_another_company_ignore_this_companys_records(self):
        other = self.env["res.company"].create({"name": "Other Co"})
        foreign = self._workflow("lead.created", company_id=other.id)
        shared = self._workflow("lead.created", company_id=False)
        self.env["crm.lead"].create({"name": "Here", "type": "lead", "company_id": self.env.company.id})
        self.assertFalse(foreign.run_ids)
        self.assertEqual(len(shared.run_ids), 1)

    def test_a_workflow_cannot_loop_forever(self):
        workflow = self._workflow("timeline.event", {"field": "event_type", "operator": "eq", "value": "note"},
                                  note="Echo")
        self.lead.message_post(body="Start", message_type="comment", subtype_xmlid="mail.mt_note")
        runs = self._runs(workflow)
        self.assertEqual(runs.mapped("depth"), [0, 1, 2, 3, 4, 5])
        self.assertEqual(runs.mapped("state"), ["success"] * 5 + ["failed"])
        self.assertEqual(runs[-1].error_code, "chain_too_deep")
        self.assertIn("deeper than the limit of 5", runs[-1].error)
        self.env["ir.config_parameter"].set_param("workflow_engine.max_chain_depth", 2)
        self.lead.message_post(body="Again", message_type="comment", subtype_xmlid="mail.mt_note")
        self.assertEqual(self._runs(workflow)[6:].mapped("depth"), [0, 1, 2])

    def test_hooks_do_not_query_per_record_and_workflow(self):
        def queries_to_create(count):
            before = self.env.cr.sql_log_count
            self.env["crm.lead"].create([{"name": f"Lead {i}", "type": "lead"} for i in range(count)])
            self.env.flush_all()
            return self.env.cr.sql_log_count - before

        queries_to_create(5)
        vanilla = {count: queries_to_create(count) for count in (10, 40)}
        for index in range(10):
            self._workflow("lead.created", {"and": [
                {"field": "expected_revenue", "operator": "gt", "value": 10**9},
                {"field": "lead.user_id.email", "operator": "eq", "value": f"nobody{index}@example.com"},
            ]})
        queries_to_create(5)
        extra = {count: queries_to_create(count) - vanilla[count] for count in (10, 40)}
        self.assertLessEqual(extra[40], extra[10] + 2, f"extra queries grow with the batch: {extra}")
        self.assertLessEqual(extra[40], 10, f"10 workflows cost more than a few queries per batch: {extra}")
        self.assertFalse(self.env["workflow.run"].search([("event_type", "=", "lead.created")]))

    def test_a_new_transaction_reads_only_the_workflows_of_an_event(self):
        self._queries_to_create_in_a_new_cache()
        vanilla = self._queries_to_create_in_a_new_cache()
        self._workflow("lead.created", execution_mode="queued", queue_backend="cron")
        self._queries_to_create_in_a_new_cache()
        # The workflows' row and the runs' INSERT: conditions that read no date cost no look-up
        # of the run-as user's time zone (their row and their partner's).
        self.assertLessEqual(self._queries_to_create_in_a_new_cache() - vanilla, 2)
        self.assertEqual(len(self.env["workflow.run"].search([("event_type", "=", "lead.created")])), 2)

    def test_a_context_reads_a_record_value_once_per_lookup(self):
        # Conditions look fields up with get(), which a ChainMap answers by reading the item
        # twice; a context that reads as its actions do (not memoized) reads it once.
        journal = []
        context = build_context(self.lead, {"new_stage": "Won"}, journal=journal)
        self.assertEqual(context.get("name"), self.lead.name)
        self.assertEqual(journal, [(None, "name")])
        self.assertIsNone(context.get("no_such_field"))
        with self.assertRaises(KeyError):
            context["no_such_field"]  # noqa: B018 - the lookup is what is tested
        self.assertEqual(len(journal), 3)
        # The names of the context come before the record's fields, a child's before them all;
        # none of them is read from the record.
        self.assertEqual(context.get("new_stage"), "Won")
        self.assertEqual(context.get("today"), user_today(self.lead))
        self.assertEqual(context.new_child({"name": "Child"}).get("name"), "Child")
        self.assertEqual(len(journal), 3)
        self.assertEqual(context["record"]["id"], self.lead.id)

    def test_a_new_transaction_reads_the_workflows_of_an_event_together(self):
        queued = {"execution_mode": "queued", "queue_backend": "cron"}
        self._workflow("lead.created", **queued)
        self._queries_to_create_in_a_new_cache()
        one_workflow = self._queries_to_create_in_a_new_cache()
        for _index in range(9):
            self._workflow("lead.created", **queued)
        self._queries_to_create_in_a_new_cache()
        ten_workflows = self._queries_to_create_in_a_new_cache()
        self.assertEqual(ten_workflows, one_workflow, "the hook read the workflows of the event one by one")
        runs = self.env["workflow.run"].search([("event_type", "=", "lead.created")])
        self.assertEqual(len(runs), 2 + 2 * 10)
        self.assertEqual(set(runs.mapped("state")), {"pending"})
