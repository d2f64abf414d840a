from odoo import fields, models


class WorkflowTriggerFire(models.Model):
    """That a date trigger fired for a record's date value, or found it already due when it was
    activated: the unique key on trigger, record and value makes each value fire once, whichever
    server scans it (see workflow.trigger._scan_dates). Engine bookkeeping, written by SQL."""

    _name = "workflow.trigger.fire"
    _description = "Workflow Date Trigger Fire"
    _order = "id desc"
    _log_access = False

    trigger_id = fields.Many2one(
        "workflow.trigger", required=True, ondelete="cascade", readonly=True,
        help="The date trigger that fired.",
    )
    res_id = fields.Integer(
        string="Record ID", required=True, readonly=True,
        help="The record whose date came due, of the model of the trigger's entity.",
    )
    date_value = fields.Datetime(
        required=True, readonly=True,
        help="The value of the date field that came due (a date as its midnight, UTC).",
    )
    fired_at = fields.Datetime(
        required=True, readonly=True, default=fields.Datetime.now,
        help="When the scan found the value due.",
    )
    run_id = fields.Many2one(
        "workflow.run", ondelete="set null", readonly=True, index="btree_not_null",
        help="The run it started; empty when the trigger's conditions did not hold, or when the "
        "value was already due when the trigger was activated (it never fires).",
    )

    _sql_constraints = [(
        "trigger_record_value_unique", "UNIQUE(trigger_id, res_id, date_value)",
        "A date trigger fires once per record and date value.",
    )]
