"""JSON documents that arrive as text (forms, XML-RPC clients) or as values (JSON-RPC)."""

import json


def load(value, path, error_class):
    """Return ``value`` parsed when it is JSON text, as is otherwise; blank text is None.

    A syntax error raises ``error_class`` naming ``path`` and the position, so the
    person who typed the text can find it.
    """
    if isinstance(value, bytes):
        value = value.decode()
    if not isinstance(value, str):
        return value
    if not value.strip():
        return None
    try:
        return json.loads(value)
    except json.JSONDecodeError as exc:
        raise error_class(
            f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}", path=path
        ) from exc


def plain(value):
    """``value`` as JSON would give it back: dates and other objects become strings."""
    return json.loads(json.dumps(value, default=str))


MASK = "••••••"


def mask(value, secrets):
    """``value`` with every occurrence of each of ``secrets`` (strings) in its strings masked."""
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
