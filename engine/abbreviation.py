"""Long values abbreviated for what a run stores about itself (its explanation, its action
runs' inputs, outputs and errors), so that a log stays small whatever a run evaluated.

Only stored copies are abbreviated: conditions and actions always work on whole values.
"""

from itertools import islice

MAX_CHARS = 2000
"""Characters of a string that are kept; the rest is replaced by a marker."""
MAX_ITEMS = 100
"""Items of a list, or keys of an object, that are kept; a marker stands for the rest."""
MAX_DEPTH = 20
"""Levels of nested lists and objects that are kept; a marker stands for deeper ones."""
MARKER = "…"
"""Starts every marker, and is the key of the one that stands for an object's left-out keys."""


def _plural(count, noun):
    return f"{count} more {noun}{'' if count == 1 else 's'}"


def abbreviate(value, max_chars=MAX_CHARS, max_items=MAX_ITEMS, max_depth=MAX_DEPTH):
    """``value`` (a JSON value) with every string over ``max_chars`` characters cut there,
    every list or object over ``max_items`` items cut there, and nesting deeper than
    ``max_depth`` levels replaced, each cut saying what was left out:
    ``"abc… [9998 more characters]"``, a last list item ``"… [999900 more items]"``, an
    object key ``"…"`` whose value is ``"[5 more keys]"``. Other values are kept."""
    return _abbreviate(value, max_chars, max_items, max_depth)


def _abbreviate(value, max_chars, max_items, depth_left):
    if isinstance(value, str):
        if len(value) <= max_chars:
            return value
        return f"{value[:max_chars]}{MARKER} [{_plural(len(value) - max_chars, 'character')}]"
    if not isinstance(value, (dict, list, tuple)):
        return value
    if depth_left <= 0:
        return f"{MARKER} [nested deeper than this]"
    if isinstance(value, dict):
        kept = {
            key: _abbreviate(item, max_chars, max_items, depth_left - 1)
            for key, item in islice(value.items(), max_items)
        }
        if len(value) > max_items:
            kept[MARKER] = f"[{_plural(len(value) - max_items, 'key')}]"
        return kept
    kept = [_abbreviate(item, max_chars, max_items, depth_left - 1) for item in value[:max_items]]
    if len(value) > max_items:
        kept.append(f"{MARKER} [{_plural(len(value) - max_items, 'item')}]")
    return kept
