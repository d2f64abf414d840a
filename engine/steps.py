"""Step keys: how an action names itself so that later actions can read its result.

An action with the key ``enrich`` puts its state and output in the context of the actions
after it, as ``steps.enrich``: ``{{steps.enrich.output.json.score}}`` in a config, the field
``steps.ab.output.variant`` in a condition. A definition may only refer to a step that runs
earlier (see engine.definition); at run time ``step_context`` builds the ``steps`` mapping.
"""

import re
from typing import NamedTuple

from . import conditions as dsl
from . import templates
from .exceptions import WorkflowError
from .runstate import SUCCESS

__all__ = [
    "MAX_KEY_LENGTH",
    "STEPS_NAME",
    "STEP_KEY",
    "StepError",
    "StepReference",
    "key_error",
    "references",
    "step_context",
]

STEPS_NAME = "steps"
"""The context variable that holds the results of the earlier steps."""
STEP_KEY = re.compile(r"[a-z][a-z0-9_]*")
"""A step key: lowercase letters, digits and ``_``, starting with a letter, so that it reads
as a plain attribute in templates and as one segment of a condition's dotted field."""
MAX_KEY_LENGTH = 64


class StepError(WorkflowError):
    """A step key is malformed or repeated, or a reference names no earlier step."""

    code = "invalid_step"


class StepReference(NamedTuple):
    """A use of ``steps.<key>`` at ``path`` inside an action (``config.value``,
    ``conditions.and[0]``); ``key`` is None when no key is written out (``steps[name]``)."""

    key: object
    path: str


def key_error(key):
    """Why ``key`` is no step key (STEP_KEY, at most MAX_KEY_LENGTH characters), or None.
    None is no key at all, and fine: only the steps that others read need one."""
    if key is None:
        return None
    if not isinstance(key, str) or not STEP_KEY.fullmatch(key):
        return "a step key is lowercase letters, digits and '_', starting with a letter"
    if len(key) > MAX_KEY_LENGTH:
        return f"a step key is at most {MAX_KEY_LENGTH} characters"
    return None


def _condition_references(node, path):
    if not isinstance(node, dict):
        return
    for key in dsl.LOGICAL_KEYS:
        if key == "not" and key in node:
            yield from _condition_references(node[key], f"{path}.not")
        elif key in node and isinstance(node[key], list):
            for index, child in enumerate(node[key]):
                yield from _condition_references(child, f"{path}.{key}[{index}]")
    field_path = node.get("field")
    if isinstance(field_path, str):
        root, _dot, rest = field_path.partition(".")
        if root == STEPS_NAME:
            yield StepReference(rest.partition(".")[0] or None, path)


def references(config=None, conditions=None):
    """Every StepReference of an action's ``config`` (its templates) and ``conditions`` (the
    fields of their leaves), config first, each in document order.

    Raise TemplateError for a config string that does not parse; ``conditions`` are
    expected valid (conditions.validate).
    """
    found = [
        StepReference(key, f"config.{path}" if path != templates.ROOT_PATH else "config")
        for path, key in templates.lookups(config, STEPS_NAME)
    ]
    return found + list(_condition_references(conditions, "conditions"))


def step_context(step_results):
    """The ``steps`` mapping of a run's context from its ordered ``(key, state, output)``.

    ``{"enrich": {"state": "success", "output": {...}}}``: only a step that succeeded shows
    its output, a skipped or failed one shows ``output`` None, so that a template reading
    it sees null rather than a half result. Steps without a key are left out.
    """
    return {
        key: {"state": state, "output": output if state == SUCCESS else None}
        for key, state, output in step_results
        if key is not None
    }


KNOWN_AT_RUN_TIME = "(known at run time)"
"""What a dry run shows for a config string that reads a step whose output only a run knows."""


def run_time_paths(config, known_keys=()):
    """The paths (``value``, ``body.lead``, as engine.templates names them) of the strings of
    ``config`` that read a step not in ``known_keys`` (or ``steps`` whole), in order, each
    once: a dry run cannot render them. Raise TemplateError for a string that does not parse."""
    known = set(known_keys)
    return list(dict.fromkeys(path for path, key in templates.lookups(config, STEPS_NAME) if key not in known))


def with_run_time_values(config, paths):
    """``config`` with its strings at ``paths`` (see run_time_paths) replaced by KNOWN_AT_RUN_TIME."""
    wanted = set(paths)

    def replaced(value, path):
        if isinstance(value, str):
            return KNOWN_AT_RUN_TIME if (path or templates.ROOT_PATH) in wanted else value
        if isinstance(value, dict):
            return {key: replaced(item, f"{path}.{key}" if path else str(key)) for key, item in value.items()}
        if isinstance(value, (list, tuple)):
            return [replaced(item, f"{path}[{index}]") for index, item in enumerate(value)]
        return value

    return replaced(config, "")
