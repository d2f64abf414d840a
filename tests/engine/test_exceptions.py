import pickle
import subprocess
import sys
from pathlib import Path

import pytest

import engine
from engine import conditions, templates
from engine.exceptions import (
    ActionError,
    ConditionError,
    ConfigError,
    TemplateError,
    WorkflowError,
)

REPOSITORY_ROOT = Path(__file__).resolve().parents[2]


def test_message_and_path():
    error = WorkflowError("went wrong", "config.to")
    assert str(error) == "config.to: went wrong"
    assert (error.message, error.path) == ("went wrong", "config.to")
    assert str(WorkflowError("went wrong")) == "went wrong"
    assert WorkflowError("went wrong").path is None


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (WorkflowError("m"), {"code": "workflow_error", "message": "m", "path": None}),
        (ConditionError("m", "and[0]"), {"code": "invalid_condition", "message": "m",
                                         "path": "and[0]"}),
        (ConfigError("m", "config"), {"code": "invalid_config", "message": "m", "path": "config"}),
        (TemplateError("m", "to", "lead.x"), {"code": "template_error", "message": "m",
                                              "path": "to", "variable": "lead.x"}),
        (TemplateError("m"), {"code": "template_error", "message": "m", "path": None,
                              "variable": None}),
        (ActionError("timeout", retryable=True), {"code": "action_error", "message": "timeout",
                                                  "path": None, "retryable": True}),
        (ActionError("bad"), {"code": "action_error", "message": "bad", "path": None,
                              "retryable": False}),
    ],
)  # fmt: skip
def test_to_dict_and_pickle_round_trip(error, expected):
    assert isinstance(error, WorkflowError)
    assert error.to_dict() == expected
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is type(error)
    assert copy.to_dict() == expected
    assert str(copy) == str(error)


def test_reexports():
    assert conditions.ConditionError is ConditionError
    assert templates.TemplateError is TemplateError
    assert engine.ActionError is ActionError


def test_engine_imports_without_odoo():
    # A None entry in sys.modules makes `import odoo` fail, wherever it happens.
    code = (
        "import sys, pkgutil, importlib\n"
        "sys.modules['odoo'] = None\n"
        "import engine\n"
        "for module in pkgutil.iter_modules(engine.__path__):\n"
        "    importlib.import_module('engine.' + module.name)\n"
        "print(sorted(name for name in sys.modules if name.startswith('engine.')))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPOSITORY_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    for name in ("engine.actions", "engine.conditions", "engine.exceptions", "engine.templates"):
        assert name in result.stdout
