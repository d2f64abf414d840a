"""Masked field values: shown as a mask, compared as what they hide.

A Workflow Administrator lists the fields whose values workflows must not show (a VAT
number, a phone). Templates, JSON documents and explanations only ever see the mask,
``•••• 0122``, while conditions still compare the real value server-side: only their
outcome is shown.
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
    """A string that reads as the mask of ``clear`` but compares as ``clear``.

    Rendering, JSON encoding, slicing and every other string method see the mask; the
    comparisons that the condition operators use (==, !=, ordering, ``in``, startswith,
    endswith, casefold) see the clear value and only give back a boolean, or another Masked.
    """

    def __new__(cls, clear):
        masked = super().__new__(cls, mask_value(clear))
        masked.clear = clear
        return masked

    def __reduce__(self):
        # A copy or a pickle keeps only the mask: the clear value never leaves the process.
        return str, (str(self),)

    def __eq__(self, other):
        return self.clear == _clear(other)

    def __ne__(self, other):
        return self.clear != _clear(other)

    def __hash__(self):
        return hash(self.clear)

    def __lt__(self, other):
        return self.clear < _clear(other)

    def __le__(self, other):
        return self.clear <= _clear(other)

    def __gt__(self, other):
        return self.clear > _clear(other)

    def __ge__(self, other):
        return self.clear >= _clear(other)

    def __contains__(self, item):
        return _clear(item) in self.clear

    def startswith(self, prefix, *args):
        return self.clear.startswith(prefix, *args)

    def endswith(self, suffix, *args):
        return self.clear.endswith(suffix, *args)

    def casefold(self):
        return Masked(self.clear.casefold())


def _clear(value):
    return value.clear if isinstance(value, Masked) else value
