"""The trigger matrix of the design: which events exist and what each one carries.

Pure data, shared by the Odoo models (selection values, contexts) and by anything
that documents or validates workflow definitions.
"""

from typing import NamedTuple


class EventType(NamedTuple):
    key: str
    label: str
    description: str
    context_keys: tuple
    once_per_record: bool = False
    """Whether the event can happen only once to a record (its creation): such an event never
    repeats an earlier one, so nobody needs to look for its duplicates."""


EVENT_TYPES = {
    event.key: event
    for event in (
        EventType(*row)
        for row in (
            ("timeline.event", "Timeline event",
             "A message, note, tracking change or finished activity on a lead or contact",
             ("event_type", "entity_type", "entity_id")),
            ("lead.created", "Lead created", "A new lead is created", ("lead_id", "lead_data"), True),
            ("lead.converted", "Lead converted", "A lead is converted into an opportunity",
             ("lead_id", "deal_id")),
            ("deal.stage_changed", "Deal stage changed", "An opportunity moves to another stage",
             ("deal_id", "old_stage", "new_stage")),
            ("deal.won", "Deal won", "An opportunity is marked as won", ("deal_id", "amount")),
            ("deal.lost", "Deal lost", "An opportunity is marked as lost", ("deal_id", "reason")),
            ("contact.created", "Contact created", "A new contact (a person) is created",
             ("contact_id", "contact_data"), True),
            ("account.created", "Account created", "A new account (a company) is created",
             ("account_id", "account_data"), True),
            ("date.reached", "Date reached",
             "A date field of a record reaches the trigger's date, its offset before or after it",
             ("entity_type", "entity_id", "date_field", "date_value", "due_at")),
            ("custom", "Custom event", "An event emitted by code or over the API", ()),
        )
    )
}

MANUAL_EVENT = "manual"
"""The event type of a run started by hand on one record (workflow.execute)."""
ENROLLMENT_EVENT = "enrollment"
"""The event type of a run of an enrollment: an existing record that the conditions of the
workflow's triggers select, put into the workflow (workflow.enroll); no trigger waits for it."""

ENTITY_MODELS = {
    "lead": "crm.lead",
    "deal": "crm.lead",
    "contact": "res.partner",
    "account": "res.partner",
}
"""The Odoo model behind each entity type that configs and events name; a record appears
in the context under every name its model has here (a crm.lead is both lead and deal)."""

ENTITY_TYPES = [("lead", "Lead"), ("deal", "Deal"), ("contact", "Contact"), ("account", "Account")]
"""The entity types with their labels, as selections offer them."""

WORKFLOW_MODELS = frozenset(ENTITY_MODELS.values())
"""The only models whose records workflows run on and act on: a run, its actions and the
records they change stay inside the CRM, whoever the run-as user is."""

CONTEXT_NAMES = frozenset({"record", "user", "company", "today", "now", "steps", *ENTITY_MODELS})
"""The names every run's context gives its record, user, company, dates and the results of its
earlier steps (engine.steps): an event's payload never stands for them."""


def workflow_model_problem(res_model):
    """Why workflows may not act on the model ``res_model``, or None when they may (WORKFLOW_MODELS)."""
    if res_model in WORKFLOW_MODELS:
        return None
    return f"workflows act only on {', '.join(sorted(WORKFLOW_MODELS))}, not on {res_model!r}"


def reserved_payload_keys(payload):
    """The keys of an event ``payload`` that are names of the context (CONTEXT_NAMES), sorted."""
    return sorted(CONTEXT_NAMES & payload.keys()) if isinstance(payload, dict) else []
