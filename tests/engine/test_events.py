from engine.events import EVENT_TYPES


def test_only_creations_happen_once_per_record():
    # A creation event names a record no earlier event named: the queue looks for no duplicate of it.
    once = {key for key, event in EVENT_TYPES.items() if event.once_per_record}
    assert once == {"lead.created", "contact.created", "account.created"}

