"""Config schemas of the workflow action types, and their validation.

``validate_config`` runs when a workflow is saved: templated values (holding ``{{``
or ``{%``) are only known at run time, so their type and allowed values are checked
again by ``check_rendered`` once rendered.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from types import MappingProxyType

from . import splits, templates, timing, urls
from .exceptions import ConfigError, TemplateError
from .jsondoc import MAX_INTEGER

__all__ = [
    "ACTION_TYPES",
    "ENTITY_TYPES",
    "FILTER_OPERATORS",
    "split_filter_key",
    "HTTP_METHODS",
    "ActionSchema",
    "ConfigError",
    "Key",
    "check_rendered",
    "validate_config",
]

ENTITY_TYPES = ("lead", "deal", "contact", "account", "record")
FILTER_OPERATORS = ("eq", "ne", "gt", "gte", "lt", "lte", "in", "contains")
HTTP_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
MAX_WEBHOOK_TIMEOUT = 60
CONFIG_PATH = "config"

_KINDS = {
    "str": ((str,), "a string"),
    "dict": ((dict,), "an object"),
    "list": ((list,), "a list"),
    "number": ((int, float), "a number"),
    "id": ((int, str), "a record id or a string"),
    "bool": ((bool,), "true or false"),
    "any": ((object,), "any JSON value"),
}


def _type_name(value):
    return "null" if value is None else type(value).__name__


def _quoted(values):
    return ", ".join(repr(value) for value in values)


def _is_pending(value, rendered):
    """Whether ``value`` is a template whose result is only known at run time."""
    return not rendered and templates.is_template(value)


def split_filter_key(key):
    """``("created_at", "gte")`` for the filter key ``created_at__gte``; a bare field means ``eq``."""
    field_name, separator, operator = str(key).rpartition("__")
    return (field_name, operator) if separator else (str(key), "eq")


def _check_filters(filters, path, rendered):
    for key, value in filters.items():
        key_path = f"{path}.{key}"
        field_name, operator = split_filter_key(key)
        if not field_name:
            raise ConfigError("filter key needs a field name", key_path)
        if operator not in FILTER_OPERATORS:
            raise ConfigError(
                f"unknown filter operator {operator!r}, expected one of "
                f"{_quoted(FILTER_OPERATORS)}",
                key_path,
            )
        if operator == "in" and not isinstance(value, list) and not _is_pending(value, rendered):
            raise ConfigError(f"operator 'in' needs a list, got {_type_name(value)}", key_path)


def _check_field_names(names, path, rendered):
    for index, name in enumerate(names):
        if not isinstance(name, str) or not name:
            raise ConfigError(f"must be a field name, got {name!r}", f"{path}[{index}]")


def _check_header_values(headers, path, rendered):
    for name, value in headers.items():
        if not isinstance(value, str):
            raise ConfigError(f"must be a string, got {_type_name(value)}", f"{path}.{name}")


def _check_timeout(seconds, path, rendered):
    if not 0 < seconds <= MAX_WEBHOOK_TIMEOUT:
        raise ConfigError(
            f"must be more than 0 and at most {MAX_WEBHOOK_TIMEOUT} seconds, got {seconds}", path
        )


def _check_url(url, path, rendered):
    if not url.lower().startswith(("http://", "https://")):
        raise ConfigError("must be an http:// or https:// URL", path)
    # A rendered URL is read by the webhook guard before it is sent, which refuses it as a
    # failed action; a URL written as is can be refused when the workflow is saved.
    if not rendered:
        urls.parse(url, path)


def _check_record_id(value, path):
    if isinstance(value, int) and not 1 <= value <= MAX_INTEGER:
        raise ConfigError(f"must be a record id from 1 to {MAX_INTEGER}, got {value}", path)


def _check_workflow_reference(value, path, rendered):
    _check_record_id(value, path)
    if isinstance(value, str) and not value.strip():
        raise ConfigError("must be a workflow id or a non-empty workflow name", path)


def _check_record_reference(value, path, rendered):
    _check_record_id(value, path)
    # A template is left to run time before the check; any other text names no record.
    if isinstance(value, str):
        raise ConfigError("must be a record id or a template giving one", path)


@dataclass(frozen=True)
class Key:
    """One config key: its kind (str, dict, list, number, id, bool, any), allowed values, default."""

    kind: str = "str"
    choices: tuple = ()
    default: object = None
    check: Callable | None = None
    """Extra check ``check(value, path, rendered)`` raising ConfigError."""


@dataclass(frozen=True)
class ActionSchema:
    """One action type: its ``label`` for people, the keys of its config; ``one_of`` lists
    keys of which one must be set."""

    label: str
    required: dict
    optional: dict = field(default_factory=dict)
    one_of: tuple = ()
    check: Callable | None = None
    """Extra check ``check(config, path, rendered)`` of rules across keys, raising ConfigError."""

    @property
    def keys(self):
        return {**self.required, **self.optional}


_ENTITY_TYPE = Key(choices=ENTITY_TYPES)
_ENTITY_ID = Key(kind="id")

ACTION_TYPES = MappingProxyType(
    {
        "send_email": ActionSchema(
            label="Send Email",
            required={"to": Key(), "subject": Key()},
            optional={
                "template": Key(),
                "body": Key(),
                "variables": Key(kind="dict"),
                "cc": Key(),
            },
            one_of=("template", "body"),
        ),
        "add_note": ActionSchema(
            label="Add Note",
            required={"note": Key()},
            optional={
                "entity_type": _ENTITY_TYPE,
                "entity_id": _ENTITY_ID,
                "visibility": Key(choices=("internal", "public"), default="internal"),
            },
        ),
        "update_field": ActionSchema(
            label="Update Field",
            required={"field": Key(), "value": Key(kind="any")},
            optional={"entity_type": _ENTITY_TYPE, "entity_id": _ENTITY_ID},
        ),
        "enqueue_export": ActionSchema(
            label="Enqueue Export",
            required={
                "export_type": Key(choices=("csv",)),
                "entity_type": _ENTITY_TYPE,
                "email_to": Key(),
            },
            optional={
                "filters": Key(kind="dict", check=_check_filters),
                "fields": Key(kind="list", check=_check_field_names),
            },
        ),
        "create_task": ActionSchema(
            label="Create Task",
            required={"title": Key()},
            optional={
                "description": Key(),
                "assignee": Key(),
                "due_date": Key(),
                "priority": Key(choices=("low", "normal", "high")),
            },
        ),
        "send_notification": ActionSchema(
            label="Send Notification",
            required={"recipient": Key(), "message": Key()},
            optional={
                "notification_type": Key(choices=("in_app",), default="in_app"),
                "link": Key(),
            },
        ),
        "call_webhook": ActionSchema(
            label="Call Webhook",
            required={"url": Key(check=_check_url)},
            optional={
                "method": Key(choices=HTTP_METHODS, default="POST"),
                "headers": Key(kind="dict", check=_check_header_values),
                "body": Key(kind="any"),
                "timeout": Key(kind="number", check=_check_timeout),
            },
        ),
        "wait": ActionSchema(
            label="Wait",
            required={},
            optional={
                "duration": Key(kind="dict", check=timing.check_duration),
                "until": Key(check=timing.check_until),
                "time_of_day": Key(check=timing.check_time_of_day),
            },
            check=timing.check_wait,
        ),
        "split": ActionSchema(
            label="A/B Split",
            required={"variants": Key(kind="dict", check=splits.check_variants)},
        ),
        "run_workflow": ActionSchema(
            label="Run Workflow",
            required={"workflow": Key(kind="id", check=_check_workflow_reference)},
            optional={
                "record": Key(kind="id", check=_check_record_reference),
                "entity_type": _ENTITY_TYPE,
                "payload": Key(kind="dict"),
                "wait": Key(kind="bool", default=False),
            },
        ),
    }
)


def _check_value(spec, value, path, required, rendered):
    if _is_pending(value, rendered):
        return
    types, description = _KINDS[spec.kind]
    if not isinstance(value, types) or (value.__class__ is bool and spec.kind not in ("any", "bool")):
        raise ConfigError(f"must be {description}, got {_type_name(value)}", path)
    if required and spec.kind == "str" and not value.strip():
        raise ConfigError("must not be empty", path)
    if spec.choices and value not in spec.choices:
        raise ConfigError(f"must be one of {_quoted(spec.choices)}", path)
    if spec.check:
        spec.check(value, path, rendered)


def _check_config(action_type, config, rendered):
    schema = ACTION_TYPES.get(action_type) if isinstance(action_type, str) else None
    if schema is None:
        raise ConfigError(
            f"unknown action type {action_type!r}, expected one of {_quoted(ACTION_TYPES)}",
            "action_type",
        )
    if not isinstance(config, dict):
        raise ConfigError(f"must be an object, got {_type_name(config)}", CONFIG_PATH)
    for key in schema.required:
        if key not in config:
            raise ConfigError(f"missing required key {key!r}", CONFIG_PATH)
    known_keys = schema.keys
    unknown_keys = sorted((key for key in config if key not in known_keys), key=repr)
    if unknown_keys:
        raise ConfigError(f"unknown key {unknown_keys[0]!r}", CONFIG_PATH)
    for key, spec in known_keys.items():
        if key in config:
            required = key in schema.required
            _check_value(spec, config[key], f"{CONFIG_PATH}.{key}", required, rendered)
    if schema.one_of and not any(config.get(key) for key in schema.one_of):
        raise ConfigError(f"needs one of {_quoted(schema.one_of)}", CONFIG_PATH)
    if schema.check:
        schema.check(config, CONFIG_PATH, rendered)


def validate_config(action_type, config):
    """Raise ConfigError or TemplateError, naming the path, unless ``config`` fits its type."""
    _check_config(action_type, config, rendered=False)
    try:
        templates.validate(config)
    except TemplateError as exc:
        # The config is an object by now, so every string's path starts with a key.
        raise TemplateError(exc.message, f"{CONFIG_PATH}.{exc.path}", exc.variable) from exc


def check_rendered(action_type, rendered_config):
    """Check a rendered config again, templated values included; raise ConfigError."""
    _check_config(action_type, rendered_config, rendered=True)
