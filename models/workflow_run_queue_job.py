"""The OCA queue_job backend of the queue: one job per run, which claims and executes its run as
the built-in queue's workers do."""

from odoo import fields, models

QUEUE_JOB_CHANNEL = "root.workflow"
"""The OCA queue_job channel of the jobs that execute runs."""


class WorkflowRun(models.Model):
    _inherit = "workflow.run"

    def _enqueue_jobs(self):
        """Queue one OCA queue_job job per run, on the workflow channel, to start at the run's
        ``next_attempt_at`` (at once when empty)."""
        if not self:
            return
        channels = self.env["queue.job.channel"].sudo()
        if not channels.search_count([("complete_name", "=", QUEUE_JOB_CHANNEL)], limit=1):
            # Listed in queue_job's channels, where an administrator sets its removal interval.
            channels.create({
                "name": QUEUE_JOB_CHANNEL.split(".")[-1], "parent_id": self.env.ref("queue_job.channel_root").id,
            })
        for run in self:
            job = run.with_delay(
                channel=QUEUE_JOB_CHANNEL, eta=run.next_attempt_at or None, description=self.env._(
                    "Workflow run %(run)s of %(workflow)s", run=run.uuid, workflow=run.workflow_id.name
                ),
            )._execute_as_job()
            run.job_uuid = job.uuid

    def _execute_as_job(self):
        """The OCA queue_job job of these runs: the built-in queue's claim and execution. A run
        already claimed or finished by then is left alone: a job performed twice runs nothing
        twice. A run not due yet (its job was started by hand too early) gets a job for later."""
        run_ids = self._claim(len(self), run_ids=self.ids)
        self._execute_claimed(run_ids)
        now = fields.Datetime.now()
        left = self.sudo().browse(set(self.ids) - set(run_ids))
        # Claims and executions committed elsewhere: what this transaction cached is stale.
        left.invalidate_recordset(["state", "next_attempt_at"])
        early = left.filtered(
            lambda run: run.state in ("pending", "waiting") and run.next_attempt_at and run.next_attempt_at > now
        )
        early._enqueue_jobs()
        return self.env._(
            "%(executed)s run(s) executed, %(skipped)s no longer pending, %(early)s not due yet.",
            executed=len(run_ids), skipped=len(self) - len(run_ids) - len(early), early=len(early),
        )
