"""Masked field values: the mask to everything that shows, the real value to conditions.

A Workflow Administrator lists the fields whose values workflows must not show (a VAT
number, a phone). Templates, JSON documents and explanations only ever see the mask,
``•••• 0122``; only the condition operators (engine.conditions) compare the real value,
server-side, and only their outcome is shown.
"""

MASK = "••••"
KEPT_CHARACTERS = 4
"""At most this many last characters stay readable, and never more than a quarter of the value."""


def mask_value(value):
    """``value`` as text with all but at most its last 4 characters, and at most a quarter of
    it, hidden: ``"BE0477472701"`` gives ``"•••• 2701"``, ``"abc"`` gives ``"••••"``."""
    text = "" if value is None else str(value)
    kept = min(KEPT_CHARACTERS, len(text) // 4)
    return f"{MASK} {text[-kept:]}" if kept else MASK


class Masked(str):
    """The value of a masked field: a string that is its mask in every Python operation.

    Rendering, JSON encoding, comparisons, hashing, slicing, iteration, formatting and every
    string method see the mask only, so a template can neither show the real value nor probe
    it character by character. The real value is kept for the condition operators, which
    read it with :func:`reveal`: it is an underscored attribute, which neither the template
    sandbox nor a condition's field path ever looks up.
    """

    def __new__(cls, clear):
        masked = super().__new__(cls, mask_value(clear))
        masked._clear = clear
        return masked

    def __reduce__(self):
        # A copy or a pickle keeps only the mask: the real value never leaves the process.
        return str, (str(self),)


def reveal(value):
    """The real value behind ``value`` when it is Masked, else ``value`` itself: for the
    condition operators only, whose outcome is all they show."""
    return value._clear if value.__class__ is Masked else value
