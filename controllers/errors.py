"""The REST API's error bodies: ``{"error": {"code", "message", "details"}}`` with its status.

Controllers raise instead of returning an error, so that Odoo rolls the request's
transaction back: a request that fails leaves the database as it was.
"""

import re

from werkzeug.exceptions import (
    HTTPException,
    InternalServerError,
    MethodNotAllowed,
    NotFound,
    RequestEntityTooLarge,
    Unauthorized,
)

from odoo.exceptions import AccessDenied, AccessError, MissingError, UserError
from odoo.http import SessionExpiredException, request

from ..exceptions import IdempotencyConflict, InvalidDefinition

API_PREFIX = "/api/v1/"
API_AUTH = "workflow_api_key"
"""The authentication method of the API's routes: an API key as a bearer token, no session
(models/ir_http.py)."""
API_ENDPOINT_MARK = "serves_workflow_api"
AUTHENTICATION_HINT = "A valid API key is required, sent as 'Authorization: Bearer <key>'."


class ApiError(HTTPException):
    """An error of the REST API: HTTP ``status``, machine-readable ``error_code``, a message
    for people and ``details`` (a list of ``{"path", "message", ...}``, possibly empty)."""

    def __init__(self, status, error_code, message, details=(), headers=None):
        super().__init__(description=message)
        # werkzeug calls the HTTP status ``code``; the error's own code is ``error_code``.
        self.code = status
        self.error_code = error_code
        self.details = list(details)
        self.response_headers = dict(headers or {})


def mark_api_endpoint(endpoint):
    """Mark ``endpoint`` as a route of the API, whose errors the API answers."""
    setattr(endpoint, API_ENDPOINT_MARK, True)
    return endpoint


def is_api_endpoint(endpoint):
    """Whether ``endpoint`` (a routed function, or Odoo's copy of one) is a route of the API."""
    return getattr(endpoint, API_ENDPOINT_MARK, False)


def allowed_methods(valid_methods):
    """The methods to list in an Allow header: Odoo routes every path for OPTIONS too, but
    the API answers OPTIONS with 405."""
    return sorted(set(valid_methods) - {"OPTIONS"})


def _snake_case(text):
    return re.sub(r"\W+", "_", text.strip().lower())


def as_api_error(exception):
    """The ApiError that answers ``exception``; anything unexpected is a 500 that hides it."""
    if isinstance(exception, ApiError):
        return exception
    if isinstance(exception, (AccessDenied, SessionExpiredException, Unauthorized)):
        return ApiError(401, "unauthorized", AUTHENTICATION_HINT, headers={"WWW-Authenticate": "Bearer"})
    if isinstance(exception, InvalidDefinition):
        return ApiError(422, "invalid_definition", exception.args[0], exception.errors)
    if isinstance(exception, IdempotencyConflict):
        return ApiError(409, "idempotency_conflict", exception.args[0])
    if isinstance(exception, MissingError):
        return ApiError(404, "not_found", exception.args[0])
    if isinstance(exception, AccessError):
        return ApiError(403, "forbidden", exception.args[0])
    if isinstance(exception, UserError):
        return ApiError(422, "invalid_request", exception.args[0])
    if isinstance(exception, MethodNotAllowed):
        methods = allowed_methods(exception.valid_methods or ())
        return ApiError(
            405, "method_not_allowed",
            f"{request.httprequest.method} is not allowed here; allowed: {', '.join(methods)}.",
            headers={"Allow": ", ".join(methods)},
        )
    if isinstance(exception, NotFound):
        return ApiError(404, "not_found", f"No endpoint {request.httprequest.path}.")
    if isinstance(exception, RequestEntityTooLarge):
        return ApiError(413, "payload_too_large", "The request body is too large.")
    if isinstance(exception, HTTPException) and exception.code:
        return ApiError(exception.code, _snake_case(exception.name), exception.description or exception.name)
    return ApiError(500, "internal_error", InternalServerError.description)


def error_response(exception):
    """The JSON response that answers ``exception`` raised while serving an API request."""
    error = as_api_error(exception)
    body = {"error": {"code": error.error_code, "message": error.description, "details": error.details}}
    return request.make_json_response(body, headers=list(error.response_headers.items()), status=error.code)
