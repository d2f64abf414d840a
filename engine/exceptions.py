"""Typed errors of the workflow engine, each carrying the path of the offending node."""


class WorkflowError(Exception):
    """Base error: ``message`` explains, ``path`` locates it in the JSON that caused it."""

    code = "workflow_error"

    def __init__(self, message, path=None):
        super().__init__(message)
        self.message = message
        self.path = path

    def __str__(self):
        return f"{self.path}: {self.message}" if self.path else self.message

    def to_dict(self):
        """JSON-safe form for logs and APIs."""
        return {"code": self.code, "message": self.message, "path": self.path}


class ConditionError(WorkflowError):
    """A condition does not fit the condition DSL."""

    code = "invalid_condition"


class TemplateError(WorkflowError):
    """A template does not parse, or uses an undefined or forbidden variable."""

    code = "template_error"

    def __init__(self, message, path=None, variable=None):
        super().__init__(message, path)
        self.variable = variable

    def to_dict(self):
        return {**super().to_dict(), "variable": self.variable}


class ConfigError(WorkflowError):
    """An action's config does not fit the schema of its action type."""

    code = "invalid_config"


class ActionError(WorkflowError):
    """An action failed; ``retryable`` tells whether trying again can help, ``output``
    keeps what the action learnt before failing (an HTTP status, a response excerpt)."""

    code = "action_error"

    def __init__(self, message, path=None, retryable=False, output=None):
        super().__init__(message, path)
        self.retryable = retryable
        self.output = output

    def to_dict(self):
        return {**super().to_dict(), "retryable": self.retryable}


class SubWorkflowDeleted(ActionError):
    """The run of a sub-workflow that a run waited for was deleted before it ended."""

    code = "sub_workflow_deleted"
