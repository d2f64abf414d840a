"""Pure-Python core of the workflow engine: conditions, templates and action schemas.

Nothing here imports Odoo, so it runs and is tested with plain Python and Jinja2.
"""

from . import actions, conditions, exceptions, templates
from .exceptions import ActionError, ConditionError, ConfigError, TemplateError, WorkflowError

__all__ = [
    "ActionError",
    "ConditionError",
    "ConfigError",
    "TemplateError",
    "WorkflowError",
    "actions",
    "conditions",
    "exceptions",
    "templates",
]
