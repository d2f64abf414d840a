from odoo.tests import TransactionCase, new_test_user

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
        cls.Workflow = cls.env["workflow.workflow"]
        cls.lead = cls.env["crm.lead"].create({
            "name": "Big opportunity",
            "type": "lead",
            "expected_revenue": 120000,
            "email_from": "buyer@acme.example.com",
            "partner_name": "Acme",
        })
