"""Conditions compiled to domains (engine.domains through record_context.condition_domain):
searching the domain, then keeping the records whose residual holds, finds exactly the
records the condition holds for in Python."""

from datetime import date, datetime

from hypothesis import HealthCheck, given, settings, strategies

from odoo.tests import TransactionCase, new_test_user, tagged

from ..engine import conditions
from ..models.record_context import build_context, condition_domain

TEXTS = ["", "Alpha", "alpha", "ALPHA beta", "50%", "a_b", "back\\slash", "beta"]
LOGINS = ["wf_domains_ann", "wf_domains_bob"]
TAGS = ["Hot", "cold"]
DAYS = [date(2024, 1, 1), date(2024, 6, 15), date(2024, 12, 31)]
MOMENTS = [
    datetime(2024, 6, 15, 0, 0), datetime(2024, 6, 15, 23, 30),
    datetime(2024, 6, 16, 10, 0), datetime(2024, 12, 31, 3, 0),
]


SCALAR_OPERATORS = [operator for operator in conditions.OPERATORS if operator not in ("in", "not_in")]


def leaf(field, operator, value):
    return {"field": field, "operator": operator, "value": value}


texts = strategies.sampled_from([*TEXTS, "a", "%", "_", "\\", "ta", "Hot", "cold", *LOGINS])
numbers = strategies.integers(-2, 1000) | strategies.sampled_from([0, 3, 500, 1500.0, 2.5, -2, 1000])
days = strategies.sampled_from(
    ["2024-01-01", "2024-06-15", "2024-06-15T23:30:00", "2024-12-31T08:00:00+05:00", "2024-12-31", "soon"]
)
others = strategies.none() | strategies.booleans() | strategies.sampled_from(["1", "2", 1, 3, "New"])
FIELD_VALUES = {
    "referred": texts,
    "lead.referred": texts,
    "record.name": texts,
    "user_id.login": texts,
    "lead.user_id.login": texts,
    "color": numbers,
    "amount": numbers,
    "lead.expected_revenue": numbers,
    "probability": numbers,
    "priority": strategies.sampled_from(["0", "1", "2", "3"]),
    "date_deadline": days,
    "date_closed": days | strategies.sampled_from(["2024-06-15T23:30:00", "2024-06-16T01:30:00+02:00"]),
    "active": strategies.booleans(),
    "user_id": strategies.sampled_from(LOGINS) | strategies.integers(-1, 10),
    "tag_ids": strategies.sampled_from(TAGS),
    "stage": strategies.sampled_from(["New", "Won"]),
    "user.login": strategies.sampled_from(["__system__", "admin"]),
}


@strategies.composite
def leaves(draw):
    field = draw(strategies.sampled_from(sorted(FIELD_VALUES)))
    # Mostly values of the field's own kind, sometimes any other value.
    values = FIELD_VALUES[field] if draw(strategies.integers(0, 4)) else others | texts | numbers | days
    if draw(strategies.integers(0, 3)):
        return leaf(field, draw(strategies.sampled_from(SCALAR_OPERATORS)), draw(values))
    return leaf(field, draw(strategies.sampled_from(["in", "not_in"])), draw(strategies.lists(values, max_size=3)))


trees = strategies.recursive(
    leaves(),
    lambda children: strategies.one_of(
        strategies.tuples(strategies.sampled_from(("and", "or")), strategies.lists(children, min_size=1, max_size=3))
        .map(lambda pair: {pair[0]: pair[1]}),
        children.map(lambda child: {"not": child}),
    ),
    max_leaves=6,
)


@tagged("post_install", "-at_install")
class TestConditionDomains(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        users = cls.env["res.users"].create([{"name": login, "login": login} for login in LOGINS])
        tags = cls.env["crm.tag"].create([{"name": name} for name in TAGS])
        rows = []
        for index in range(24):
            rows.append({
                "name": TEXTS[index % len(TEXTS)] or "Lead",
                "referred": [False, *TEXTS][index % (len(TEXTS) + 1)],
                "color": [0, 3, 1000, -2][index % 4],
                "expected_revenue": [0, 500, 1500, 2.5][index % 4 if index % 5 else 0],
                "probability": [0, 10, 50, 100][(index // 2) % 4],
                "priority": ["0", "1", "2", "3"][index % 4],
                "date_deadline": [False, *DAYS][(index // 3) % 4],
                "date_closed": [False, *MOMENTS][(index // 2) % 5],
                "user_id": [False, *users.ids][index % 3],
                "tag_ids": [[], tags[:1].ids, tags.ids][(index // 4) % 3],
                "active": index % 7 != 0,
            })
        cls.leads = cls.env["crm.lead"].with_context(active_test=False).create(rows)
        # '' and null told apart: Odoo stores '' for an empty string.
        cls.leads[1].referred = ""
        # Nulls where the ORM writes none: numbers then read as 0, booleans as False.
        cls.env.cr.execute(
            "UPDATE crm_lead SET color = NULL, expected_revenue = NULL, probability = NULL, active = NULL"
            " WHERE id IN %s",
            [tuple(cls.leads[2::5].ids)],
        )
        cls.leads.invalidate_recordset()

    def matching(self, tree, leads=None):
        leads = self.leads if leads is None else leads
        Lead = leads.browse().with_context(active_test=False)
        domain, residual = condition_domain(Lead, tree)
        found = Lead.search(["&", ("id", "in", leads.ids), *domain] if domain else [("id", "in", leads.ids)])
        check = conditions.compile(residual)
        kept = {lead.id for lead in found if check(build_context(lead, {}, memoize=True))}
        return kept, residual

    def expected(self, tree, leads=None):
        holds = conditions.compile(tree)
        leads = self.leads if leads is None else leads
        return {lead.id for lead in leads if holds(build_context(lead, {}, memoize=True))}

    def test_related_records_the_user_may_not_read(self):
        other = self.env["res.company"].create({"name": "wf_domains other company"})
        hidden = self.env["res.partner"].create({"name": "Hidden"})
        lead = self.env["crm.lead"].create({"name": "wf_domains hidden partner", "partner_id": hidden.id})
        lead.company_id = False
        hidden.company_id = other  # now out of the salesman's reach
        user = new_test_user(
            self.env, login="wf_domains_sales", groups="sales_team.group_sale_salesman_all_leads",
            company_id=self.env.company.id, company_ids=[self.env.company.id],
        )
        leads = (self.leads | lead).with_user(user).with_context(active_test=False)
        self.assertEqual(leads.search([("id", "in", leads.ids)]), leads)
        self.assertIsNone(build_context(leads.browse(lead.id), {})["partner_id"].get("name"))
        for tree in [
            leaf("partner_id.name", "eq", "Hidden"),
            {"not": leaf("partner_id.name", "eq", "Hidden")},
            leaf("partner_id.name", "eq", None),
            {"not": leaf("partner_id.name", "contains", "x")},
        ]:
            kept, residual = self.matching(tree, leads)
            self.assertIsNone(residual)
            self.assertEqual(kept, self.expected(tree, leads), tree)
        self.assertIn(lead.id, self.matching(leaf("partner_id.name", "eq", None), leads)[0])

    def test_examples(self):
        self.assertEqual(self.leads[1].referred, "")
        for tree in [
            leaf("referred", "eq", ""),
            {"not": leaf("referred", "eq", "")},
            leaf("referred", "ne", "Alpha"),
            leaf("referred", "contains", "%"),
            leaf("referred", "contains", "_"),
            leaf("referred", "endswith", "\\slash"),
            {"not": leaf("lead.user_id.login", "eq", LOGINS[0])},
            leaf("amount", "lt", 1000),
            {"not": leaf("date_deadline", "gte", "2024-06-15")},
            leaf("active", "eq", False),
            leaf("color", "eq", 0),
            {"not": leaf("amount", "gt", 0)},
            leaf("date_closed", "eq", "2024-06-15"),
            leaf("date_closed", "lte", "2024-06-15T23:30:00"),
            {"and": [leaf("tag_ids", "contains", "Hot"), leaf("color", "ne", 3)]},
            leaf("user_id", "not_in", [0]),
            {"not": leaf("user_id", "in", [0, -1])},
            leaf("user_id", "ne", 0),
        ]:
            kept, _residual = self.matching(tree)
            self.assertEqual(kept, self.expected(tree), tree)
        self.assertIsNone(condition_domain(self.env["crm.lead"], leaf("referred", "eq", "x"))[1])
        self.assertTrue(condition_domain(self.env["crm.lead"], leaf("stage", "eq", "New"))[1])

    @settings(max_examples=1000, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(trees)
    def test_domain_then_residual_is_the_condition(self, tree):
        kept, residual = self.matching(tree)
        self.assertEqual(kept, self.expected(tree), {"condition": tree, "residual": residual})
