"""JSON documents that arrive as text (forms, XML-RPC clients) or as values (JSON-RPC)."""

import json
import re
from datetime import date, datetime
from functools import lru_cache

from .masking import MASK

MAX_DEPTH = 100
"""How deeply arrays and objects may nest in a document the engine accepts. Python code
that walks a document (copies, validation, the ORM's JSON fields) recurses once per
level at least, and would exceed the interpreter's recursion limit near 1,000 levels."""
MAX_INTEGER = 2**31 - 1
"""The largest integer of a document: integers are stored in PostgreSQL integer columns."""


def load(value, path, error_class):
    """Return ``value`` parsed when it is JSON text, as is otherwise; blank text is None.

    A syntax error raises ``error_class`` naming ``path`` and the position, so the
    person who typed the text can find it; so does a value that :func:`value_errors`
    refuses, naming the path of the bad part.
    """
    if isinstance(value, bytes):
        value = value.decode()
    if isinstance(value, str):
        if not value.strip():
            return None
        try:
            value = json.loads(value)
        except json.JSONDecodeError as exc:
            raise error_class(
                f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}", path=path
            ) from exc
        except RecursionError:
            raise error_class(f"nested deeper than {MAX_DEPTH} levels", path=path) from None
    problems = value_errors(value, path)
    if problems:
        raise error_class(problems[0]["message"], path=problems[0]["path"])
    return value


def _join(path, key):
    return f"{path}.{key}" if path else str(key)


def text_error(text):
    """Why the string ``text`` cannot be stored (PostgreSQL text and JSON hold neither NUL
    characters nor lone UTF-16 surrogates, which have no UTF-8 form), or None."""
    if "\x00" in text:
        return "must not contain the NUL character (\\u0000)"
    try:
        text.encode()
    except UnicodeEncodeError as exc:
        return f"must not contain the lone surrogate \\u{ord(text[exc.start]):04x}"
    return None


def value_errors(value, path="", max_depth=MAX_DEPTH):
    """What in the JSON ``value`` (found at ``path``) the engine cannot take: arrays and
    objects nested deeper than ``max_depth``, strings (values or keys) that cannot be
    stored; a list of ``{"path", "message"}``, in document order.

    Iterative, so that it also reports documents nested too deeply to recurse through.
    """
    errors = []
    # Each entry: a value with its path and depth, or a ready error (a bad key) as its own
    # entry, so that errors come out in document order.
    stack = [(value, path, 0)]
    while stack:
        item, item_path, depth = stack.pop()
        if depth is None:
            errors.append({"path": item_path, "message": item})
            continue
        if isinstance(item, str):
            problem = text_error(item)
            if problem:
                errors.append({"path": item_path or "<root>", "message": problem})
            continue
        if not isinstance(item, (dict, list)):
            continue
        if depth >= max_depth:
            errors.append({"path": item_path or "<root>", "message": f"nested deeper than {max_depth} levels"})
            continue
        if isinstance(item, dict):
            children = []
            for key, child in item.items():
                key_problem = text_error(key) if isinstance(key, str) else None
                if key_problem:
                    children.append((f"a key {key_problem}", _join(item_path, repr(key)[1:-1]), None))
                else:
                    children.append((child, _join(item_path, key), depth + 1))
        else:
            children = [(child, f"{item_path}[{index}]", depth + 1) for index, child in enumerate(item)]
        stack.extend(reversed(children))
    return errors


def rpc_value(value, null=None):
    """The JSON ``value`` with every string a plain str (a Masked value as its mask: the
    XML-RPC marshaller knows no str subclass), every key a string (as JSON has them) and
    null as ``null``: XML-RPC has no null, and sends false, as Odoo's own ``read`` gives an
    empty value."""
    if value is None:
        return null
    if isinstance(value, str):
        return str(value)
    if isinstance(value, dict):
        return {str(key): rpc_value(item, null) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [rpc_value(item, null) for item in value]
    return value


def plain(value):
    """``value`` as JSON would give it back: dates and other objects become strings."""
    return json.loads(json.dumps(value, default=str))


def iso(value, timespec="auto"):
    """``value`` as ISO 8601 text when it is a date, a datetime to ``timespec`` (as
    ``datetime.isoformat`` takes it); any other value as is. JSON has no dates."""
    if isinstance(value, datetime):
        return value.isoformat(timespec=timespec)
    if isinstance(value, date):
        return value.isoformat()
    return value


@lru_cache(maxsize=4096)
def parse_iso(text):
    """A date for ``YYYY-MM-DD``, a datetime for longer ISO 8601 texts (aware when they name
    their offset or end in Z), None for any other text."""
    # Python before 3.11 does not read the Z suffix.
    text = re.sub(r"[Zz]$", "+00:00", text)
    parse = date.fromisoformat if len(text) == len("2026-03-29") else datetime.fromisoformat
    try:
        return parse(text)
    except ValueError:
        return None


def mask(value, secrets):
    """``value`` with every occurrence of each of ``secrets`` (strings) in its strings
    replaced by the mask that also stands for masked fields (engine.masking)."""
    secrets = [secret for secret in secrets if secret]
    if not secrets:
        return value
    if isinstance(value, str):
        for secret in secrets:
            value = value.replace(secret, MASK)
        return value
    if isinstance(value, dict):
        return {key: mask(item, secrets) for key, item in value.items()}
    if isinstance(value, list):
        return [mask(item, secrets) for item in value]
    return value
