"""What changed between two definition documents, path by path, for the audit trail."""

import json

ABSENT = None
"""How a value missing on one side of a change is shown."""


def changes(before, after, path=""):
    """Every ``(path, value before, value after)`` where the JSON documents ``before`` and
    ``after`` differ, e.g. ``("triggers[0].conditions.value", 1000, 5000)``.

    Objects are compared key by key and lists item by item, so an edited condition shows as
    its one changed leaf rather than as a whole new trigger; a key or an item that only one
    side has is shown as ABSENT on the other.
    """
    if isinstance(before, dict) and isinstance(after, dict):
        found = []
        for key in list(before) + [key for key in after if key not in before]:
            key_path = f"{path}.{key}" if path else str(key)
            found += changes(before.get(key, ABSENT), after.get(key, ABSENT), key_path)
        return found
    if isinstance(before, list) and isinstance(after, list):
        found = []
        for index in range(max(len(before), len(after))):
            found += changes(
                before[index] if index < len(before) else ABSENT,
                after[index] if index < len(after) else ABSENT,
                f"{path}[{index}]",
            )
        return found
    if before == after and type(before) is type(after):
        return []
    return [(path or "<root>", before, after)]


def shown(value):
    """A value of a change as one line of text."""
    return "—" if value is ABSENT else json.dumps(value, ensure_ascii=False, sort_keys=True)
