import json

from odoo import api, fields, models
from odoo.osv import expression
from odoo.tools import SQL

from ..engine import jsondoc
from .log_insert import cache_inserted, insert_select, log_rows, split_columns
from .workflow_action import ACTION_TYPE_SELECTION


class WorkflowActionRun(models.Model):
    _name = "workflow.action.run"
    _inherit = ["workflow.log.access.mixin"]
    _description = "Workflow Action Run"
    _order = "run_id desc, ordering, id"

    run_id = fields.Many2one(
        "workflow.run", required=True, ondelete="cascade", index=True, readonly=True,
        help="The run this action was part of.",
    )
    action_id = fields.Many2one(
        "workflow.action", ondelete="set null", readonly=True,
        help="The action definition; kept empty once the action is deleted, the run log stays.",
    )
    name = fields.Char(readonly=True, help="The action's name when it ran.")
    action_type = fields.Selection(ACTION_TYPE_SELECTION, readonly=True, help="The action's type when it ran.")
    ordering = fields.Integer(readonly=True, help="The action's place in the run.")
    state = fields.Selection(
        [("success", "Success"), ("failed", "Failed"), ("skipped", "Skipped")],
        required=True, readonly=True,
        help="Skipped: a failed action before this one stopped the run, or the action's conditions did "
        "not hold (see Explanation).",
    )
    explanation = fields.Json(
        readonly=True,
        help="Why the action's conditions did not hold when it was to run (the condition DSL's "
        "explanation, stored abbreviated); empty for an action that ran.",
    )
    explanation_summary = fields.Char(
        compute="_compute_explanation_summary", string="Why Skipped",
        help="The explanation in one line.",
    )
    attempt = fields.Integer(
        readonly=True, help="Which attempt of the run this is from: 1 for the first try, then one per retry."
    )
    retryable = fields.Boolean(
        readonly=True, help="The failure was temporary (a timeout, a server error): trying again may succeed."
    )
    duration_ms = fields.Float(
        string="Duration (ms)", readonly=True, aggregator="avg", help="How long the action took."
    )
    error = fields.Text(readonly=True, help="Why the action failed, with the path of what was wrong.")
    error_code = fields.Char(readonly=True, help="Machine-readable kind of the error (template_error, ...).")
    traceback = fields.Text(
        readonly=True, groups="workflow_engine.group_workflow_admin",
        help="Where the failure happened in the code; for Administrators.",
    )
    input = fields.Json(readonly=True, help="The action's configuration after rendering.")
    output = fields.Json(readonly=True, help="What the action produced (ids, statuses).")
    input_text = fields.Text(compute="_compute_json_texts", string="Input (JSON)", help="The input, as JSON text.")
    output_text = fields.Text(compute="_compute_json_texts", string="Output (JSON)", help="The output, as JSON text.")
    company_id = fields.Many2one(
        "res.company", readonly=True, index=True, help="The company of the run; who may see the action run."
    )

    @api.depends("input", "output")
    def _compute_json_texts(self):
        for action_run in self:
            action_run.input_text = json.dumps(action_run.input, indent=2, default=str)
            action_run.output_text = json.dumps(action_run.output, indent=2, default=str)

    @api.depends("explanation")
    def _compute_explanation_summary(self):
        for action_run in self:
            explanation = action_run.explanation
            action_run.explanation_summary = explanation.get("summary") if isinstance(explanation, dict) else False

    @api.model_create_multi
    def create(self, vals_list):
        return super().create(self._complete_vals(vals_list))

    @api.model
    def _complete_vals(self, vals_list):
        """``vals_list``, each naming its run's company and holding plain JSON."""
        runs = self.env["workflow.run"]
        for vals in vals_list:
            if "company_id" not in vals:
                vals["company_id"] = runs.browse(vals["run_id"]).company_id.id
            for key in ("input", "output"):
                if vals.get(key) is not None:
                    vals[key] = jsondoc.plain(vals[key])
        return vals_list

    @api.model
    def _insert(self, vals_list):
        """Create action runs from ``vals_list``, each naming its run's company, with one INSERT
        (see models/log_insert.py): what the run loop logs of the actions of an event's runs."""
        if not vals_list:
            return self.browse()
        rows = log_rows(self, self._complete_vals(vals_list))
        columns = split_columns(self, rows)
        self.env.cr.execute(SQL("%s RETURNING id", insert_select(self, rows, columns)))
        action_runs = self.browse(row[0] for row in self.env.cr.fetchall())
        cache_inserted(action_runs, rows, columns)
        return action_runs

    @api.model
    def _search(self, domain, offset=0, limit=None, order=None):
        # An action run is part of its run's log: it follows the run's rights on its record.
        if not self.env.su:
            domain = expression.AND([domain, [("run_id", "in", self.env["workflow.run"]._search([]))]])
        return super()._search(domain, offset=offset, limit=limit, order=order)
