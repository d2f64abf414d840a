"""The REST API of the design: workflows, their manual execution and their runs, as JSON.

Every route but the OpenAPI document authenticates with an Odoo API key sent as a bearer
token and runs as the key's user, with that user's groups and companies: access rights
and record rules decide, as over XML-RPC. Errors are raised, never returned (see
errors.py), so that a failed request leaves the database as it was.
"""

import functools
import json
import math
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import urlencode

from werkzeug.exceptions import MethodNotAllowed, RequestEntityTooLarge

from odoo import http
from odoo.http import request

from ..engine import jsondoc, splits
from ..engine.definition import MAX_INTEGER, integer_error, is_record_id
from ..engine.events import EVENT_TYPES, reserved_payload_keys, workflow_model_problem
from ..engine.runstate import RUN_STATES
from ..groups import ADMIN_GROUP
from .errors import API_AUTH, ApiError, mark_api_endpoint

MAX_REQUEST_SIZE = 1024 * 1024
JSON_MIMETYPE = "application/json"
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
OPENAPI_PATH = Path(__file__).with_name("openapi.json")

# Request bodies: key -> (JSON type, or the keys of a nested object; required).
RECORD_KEYS = {"res_model": (str, True), "res_id": (int, True)}
EXECUTE_KEYS = {**RECORD_KEYS, "payload": (dict, False)}
EVENT_KEYS = {"name": (str, True), "payload": (dict, False), "record": (RECORD_KEYS, False)}
ENROLL_KEYS = {"domain": (list, False), "res_ids": (list, False), "dry_run": (bool, False), "entity_type": (str, False)}
JSON_TYPE_NAMES = {str: "a string", int: "an integer", dict: "an object", list: "an array", bool: "a boolean"}


def api_route(path, method, auth=API_AUTH):
    """Route ``method`` requests for ``path`` to the decorated endpoint as an API call:
    authenticated by an API key as a bearer token alone (API_AUTH: no session, so no CSRF
    token either), with a request body of at most MAX_REQUEST_SIZE bytes."""

    def decorator(endpoint):
        @functools.wraps(endpoint)
        def only_for_method(self, *args, **kwargs):
            # Odoo routes OPTIONS to every endpoint too: it must not run a PUT or a DELETE.
            if request.httprequest.method == "OPTIONS":
                routes = request.env["ir.http"].routing_map().bind_to_environ(request.httprequest.environ)
                raise MethodNotAllowed(routes.allowed_methods())
            return endpoint(self, *args, **kwargs)

        # One byte over the limit: werkzeug cuts a chunked body at the limit without a word,
        # and _json_body must see that there was more.
        return http.route(
            path, type="http", auth=auth, methods=[method], csrf=False, save_session=False,
            max_content_length=MAX_REQUEST_SIZE + 1,
        )(mark_api_endpoint(only_for_method))

    return decorator


class WorkflowApi(http.Controller):
    @api_route("/api/v1/openapi.json", "GET", auth="none")
    def openapi(self):
        return request.make_response(OPENAPI_PATH.read_bytes(), headers=[("Content-Type", "application/json")])

    @api_route("/api/v1/workflows/", "GET")
    def list_workflows(self, limit=None, offset=None, active=None, event_type=None):
        domain = []
        if active is not None:
            domain.append(("active", "=", _query_boolean("active", active)))
        if event_type is not None:
            if event_type not in EVENT_TYPES:
                raise _bad_query("event_type", f"unknown event type {event_type!r}")
            domain.append(("trigger_ids.event_type", "=", event_type))
        workflows = request.env["workflow.workflow"].with_context(active_test=False)
        return _json(_page(workflows, domain, limit, offset, lambda workflow: workflow._to_document()))

    @api_route("/api/v1/workflows/", "POST")
    def create_workflow(self):
        workflows = request.env["workflow.workflow"]
        workflows.check_access("create")
        workflow = workflows._from_document(_json_body())
        return _json(workflow._to_document(), status=201, headers={"Location": _workflow_url(workflow)})

    @api_route("/api/v1/workflows/validate/", "POST")
    def validate_workflow(self):
        workflows = request.env["workflow.workflow"]
        workflows.check_access("read")
        workflows._check_document(_json_body())
        return _json({"valid": True})

    @api_route("/api/v1/workflows/<int:workflow_id>/", "GET")
    def read_workflow(self, workflow_id):
        return _json(_visible_record("workflow.workflow", workflow_id)._to_document())

    @api_route("/api/v1/workflows/<int:workflow_id>/", "PUT")
    def replace_workflow(self, workflow_id):
        workflow = _visible_record("workflow.workflow", workflow_id)
        workflow.check_access("write")
        workflow._write_document(_json_body())
        return _json(workflow._to_document())

    @api_route("/api/v1/workflows/<int:workflow_id>/", "DELETE")
    def delete_workflow(self, workflow_id):
        _visible_record("workflow.workflow", workflow_id).unlink()
        return request.make_response(b"", status=204)

    @api_route("/api/v1/workflows/<int:workflow_id>/execute/", "POST")
    def execute_workflow(self, workflow_id):
        workflow = _visible_record("workflow.workflow", workflow_id)
        body = _json_object(EXECUTE_KEYS)
        record = _target_record(body)
        idempotency_key = request.httprequest.headers.get("Idempotency-Key", "").strip() or None
        run = workflow.execute(record._name, record.id, body.get("payload"), idempotency_key=idempotency_key)
        # Runs are logged with superuser rights; the API user reads them with their own.
        run = request.env["workflow.run"].browse(run.id)
        if run.state == "pending":
            return _json(
                {"id": run.id, "uuid": run.uuid, "state": run.state}, status=202, headers={"Location": _run_url(run)}
            )
        return _json(_run_document(run))

    @api_route("/api/v1/workflows/<int:workflow_id>/enroll/", "POST")
    def enroll_records(self, workflow_id):
        workflow = _visible_record("workflow.workflow", workflow_id)
        body = _json_object(ENROLL_KEYS)
        result = workflow.enroll(
            domain=body.get("domain"), res_ids=body.get("res_ids"), dry_run=bool(body.get("dry_run")),
            entity_type=body.get("entity_type"),
        )
        return _json(result, status=200 if body.get("dry_run") else 202)

    @api_route("/api/v1/workflows/<int:workflow_id>/runs/", "GET")
    def list_runs(self, workflow_id, limit=None, offset=None, state=None, date_from=None, date_to=None):
        domain = [("workflow_id", "=", _visible_record("workflow.workflow", workflow_id).id)]
        if state is not None:
            states = state.split(",")
            known = dict(RUN_STATES)
            unknown = [name for name in states if name not in known]
            if unknown:
                raise _bad_query("state", f"unknown state {unknown[0]!r}, expected one of {', '.join(known)}")
            domain.append(("state", "in", states))
        if date_from is not None:
            start, _is_day = _query_moment("date_from", date_from)
            domain.append(("create_date", ">=", start))
        if date_to is not None:
            end, is_day = _query_moment("date_to", date_to)
            if is_day and end.date() < date.max:
                domain.append(("create_date", "<", end + timedelta(days=1)))
            else:
                domain.append(("create_date", "<=", datetime.max if is_day else end))
        return _json(_page(request.env["workflow.run"], domain, limit, offset, _run_summary))

    @api_route("/api/v1/workflows/<int:workflow_id>/versions/", "GET")
    def list_versions(self, workflow_id, limit=None, offset=None):
        domain = [("workflow_id", "=", _visible_record("workflow.workflow", workflow_id).id)]
        return _json(_page(request.env["workflow.version"], domain, limit, offset, _version_document))

    @api_route("/api/v1/workflows/<int:workflow_id>/variants/", "GET")
    def variant_statistics(self, workflow_id, days=None):
        workflow = _visible_record("workflow.workflow", workflow_id)
        days = _query_integer("days", days, splits.STATISTICS_DAYS, 1, splits.MAX_STATISTICS_DAYS)
        return _json(workflow.get_variant_statistics(days)[workflow.id])

    @api_route("/api/v1/workflow-runs/<int:run_id>/", "GET")
    def read_run(self, run_id):
        return _json(_run_document(_visible_record("workflow.run", run_id)))

    @api_route("/api/v1/events/", "POST")
    def emit_event(self):
        body = _json_object(EVENT_KEYS)
        records = _target_record(body["record"], path="record") if body.get("record") is not None else None
        runs = request.env["workflow.workflow"].emit_event(body["name"], body.get("payload"), records=records)
        visible_runs = request.env["workflow.run"].search([("id", "in", runs.ids)])
        return _json({"name": body["name"], "runs": [_run_summary(run) for run in visible_runs]})


def _join(path, key):
    return f"{path}.{key}" if path else key


def _json(data, status=200, headers=None):
    return request.make_json_response(data, headers=list((headers or {}).items()), status=status)


def _workflow_url(workflow):
    return f"/api/v1/workflows/{workflow.id}/"


def _run_url(run):
    return f"/api/v1/workflow-runs/{run.id}/"


def _reject_constant(name):
    raise ValueError(f"{name} is not a JSON number")


def _json_number(text):
    """A JSON number with a fraction or an exponent, as JSON Schema reads it: an integer
    when it has no fractional part (``788.0``), a float otherwise; one past a float's range
    (``1e400``) is refused, as JSON has no infinity."""
    number = float(text)
    if not math.isfinite(number):
        raise ValueError(f"{text} is out of range")
    return int(number) if number.is_integer() else number


def _json_body():
    """The request's body parsed as JSON: 415 unless it says it is JSON, 413 past
    MAX_REQUEST_SIZE, before parsing; 400 when it is not JSON."""
    if request.httprequest.mimetype != JSON_MIMETYPE:
        # Only a JSON body: a browser sends a form or text/plain to another site without
        # asking it first (no CORS preflight), JSON only after asking.
        raise ApiError(415, "unsupported_media_type", f"Send the body as JSON, with 'Content-Type: {JSON_MIMETYPE}'.")
    data = request.httprequest.get_data()
    if len(data) > MAX_REQUEST_SIZE:
        raise RequestEntityTooLarge()
    try:
        return json.loads(data, parse_constant=_reject_constant, parse_float=_json_number)
    except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise ApiError(400, "malformed_json", f"The request body is not valid JSON: {exc}.") from exc
    except RecursionError:
        message = f"The request body is not valid JSON: nested deeper than {jsondoc.MAX_DEPTH} levels."
        raise ApiError(400, "malformed_json", message) from None


def _invalid_request(details):
    summary = "; ".join(f"{detail['path']}: {detail['message']}" for detail in details)
    return ApiError(422, "invalid_request", f"Invalid request: {summary}.", details)


def _request_errors(value, keys, path=""):
    """What is wrong in the request object ``value`` (at ``path``) for ``keys``, as details."""
    if not isinstance(value, dict):
        return [{"path": path or "<root>", "message": "must be an object"}]
    details = [{"path": _join(path, key), "message": "unknown key"} for key in sorted(value) if key not in keys]
    for key, (kind, required) in keys.items():
        item, item_path = value.get(key), _join(path, key)
        if item is None:
            if required:
                details.append({"path": item_path, "message": "missing required key"})
        elif isinstance(kind, dict):
            details += _request_errors(item, kind, item_path)
        elif not isinstance(item, kind) or (isinstance(item, bool) and kind is not bool):
            details.append({"path": item_path, "message": f"must be {JSON_TYPE_NAMES[kind]}"})
        elif kind is str and not item.strip():
            details.append({"path": item_path, "message": "must not be empty"})
        elif kind is int and not is_record_id(item):
            # The only integers of a request body are record ids.
            details.append({"path": item_path, "message": integer_error(item, 1)})
    return details


def _json_object(keys):
    """The JSON body, which must be an object with ``keys`` (see EXECUTE_KEYS); an optional
    key may be null. 422 naming each bad key otherwise."""
    body = _json_body()
    details = _request_errors(body, keys) or jsondoc.value_errors(body)
    if not details and "payload" in keys:
        details = [
            {"path": f"payload.{key}", "message": "is a name of the run's context, which a payload cannot replace"}
            for key in reserved_payload_keys(body.get("payload"))
        ]
    if details:
        raise _invalid_request(details)
    return body


def _visible_record(model_name, record_id):
    """The record if the API user may read it. 404 when it does not exist and when the record
    rules hide it, as they do the records of another company; 403 without access rights."""
    records = request.env[model_name]
    # An id that no integer column holds names no record, and must not reach PostgreSQL.
    found = is_record_id(record_id) and records.with_context(active_test=False).search([("id", "=", record_id)])
    if not found:
        raise ApiError(404, "not_found", f"No {records._description.lower()} {record_id}.")
    return records.browse(found.id)


def _target_record(reference, path=""):
    """The record that ``reference`` (``{"res_model", "res_id"}`` at ``path``) names, which
    the API user must be able to read, and which is no record of the engine's own."""
    res_model = reference["res_model"]
    problem = workflow_model_problem(res_model)
    if problem:
        raise _invalid_request([{"path": _join(path, "res_model"), "message": problem}])
    return _visible_record(res_model, reference["res_id"])


def _bad_query(name, message):
    return ApiError(
        400, "bad_request", f"Invalid query parameter {name}: {message}.", [{"path": name, "message": message}]
    )


def _query_integer(name, value, default, minimum, maximum=None):
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        number = None
    if number is None or number < minimum:
        raise _bad_query(name, f"must be an integer of at least {minimum}")
    if maximum is not None and number > maximum:
        raise _bad_query(name, f"must be an integer of at most {maximum}")
    return number


def _query_boolean(name, value):
    if value.lower() not in ("true", "false", "1", "0"):
        raise _bad_query(name, "must be true or false")
    return value.lower() in ("true", "1")


def _query_moment(name, value):
    """``(naive UTC datetime, whether only a day was given)`` for an ISO date or datetime."""
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise _bad_query(name, "must be an ISO 8601 date or date and time") from None
    if moment.tzinfo:
        try:
            moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
        except OverflowError:
            # Before the first or after the last moment a datetime holds in UTC: that one
            # bounds the same runs.
            moment = datetime.min if moment.year == datetime.min.year else datetime.max
    return moment, len(value) == len("2024-01-31")


def _page(records, domain, limit, offset, serialize):
    """One page of the records matching ``domain``, with the total count and the URL of the
    next page (null on the last one)."""
    limit = min(_query_integer("limit", limit, DEFAULT_PAGE_SIZE, 1), MAX_PAGE_SIZE)
    # Records are counted in integers: an offset past MAX_INTEGER could only give an empty
    # page, and one past PostgreSQL's bigint would fail.
    offset = _query_integer("offset", offset, 0, 0, MAX_INTEGER)
    count = records.search_count(domain)
    next_offset = offset + limit if offset + limit < count else None
    next_url = None
    if next_offset is not None:
        query = dict(request.httprequest.args.to_dict(), limit=limit, offset=next_offset)
        next_url = f"{request.httprequest.base_url}?{urlencode(query)}"
    return {
        "items": [serialize(record) for record in records.search(domain, limit=limit, offset=offset)],
        "count": count,
        "limit": limit,
        "offset": offset,
        "next_offset": next_offset,
        "next": next_url,
    }


def _timestamp(value):
    """An Odoo datetime (naive, in UTC) as ISO 8601 with its time zone."""
    return f"{jsondoc.iso(value)}Z" if value else None


def _run_summary(run):
    return {
        "id": run.id,
        "uuid": run.uuid,
        "workflow_id": run.workflow_id.id,
        "trigger_id": run.trigger_id.id or None,
        "event_type": run.event_type or None,
        "state": run.state,
        "res_model": run.res_model or None,
        "res_id": run.res_id or None,
        "created_at": _timestamp(run.create_date),
        "started_at": _timestamp(run.started_at),
        "finished_at": _timestamp(run.finished_at),
        "duration_ms": run.duration_ms,
        "error": run.error or None,
        "error_code": run.error_code or None,
        "resume_at": _timestamp(run.resume_at),
    }


def _version_document(version):
    return {
        "id": version.id,
        "workflow_id": version.workflow_id.id,
        "version": version.version,
        "author_id": version.author_id.id or None,
        "created_at": _timestamp(version.create_date),
        "changes": version.changes or None,
        "definition": version.snapshot,
    }


def _run_document(run):
    """The run with its action runs; the tracebacks only for workflow administrators."""
    with_traceback = request.env.user.has_group(ADMIN_GROUP)
    action_runs = []
    for action_run in run.action_run_ids:
        document = {
            "id": action_run.id,
            "name": action_run.name,
            "action_type": action_run.action_type,
            "ordering": action_run.ordering,
            "state": action_run.state,
            "duration_ms": action_run.duration_ms,
            "error": action_run.error or None,
            "error_code": action_run.error_code or None,
            "input": action_run.input,
            "output": action_run.output,
            "explanation": action_run.explanation or None,
        }
        if with_traceback:
            document["traceback"] = action_run.traceback or None
        action_runs.append(document)
    return dict(
        _run_summary(run),
        payload=run.payload or None,
        explanation=run.explanation or None,
        exit_explanation=run.exit_explanation or None,
        idempotency_key=run.idempotency_key or None,
        user_id=run.user_id.id or None,
        company_id=run.company_id.id or None,
        action_runs=action_runs,
    )
