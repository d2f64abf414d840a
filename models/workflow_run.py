import logging
import time
import traceback
import uuid

from odoo import api, fields, models
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY

from ..engine import jsondoc
from ..engine.exceptions import ActionError, WorkflowError

_logger = logging.getLogger(__name__)

RUN_STATES = [
    ("pending", "Pending"),
    ("running", "Running"),
    ("success", "Success"),
    ("partial", "Partial"),
    ("failed", "Failed"),
    ("skipped", "Skipped"),
]


class WorkflowRun(models.Model):
    _name = "workflow.run"
    _description = "Workflow Run"
    _order = "id desc"
    _rec_name = "uuid"

    workflow_id = fields.Many2one(
        "workflow.workflow", required=True, ondelete="cascade", index=True, readonly=True,
        help="The workflow that ran.",
    )
    trigger_id = fields.Many2one(
        "workflow.trigger", ondelete="set null", readonly=True,
        help="The trigger whose event and conditions started the run; empty for a run "
        "started by hand on a workflow without triggers.",
    )
    event_type = fields.Char(
        index=True, readonly=True,
        help="The event that started the run (lead.created, deal.won, ..., manual).",
    )
    payload = fields.Json(
        readonly=True, help="The event's context keys, as the conditions and actions saw them."
    )
    res_model = fields.Char(string="Record Model", index=True, readonly=True)
    res_id = fields.Many2oneReference(
        string="Record ID", model_field="res_model", index=True, readonly=True
    )
    state = fields.Selection(
        RUN_STATES, required=True, default="pending", index=True, readonly=True,
        help="Pending: waiting to run. Running: actions are executing. Success: every "
        "action succeeded. Partial: an action allowed to fail did. Failed: an action "
        "failed and stopped the run. Skipped: started by hand, but the conditions did "
        "not hold.",
    )
    uuid = fields.Char(
        string="Run ID", required=True, readonly=True, copy=False, index=True,
        default=lambda self: str(uuid.uuid4()),
        help="Unique identifier of the run, for logs and idempotent receivers.",
    )
    idempotency_key = fields.Char(
        index="btree_not_null", readonly=True, copy=False,
        help="Key under which the request that started the run may be repeated without "
        "starting another run.",
    )
    depth = fields.Integer(
        readonly=True,
        help="0 for a run started by a user or an API call; n when the actions of a run at "
        "depth n-1 caused the event that started it.",
    )
    user_id = fields.Many2one(
        "res.users", string="Run As", readonly=True,
        help="The user whose rights the actions ran with.",
    )
    started_at = fields.Datetime(readonly=True)
    finished_at = fields.Datetime(readonly=True)
    duration_ms = fields.Float(
        string="Duration (ms)", readonly=True, aggregator="avg",
        help="Time from the first action's start to the last one's end.",
    )
    error = fields.Text(readonly=True, help="Why the run failed or why it did not run.")
    error_code = fields.Char(readonly=True)
    explanation = fields.Json(
        readonly=True,
        help="Which condition decided whether the workflow ran, and the values it compared.",
    )
    explanation_summary = fields.Char(
        compute="_compute_explanation_summary", string="Why",
    )
    action_run_ids = fields.One2many("workflow.action.run", "run_id", readonly=True)
    company_id = fields.Many2one("res.company", index=True, readonly=True)

    _sql_constraints = [("uuid_unique", "UNIQUE(uuid)", "A run's ID is unique.")]

    @api.depends("explanation")
    def _compute_explanation_summary(self):
        for run in self:
            run.explanation_summary = (run.explanation or {}).get("summary") or False

    def action_open_record(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": self.res_model,
            "res_id": self.res_id,
            "view_mode": "form",
        }

    def _get_record(self):
        self.ensure_one()
        if not self.res_model or self.res_model not in self.env:
            return self.env["res.partner"].browse()
        return self.env[self.res_model].browse(self.res_id).exists()

    def _execute(self, record, context):
        """Run the workflow's actions in order on this running run's ``record``, and log
        the run with one action run per action (those after a stopping failure skipped).

        ``record`` and ``context`` are in the run-as user's environment; ``self`` is
        the engine's own bookkeeping and is written with superuser rights.
        """
        self.ensure_one()
        state = "success"
        stopped_by = None
        start = time.perf_counter()
        record = record.with_context(workflow_depth=self.depth + 1)
        logs = []
        for action in self.workflow_id.action_ids:
            if stopped_by:
                logs.append(self._action_run_vals(action, state="skipped"))
                continue
            log = self._execute_action(action, record, context)
            logs.append(log)
            if log["state"] == "failed":
                if action.allow_failure:
                    state = "partial"
                else:
                    state, stopped_by = "failed", log
        self.env["workflow.action.run"].create(logs)
        self.write({
            "state": state,
            "finished_at": fields.Datetime.now(),
            "duration_ms": (time.perf_counter() - start) * 1000,
            "error": stopped_by and f"{stopped_by['name']}: {stopped_by['error']}",
            "error_code": stopped_by and stopped_by["error_code"],
        })
        return self

    def _execute_action(self, action, record, context):
        """Run one action in a savepoint and return its action run's values."""
        vals = self._action_run_vals(action)
        start = time.perf_counter()
        rendered, secrets = None, []
        try:
            with record.env.cr.savepoint():
                rendered, secrets = action._render_input(self, context)
                vals["output"] = action.with_env(record.env)._execute(record, rendered)
            vals["state"] = "success"
        except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY:
            raise
        except Exception as exc:  # noqa: BLE001 - every failure is logged on the run
            error = exc if isinstance(exc, WorkflowError) else ActionError(str(exc))
            _logger.info("workflow run %s: action %s failed: %s", self.uuid, action.id, error)
            vals.update(
                state="failed", error=str(error), error_code=error.code, traceback=traceback.format_exc(),
                output=getattr(error, "output", None),
            )
        vals["duration_ms"] = (time.perf_counter() - start) * 1000
        vals["input"] = rendered
        for key in ("input", "output", "error", "traceback"):
            vals[key] = jsondoc.mask(vals.get(key), secrets)
        return vals

    def _action_run_vals(self, action, **values):
        return {
            "run_id": self.id, "action_id": action.id, "name": action.name,
            "action_type": action.action_type, "ordering": action.ordering, **values,
        }
