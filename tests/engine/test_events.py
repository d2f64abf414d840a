from engine.events import CONTEXT_NAMES, EVENT_TYPES, reserved_payload_keys
from engine.steps import STEPS_NAME


def test_only_creations_happen_once_per_record():
    # A creation event names a record no earlier event named: the queue looks for no duplicate of it.
    once = {key for key, event in EVENT_TYPES.items() if event.once_per_record}
    assert once == {"lead.created", "contact.created", "account.created"}


def test_a_date_reached_event_names_its_record_field_and_dates():
    event = EVENT_TYPES["date.reached"]
    assert event.label == "Date reached"
    assert event.context_keys == ("entity_type", "entity_id", "date_field", "date_value", "due_at")
    assert not event.once_per_record


def test_the_context_names_that_no_payload_key_stands_for():
    names = {"record", "user", "company", "today", "now", "steps", "lead", "deal", "contact", "account"}
    assert names == CONTEXT_NAMES
    assert STEPS_NAME in CONTEXT_NAMES
    assert reserved_payload_keys({"steps": {"enrich": {}}, "lead": 1, "score": 3}) == ["lead", "steps"]
