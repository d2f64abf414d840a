"""The Odoo-level typed errors of the workflow engine, in a module of their own so that the
models and the controllers import them from one place without importing each other (the
engine's own errors, which know no Odoo, are in ``engine.exceptions``)."""

from odoo.exceptions import AccessError, UserError, ValidationError


class IdempotencyConflict(UserError):
    """An idempotency key was used again for a different request."""


class RunCapabilityError(AccessError):
    """The run-as user lost a right that the workflow's actions need; ``code`` is the run's error code."""

    code = "capability_lost"


class InvalidDefinition(ValidationError):
    """A workflow definition document has errors; ``errors`` lists each with its path."""

    def __init__(self, message, errors):
        super().__init__(message)
        self.errors = errors
