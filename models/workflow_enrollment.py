"""Enrollments: existing records put into a workflow at once (workflow.workflow.enroll), with the
progress of their runs, which the queue reports as they settle (see _refresh_progress)."""

import logging

from odoo import SUPERUSER_ID, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY
from odoo.tools import SQL

from ..engine.events import ENTITY_TYPES
from ..engine.runstate import ACTIVE_STATES
from ..groups import MANAGER_GROUP

_logger = logging.getLogger(__name__)

DONE_STATES = ("success", "partial", "skipped", "exited")
"""The final states of a run that count as done in an enrollment's progress."""
FAILED_STATES = ("failed", "cancelled")
"""The final states of a run that count as failed in an enrollment's progress."""
PROGRESS_NOTIFICATION = "workflow_enrollment_progress"
"""The bus notification that tells the enrolling user how the enrollment's runs are doing."""
REFRESH_ATTEMPTS = 5
"""Transactions tried in a row to count an enrollment's runs when other workers count them at once."""


class WorkflowEnrollment(models.Model):
    _name = "workflow.enrollment"
    _description = "Workflow Enrollment"
    _order = "id desc"

    workflow_id = fields.Many2one(
        "workflow.workflow", required=True, ondelete="cascade", index=True, readonly=True,
        help="The workflow the records were enrolled in.",
    )
    user_id = fields.Many2one(
        "res.users", string="Enrolled By", readonly=True,
        help="The Workflow Manager who enrolled the records; the progress is shown to them.",
    )
    company_id = fields.Many2one(
        related="workflow_id.company_id", store=True, index=True,
        help="The company of the workflow; who may see the enrollment.",
    )
    res_model = fields.Char(string="Record Model", readonly=True, help="The model of the records enrolled.")
    entity_type = fields.Selection(
        ENTITY_TYPES, readonly=True,
        help="The records enrolled: the entity of the triggers whose conditions selected them.",
    )
    domain = fields.Text(
        readonly=True,
        help="The domain (JSON) that narrowed the records the triggers' conditions select; empty for none.",
    )
    total = fields.Integer(
        readonly=True,
        help="Records selected: those the caller narrowed them to whose triggers' conditions hold.",
    )
    queued = fields.Integer(
        readonly=True,
        help="Runs created: the records selected, less those already in a running enrollment of the "
        "workflow (and, with One Active Run per Record, those with an active run).",
    )
    done = fields.Integer(
        readonly=True, help="Runs that ended well: succeeded, partial, skipped or exited."
    )
    failed = fields.Integer(readonly=True, help="Runs that failed or were cancelled.")
    state = fields.Selection(
        [("running", "Running"), ("done", "Done"), ("cancelled", "Cancelled")],
        required=True, default="running", index=True, readonly=True,
        help="Running: some of its runs have not ended yet. Done: every run ended. Cancelled: a "
        "manager cancelled the runs that had not started; those that had go on to their end.",
    )
    started_at = fields.Datetime(readonly=True, help="When the records were enrolled.")
    finished_at = fields.Datetime(readonly=True, help="When the last run ended, or the enrollment was cancelled.")
    progress = fields.Float(
        compute="_compute_progress", digits=(5, 1),
        help="Percentage of the records selected that are through: their run ended, or they needed none.",
    )
    run_ids = fields.One2many("workflow.run", "enrollment_id", string="Runs", help="The runs the enrollment queued.")

    @api.depends("total", "queued", "done", "failed")
    def _compute_progress(self):
        for enrollment in self:
            enrollment.progress = enrollment._progress()

    @api.depends("workflow_id.name", "total")
    def _compute_display_name(self):
        for enrollment in self:
            enrollment.display_name = self.env._(
                "%(workflow)s: enrollment of %(count)s records", workflow=enrollment.workflow_id.name,
                count=enrollment.total,
            )

    def action_cancel(self):
        """Cancel the runs of these running enrollments that have not started yet; those already
        started go on to their end, and are counted when they get there."""
        if not self.env.user.has_group(MANAGER_GROUP):
            raise AccessError(self.env._("Only Workflow Managers and Administrators may cancel enrollments."))
        self.check_access("read")
        others = self.filtered(lambda enrollment: enrollment.state != "running")
        if others:
            raise UserError(self.env._(
                "Only running enrollments can be cancelled; %(enrollment)s is %(state)s.",
                enrollment=others[0].display_name, state=others[0].state,
            ))
        runs = self.env["workflow.run"].sudo()
        runs.flush_model()
        # One UPDATE however many runs wait. A run a worker claimed meanwhile conflicts here; the
        # request is tried again, and finds it started: nothing starts after the cancel.
        now = fields.Datetime.now()
        self.env.cr.execute(SQL(
            "UPDATE workflow_run SET state = 'cancelled', finished_at = %s, next_attempt_at = NULL, "
            "wait_reason = %s, write_uid = %s, write_date = %s "
            "WHERE enrollment_id IN %s AND state = 'pending' AND started_at IS NULL",
            now, self.env._("Enrollment cancelled by %s.", self.env.user.name), self.env.uid, now, tuple(self.ids),
        ))
        runs.invalidate_model(["state", "finished_at", "next_attempt_at", "wait_reason", "write_uid", "write_date"])
        self.sudo().write({"state": "cancelled", "finished_at": now})
        self._refresh_progress()
        return True

    def action_view_runs(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("workflow_engine.workflow_run_action")
        action["domain"] = [("enrollment_id", "=", self.id)]
        action["context"] = {}
        return action

    def _progress(self):
        # The records selected but not queued needed no run: they are through.
        if not self.total:
            return 100.0
        return 100.0 * min(self.done + self.failed + self.total - self.queued, self.total) / self.total

    def _refresh_progress(self):
        """Count the ended runs of these enrollments again, with one UPDATE for all of them; a
        running enrollment none of whose runs is active any more is done. Each enrolling user
        is told the new figures on the bus. Counted, not added up: a run retried after it
        failed counts once, as what it ended as last."""
        if not self:
            return
        self.env["workflow.run"].flush_model(["enrollment_id", "state"])
        self.flush_recordset()
        now = fields.Datetime.now()
        self.env.cr.execute(SQL(
            """
            UPDATE workflow_enrollment AS enrollment
               SET done = counts.done, failed = counts.failed,
                   state = CASE WHEN enrollment.state = 'running' AND counts.active = 0 THEN 'done'
                                ELSE enrollment.state END,
                   finished_at = CASE WHEN enrollment.state = 'running' AND counts.active = 0 THEN %(now)s
                                      ELSE enrollment.finished_at END
              FROM (SELECT counted.id,
                           count(run.id) FILTER (WHERE run.state IN %(done)s) AS done,
                           count(run.id) FILTER (WHERE run.state IN %(failed)s) AS failed,
                           count(run.id) FILTER (WHERE run.state IN %(active)s) AS active
                      FROM workflow_enrollment AS counted
                      LEFT JOIN workflow_run AS run ON run.enrollment_id = counted.id
                     WHERE counted.id IN %(ids)s
                     GROUP BY counted.id) AS counts
             WHERE enrollment.id = counts.id
            """,
            now=now, done=DONE_STATES, failed=FAILED_STATES, active=ACTIVE_STATES, ids=tuple(self.ids),
        ))
        self.invalidate_recordset(["done", "failed", "state", "finished_at", "progress"])
        for enrollment in self.sudo():
            if enrollment.user_id:
                enrollment.user_id.partner_id._bus_send(PROGRESS_NOTIFICATION, enrollment._progress_message())

    def _progress_message(self):
        return {
            "id": self.id, "total": self.total, "queued": self.queued, "done": self.done, "failed": self.failed,
            "state": self.state, "progress": self._progress(),
        }

    @api.model
    def _refresh_after_runs(self, run_ids):
        """Refresh the progress of the enrollments of the runs ``run_ids`` (and of their parent
        runs, which a sub-workflow's end may have ended) once a queue worker executed them, in a
        transaction of its own: concurrent workers count one enrollment in turn, the last one
        with what all of them committed."""
        if not run_ids:
            return
        for attempt in range(1, REFRESH_ATTEMPTS + 1):
            try:
                with self.env.registry.cursor() as cr:
                    # Locked in one order: the rows another worker counts meanwhile fail here, not later.
                    cr.execute(
                        """
                        SELECT id FROM workflow_enrollment
                         WHERE id IN (SELECT enrollment_id FROM workflow_run
                                       WHERE id IN %s AND enrollment_id IS NOT NULL
                                      UNION
                                      SELECT parent.enrollment_id FROM workflow_run AS run
                                        JOIN workflow_run AS parent ON parent.id = run.parent_run_id
                                       WHERE run.id IN %s AND parent.enrollment_id IS NOT NULL)
                         ORDER BY id FOR UPDATE
                        """,
                        [tuple(run_ids)] * 2, log_exceptions=False,
                    )
                    enrollment_ids = [row[0] for row in cr.fetchall()]
                    env = api.Environment(cr, SUPERUSER_ID, {})
                    env["workflow.enrollment"].browse(enrollment_ids)._refresh_progress()
                return
            except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY:
                # Another worker counted them since this transaction began: count again, after it.
                if attempt == REFRESH_ATTEMPTS:
                    # The next batch of these enrollments' runs counts them again.
                    _logger.warning("workflow runs %s: their enrollments' progress was not counted, too many "
                                    "concurrent workers", run_ids)
