"""Workflow definition documents: a workflow with its triggers and actions as one JSON object.

The REST API reads and returns them, and so will the UI's export and import::

    {"name": "...", "description": "...", "active": true, "priority": 10,
     "company_id": 1, "run_as_user_id": 2, "execution_mode": "queued", "queue_backend": "cron",
     "max_retries": 3, "retry_delay_seconds": 10, "duplicate_window_minutes": 10,
     "max_runs_per_minute": 0, "max_runs_per_record_per_hour": 0,
     "retention_days": 0, "failed_retention_days": 0,
     "exit_conditions": {...}, "single_active_run": false, "goal_conditions": {...},
     "triggers": [{"event_type": "deal.stage_changed", "custom_event": null,
                   "conditions": {...}, "active": true, "sequence": 10,
                   "entity_type": null, "date_field": null, "date_offset": null, "date_offset_unit": null}],
     "actions": [{"name": "...", "action_type": "send_email", "ordering": 1,
                  "config": {...}, "allow_failure": false,
                  "key": "enrich", "conditions": {...}}]}

Only ``name`` is required in a workflow, ``event_type`` in a trigger, ``name`` and
``action_type`` in an action; a ``date.reached`` trigger also needs its DATE_TRIGGER_KEYS,
which other triggers leave null. The read-only keys of a returned document (``id``, the run
counters) are accepted and ignored, so a document read can be sent back as it is.

An action's ``key`` names it for the actions after it, whose config and conditions may read
``steps.<key>`` (engine.steps); "after" is the order actions run in, by ``ordering`` then by
their position in the document, as the Odoo layer orders them (``ordering, id``).

``validate`` lists every error of a document, each with the path of the bad value
(``triggers[0].conditions.and[1]``, ``actions[2].config.subject``), so that whoever wrote
it can fix them all at once.
"""

from dataclasses import dataclass

from . import actions as action_schemas
from . import conditions as dsl
from . import jsondoc, steps, templates, timing
from .events import ENTITY_MODELS, EVENT_TYPES
from .exceptions import TemplateError, WorkflowError
from .jsondoc import MAX_INTEGER

__all__ = [
    "ACTION_KEYS", "MAX_INTEGER", "READ_ONLY_KEYS", "TRIGGER_KEYS", "WORKFLOW_KEYS", "DefinitionError", "integer_error",
    "is_record_id", "validate",
]

READ_ONLY_KEYS = frozenset({"id", "run_count", "failed_run_count"})
"""What a definition document holds that is no part of the definition: ids and run counters,
accepted and ignored in what is saved, left out of the versions' snapshots."""
DEFAULT_ORDERING = 10
"""The ordering of an action that the document leaves out, as workflow.action's default."""


class DefinitionError(WorkflowError):
    """A definition document, a trigger or an action does not have the expected shape."""

    code = "invalid_definition"


@dataclass(frozen=True)
class _Key:
    """One key of a document object: its kind (text, boolean, integer, count, id, list, json)."""

    kind: str
    required: bool = False
    nullable: bool = False
    choices: tuple = ()


WORKFLOW_KEYS = {
    "name": _Key("text", required=True),
    "description": _Key("text", nullable=True),
    "active": _Key("boolean"),
    "priority": _Key("integer"),
    "company_id": _Key("id", nullable=True),
    "run_as_user_id": _Key("id", nullable=True),
    "execution_mode": _Key("text", choices=("queued", "immediate")),
    "queue_backend": _Key("text", choices=("cron", "queue_job")),
    "max_retries": _Key("count"),
    "retry_delay_seconds": _Key("count"),
    "duplicate_window_minutes": _Key("count"),
    "max_runs_per_minute": _Key("count"),
    "max_runs_per_record_per_hour": _Key("count"),
    "retention_days": _Key("count"),
    "failed_retention_days": _Key("count"),
    "exit_conditions": _Key("json"),
    "single_active_run": _Key("boolean"),
    "goal_conditions": _Key("json"),
    "triggers": _Key("list"),
    "actions": _Key("list"),
}
TRIGGER_KEYS = {
    "event_type": _Key("text", required=True, choices=tuple(EVENT_TYPES)),
    "custom_event": _Key("text", nullable=True),
    "conditions": _Key("json"),
    "active": _Key("boolean"),
    "sequence": _Key("integer"),
    "entity_type": _Key("text", nullable=True, choices=tuple(ENTITY_MODELS)),
    "date_field": _Key("text", nullable=True),
    "date_offset": _Key("integer", nullable=True),
    "date_offset_unit": _Key("text", nullable=True, choices=timing.DURATION_UNITS),
}
DATE_EVENT = "date.reached"
DATE_TRIGGER_KEYS = ("entity_type", "date_field", "date_offset", "date_offset_unit")
"""The keys that a trigger of DATE_EVENT needs, and that no other trigger takes: which
record's date field, and how long before (negative) or after it the trigger fires."""
ACTION_KEYS = {
    "name": _Key("text", required=True),
    "action_type": _Key("text", required=True, choices=tuple(action_schemas.ACTION_TYPES)),
    "ordering": _Key("integer"),
    "config": _Key("json"),
    "allow_failure": _Key("boolean"),
    "key": _Key("text", nullable=True),
    "conditions": _Key("json"),
}


def _join(path, key):
    return f"{path}.{key}" if path and key else path or key


def _describe(value):
    return "null" if value is None else type(value).__name__


def _is_integer(value):
    return isinstance(value, int) and value.__class__ is not bool


def integer_error(value, low=-MAX_INTEGER):
    """Why ``value`` is no integer from ``low`` to MAX_INTEGER (what a PostgreSQL integer
    column holds: record ids, counts, priorities), or None."""
    if not _is_integer(value):
        return f"must be an integer, got {_describe(value)}"
    if not low <= value <= MAX_INTEGER:
        return f"must be between {low} and {MAX_INTEGER}, got {value}"
    return None


def is_record_id(value):
    """Whether ``value`` can be the id of a record: an integer from 1 to MAX_INTEGER. Any
    other value names no record, and would make PostgreSQL fail if searched for."""
    return integer_error(value, 1) is None


def _kind_error(spec, value):
    """Why ``value`` does not fit ``spec``, or None."""
    if value is None:
        return None if spec.nullable or spec.kind == "json" else "must not be null"
    if spec.kind == "text":
        if not isinstance(value, str):
            return f"must be a string, got {_describe(value)}"
        if spec.required and not value.strip():
            return "must not be empty"
        if spec.choices and value not in spec.choices:
            return f"unknown value {value!r}, expected one of {', '.join(map(repr, spec.choices))}"
    elif spec.kind == "boolean" and not isinstance(value, bool):
        return f"must be true or false, got {_describe(value)}"
    elif spec.kind in ("integer", "count", "id"):
        return integer_error(value, {"id": 1, "count": 0}.get(spec.kind, -MAX_INTEGER))
    elif spec.kind == "list" and not isinstance(value, list):
        return f"must be a list, got {_describe(value)}"
    return None


def _shape_error(message, path):
    return DefinitionError(message, path).to_dict()


def _located(error, prefix, root=None):
    """``error`` of a part of the document, its path put under the part's ``prefix``."""
    inner = "" if error.path in (None, root) else error.path
    return dict(error.to_dict(), path=_join(prefix, inner))


def _object_errors(value, keys, path):
    """Errors of the object ``value`` against ``keys``; json keys are left to the caller."""
    if not isinstance(value, dict):
        return [_shape_error(f"must be an object, got {_describe(value)}", path or dsl.ROOT_PATH)]
    errors = [
        _shape_error("unknown key", _join(path, key))
        for key in sorted(value, key=str)
        if key not in keys and key not in READ_ONLY_KEYS
    ]
    for key, spec in keys.items():
        if key not in value:
            if spec.required:
                errors.append(_shape_error("missing required key", _join(path, key)))
            continue
        problem = _kind_error(spec, value[key])
        if problem:
            errors.append(_shape_error(problem, _join(path, key)))
    return errors


def _conditions_errors(conditions, path):
    try:
        dsl.validate(conditions)
    except dsl.ConditionError as exc:
        return [_located(exc, path, root=dsl.ROOT_PATH)]
    return []


def _date_trigger_errors(trigger, path):
    """Errors of the keys of a date trigger (DATE_TRIGGER_KEYS), on ``trigger`` of any event."""
    if trigger.get("event_type") != DATE_EVENT:
        return [
            _shape_error(f"only a {DATE_EVENT} trigger takes it", _join(path, key))
            for key in DATE_TRIGGER_KEYS if trigger.get(key) is not None
        ]
    errors = [
        _shape_error(f"a {DATE_EVENT} trigger needs it", _join(path, key))
        for key in DATE_TRIGGER_KEYS if trigger.get(key) is None
    ]
    date_field = trigger.get("date_field")
    if isinstance(date_field, str) and not date_field.strip():
        errors.append(_shape_error("must not be empty", _join(path, "date_field")))
    amount, unit = trigger.get("date_offset"), trigger.get("date_offset_unit")
    # Only an offset whose amount and unit are both valid can be too long; the others are reported above.
    if integer_error(amount) is None and unit in timing.DURATION_UNITS:
        try:
            timing.offset(amount, unit)
        except WorkflowError as exc:
            errors.append(_shape_error(exc.message, _join(path, "date_offset")))
    return errors


def _trigger_errors(trigger, path):
    errors = _object_errors(trigger, TRIGGER_KEYS, path)
    if not isinstance(trigger, dict):
        return errors
    custom_event = trigger.get("custom_event")
    if trigger.get("event_type") == "custom" and not (isinstance(custom_event, str) and custom_event.strip()):
        errors.append(_shape_error("a custom trigger needs the name of its event", _join(path, "custom_event")))
    errors += _date_trigger_errors(trigger, path)
    return errors + _conditions_errors(trigger.get("conditions"), _join(path, "conditions"))


def waits_for_a_sub_workflow(action_type, config):
    """Whether a ``action_type`` action with ``config`` waits for the sub-workflow it starts."""
    wait = config.get("wait") if action_type == "run_workflow" and isinstance(config, dict) else None
    # A templated wait may come out true: it is refused where a true one is.
    return wait is True or templates.is_template(wait)


def _action_errors(action, path, immediate):
    errors = _object_errors(action, ACTION_KEYS, path)
    if not isinstance(action, dict):
        return errors
    errors += _conditions_errors(action.get("conditions"), _join(path, "conditions"))
    # An action type that is no string (an object, a list) is reported above, and cannot be looked up.
    action_type = action.get("action_type")
    if not isinstance(action_type, str) or action_type not in action_schemas.ACTION_TYPES:
        return errors
    # A wait ends the transaction's part of its run: only a queued run can be taken up again later.
    if immediate and action_type == "wait":
        errors.append(_shape_error("a wait needs the queued execution mode", path))
    config = action.get("config")
    try:
        action_schemas.validate_config(action_type, {} if config is None else config)
    except WorkflowError as exc:
        errors.append(_located(exc, path))
    # Waiting ends the transaction's part of the run: only a queued run can be taken up again.
    if immediate and waits_for_a_sub_workflow(action_type, config):
        errors.append(_shape_error(
            "waiting for a sub-workflow needs the queued execution mode", _join(path, "config.wait")
        ))
    return errors


class _StepOrder:
    """Which step keys each action of a document may read: those of the actions run before it."""

    def __init__(self, items):
        def ordering(index):
            value = items[index].get("ordering", DEFAULT_ORDERING) if isinstance(items[index], dict) else None
            # A bad ordering is reported as such; the default stands in for it here.
            return value if integer_error(value) is None else DEFAULT_ORDERING

        run_order = sorted(range(len(items)), key=lambda index: (ordering(index), index))
        self.rank = {index: rank for rank, index in enumerate(run_order)}
        # The first action (document index) of each valid key: a repeated key is refused.
        self.holder = {}
        for index, item in enumerate(items):
            key = item.get("key") if isinstance(item, dict) else None
            if isinstance(key, str) and steps.key_error(key) is None:
                self.holder.setdefault(key, index)

    def errors(self, action, index, path):
        """Errors of the key of ``action`` (document ``index``) and of the steps it reads."""
        if not isinstance(action, dict):
            return []
        errors = []
        key = action.get("key")
        # A key that is no string is reported as such by _object_errors.
        problem = steps.key_error(key) if isinstance(key, str) else None
        if problem:
            errors.append(steps.StepError(problem, _join(path, "key")).to_dict())
        elif isinstance(key, str) and self.holder[key] != index:
            errors.append(steps.StepError(
                f"step key {key!r} is already the key of actions[{self.holder[key]}]", _join(path, "key")
            ).to_dict())
        return errors + self.reference_errors(action, index, path)

    def reference_errors(self, action, index, path):
        """Errors of the steps that ``action`` (document ``index``) reads: each must be an
        earlier step."""
        try:
            found = steps.references(action.get("config"), action.get("conditions"))
        except TemplateError:
            # The template's error is validate_config's to report; what it reads is looked at once it parses.
            found = steps.references(None, action.get("conditions"))
        errors = []
        for reference in found:
            errors += self._reference_errors(reference, index, path)
        return errors

    def _reference_errors(self, reference, index, path):
        where = _join(path, reference.path)
        if reference.key is None:
            return [steps.StepError(
                f"{steps.STEPS_NAME} is read by the key of an earlier step: {steps.STEPS_NAME}.<key>", where
            ).to_dict()]
        holder = self.holder.get(reference.key) if isinstance(reference.key, str) else None
        if holder is None or self.rank[holder] >= self.rank[index]:
            return [steps.StepError(
                f"{steps.STEPS_NAME}.{reference.key} is not an earlier step", where
            ).to_dict()]
        return []


def step_reference_errors(actions):
    """The errors of the steps that ``actions`` (a definition's actions, as dicts with
    ``key``, ``ordering``, ``config`` and ``conditions``) read, each naming its path
    (``actions[3].config.value``): a step read must be an earlier one. What a form or an
    RPC save checks of step order; a document's validate checks the keys too."""
    step_order = _StepOrder(actions)
    return [
        error for index, action in enumerate(actions)
        for error in step_order.reference_errors(action, index, f"actions[{index}]")
    ]


def validate(document):
    """Every error of the definition ``document``, in document order, as JSON-safe dicts.

    Each dict has the ``code`` of the error (``invalid_definition`` for the shape of the
    document, ``invalid_condition``, ``invalid_config``, ``template_error``, or
    ``invalid_step`` for a step key or a reference to a step that does not run earlier), its
    ``message`` and the ``path`` of the bad value in the document. An empty list means
    that the document is a valid workflow definition. A document nested too deeply, or
    with a string that cannot be stored (see jsondoc.value_errors), is refused for that
    alone: its parts are not looked into.
    """
    stored_errors = jsondoc.value_errors(document)
    if stored_errors:
        return [_shape_error(error["message"], error["path"]) for error in stored_errors]
    errors = _object_errors(document, WORKFLOW_KEYS, "")
    if not isinstance(document, dict):
        return errors
    for key in ("exit_conditions", "goal_conditions"):
        errors += _conditions_errors(document.get(key), key)
    triggers, actions = document.get("triggers"), document.get("actions")
    if isinstance(triggers, list):
        for index, trigger in enumerate(triggers):
            errors += _trigger_errors(trigger, f"triggers[{index}]")
    if isinstance(actions, list):
        immediate = document.get("execution_mode") == "immediate"
        step_order = _StepOrder(actions)
        for index, action in enumerate(actions):
            path = f"actions[{index}]"
            errors += _action_errors(action, path, immediate) + step_order.errors(action, index, path)
    return errors
