"""The queue's scenarios again, on the OCA queue_job backend.

These tests need queue_job installed: they are tagged out of the standard suite and run by
scripts/test.sh in a database with queue_job (``--test-tags=workflow_queue_job``).
"""

import threading

import requests

from odoo import fields
from odoo.tests import new_test_user, tagged
from odoo.tests.common import get_db_name
from odoo.tools import config

from ..models.workflow_run_queue_job import QUEUE_JOB_CHANNEL
from . import test_workflow_queue, test_workflow_queue_workers

RUNNER_LOCK = threading.Lock()


def _due_job_uuids(cr):
    cr.execute(
        "SELECT uuid FROM queue_job WHERE channel = %s AND state = 'pending' AND (eta IS NULL OR eta <= %s) "
        "ORDER BY id",
        [QUEUE_JOB_CHANNEL, fields.Datetime.now()],
    )
    return [row[0] for row in cr.fetchall()]


def _perform(env, job_uuid):
    """Perform a job as queue_job's runner does, minus its HTTP request: start it, run it, end it."""
    from odoo.addons.queue_job.job import Job  # noqa: PLC0415 - queue_job is installed only here

    job = Job.load(env, job_uuid)
    job.set_started()
    job.store()
    job.perform()
    job.set_done()
    job.store()
    return job


@tagged("post_install", "-at_install", "-standard", "workflow_queue_job")
class TestWorkflowQueueJob(test_workflow_queue.TestWorkflowQueue):
    """Every scenario of the built-in queue, each run executed by its queue_job job."""

    queue_backend = "queue_job"
    allow_inherited_tests_method = True

    def _process(self, worker_timeout=None):
        """queue_job's runner performs the due jobs; the built-in cron still queues stale runs again.
        How many runs were claimed: each claim counts one more attempt."""
        self.env.flush_all()
        attempts = self._attempts()
        self.Run._process_queue(worker_timeout=worker_timeout)
        self.env.flush_all()
        for job_uuid in _due_job_uuids(self.env.cr):
            _perform(self.env, job_uuid)
        self.env.flush_all()
        self.env.invalidate_all()
        return self._attempts() - attempts

    def _attempts(self):
        self.env.cr.execute("SELECT COALESCE(sum(attempt), 0) FROM workflow_run")
        return self.env.cr.fetchone()[0]

    def _wake_count(self):
        self.env.flush_all()
        return self.env["queue.job"].search_count([("channel", "=", QUEUE_JOB_CHANNEL)])

    def _make_due(self, runs):
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE queue_job SET eta = %s WHERE channel = %s AND state = 'pending'",
            [fields.Datetime.now(), QUEUE_JOB_CHANNEL],
        )
        return super()._make_due(runs)

    def test_each_run_gets_a_job_on_the_workflow_channel(self):
        workflow = self._queued()
        runs = workflow.execute("crm.lead", self.lead.id, {"n": 1}) | workflow.execute(
            "crm.lead", self.lead.id, {"n": 2})
        self.env.flush_all()
        jobs = self.env["queue.job"].search([("uuid", "in", runs.mapped("job_uuid"))])
        self.assertEqual(len(jobs), 2, "one job per run")
        self.assertEqual(set(jobs.mapped("channel")), {QUEUE_JOB_CHANNEL})
        self.assertEqual(set(jobs.mapped("method_name")), {"_execute_as_job"})
        self.assertEqual({job.records.id for job in jobs}, set(runs.ids))
        self.assertTrue(self.env["queue.job.channel"].search([("complete_name", "=", QUEUE_JOB_CHANNEL)]))
        self.assertEqual(self.Run._process_queue(), 0, "the built-in queue leaves them to their jobs")
        self.assertEqual(self._drain(), 2)
        self.assertEqual(runs.mapped("state"), ["success", "success"])
        self.assertEqual(set(jobs.mapped("state")), {"done"})
        self.assertIn("1 run(s) executed", jobs[0].result)

    def test_a_salesman_without_workflow_rights_queues_a_job_that_runs_the_workflow(self):
        workflow = self._queued(trigger_ids=[(0, 0, {"event_type": "lead.created"})], actions=[
            (0, 0, {"name": "Note", "action_type": "add_note", "config": {"note": "Welcome {{lead.name}}"}}),
        ])
        salesman = new_test_user(self.env, "qj_salesman", groups="sales_team.group_sale_salesman_all_leads")
        lead = self.env["crm.lead"].with_user(salesman).create({"name": "Walk-in", "type": "lead"})
        run = workflow.run_ids
        self.env.flush_all()
        job = self.env["queue.job"].search([("uuid", "=", run.job_uuid)])
        self.assertEqual((run.state, job.user_id), ("pending", salesman), "the job is the salesman's")
        self.assertEqual(self._drain(), 1)
        self.assertEqual(run.state, "success")
        self.assertEqual(len(self._notes(lead, "Welcome Walk-in")), 1)

    def test_a_job_performed_again_executes_nothing_twice(self):
        run = self._queued().execute("crm.lead", self.lead.id, {"n": 5})
        self.env.flush_all()
        _perform(self.env, run.job_uuid)
        job = _perform(self.env, run.job_uuid)
        self.env.invalidate_all()
        self.assertIn("0 run(s) executed, 1 no longer pending", job.result)
        self.assertEqual((run.state, run.attempt, len(run.action_run_ids)), ("success", 1, 1))
        self.assertEqual(len(self._notes(self.lead, "Queued note 5")), 1)

    def test_a_job_performed_before_its_run_is_due_queues_another(self):
        workflow = self._webhook_workflow(503, max_retries=1, retry_delay_seconds=60)
        run = workflow.execute("crm.lead", self.lead.id, {"n": 1})
        self._drain()
        self.assertEqual((run.state, run.retry_count), ("pending", 1))
        waiting_job = run.job_uuid
        self.env.flush_all()
        _perform(self.env, waiting_job)
        self.env.invalidate_all()
        self.assertEqual(run.state, "pending", "the run waits for its backoff")
        self.assertNotEqual(run.job_uuid, waiting_job, "and another job will execute it then")
        job = self.env["queue.job"].search([("uuid", "=", run.job_uuid)])
        self.assertEqual((job.state, job.eta), ("pending", run.next_attempt_at))


@tagged("post_install", "-at_install", "-standard", "workflow_queue_job")
class TestQueueJobWorkers(test_workflow_queue_workers.TestQueueWorkers):
    """The real-transaction scenarios, each run executed by its job through queue_job's own
    job controller (what its runner calls over HTTP)."""

    queue_backend = "queue_job"
    allow_inherited_tests_method = True

    def _worker(self, processed, limit=50):
        """queue_job's runner: it marks due jobs enqueued, then has Odoo's HTTP server run each
        through queue_job's /queue_job/runjob controller, in a transaction of its own."""
        url = f"http://127.0.0.1:{config['http_port']}/queue_job/runjob"
        while True:
            # One runner hands the jobs out to the HTTP workers.
            with RUNNER_LOCK, self._env() as env:
                env.cr.execute(
                    """
                    UPDATE queue_job SET state = 'enqueued', date_enqueued = %s
                     WHERE uuid IN (SELECT uuid FROM queue_job
                                     WHERE channel = %s AND state = 'pending' AND (eta IS NULL OR eta <= %s)
                                     ORDER BY id LIMIT %s FOR UPDATE SKIP LOCKED)
                    RETURNING uuid
                    """,
                    [fields.Datetime.now(), QUEUE_JOB_CHANNEL, fields.Datetime.now(), limit],
                )
                job_uuids = [row[0] for row in env.cr.fetchall()]
            if not job_uuids:
                return
            for job_uuid in job_uuids:
                response = requests.get(url, params={"db": get_db_name(), "job_uuid": job_uuid}, timeout=120)
                response.raise_for_status()
            processed.append(len(job_uuids))

    def _wake_count(self, env):
        return env["queue.job"].search_count([("channel", "=", QUEUE_JOB_CHANNEL)])

    def _make_waits_due(self, env, runs):
        result = super()._make_waits_due(env, runs)
        # The jobs that resume them were queued for the end of the wait too.
        env.cr.execute(
            "UPDATE queue_job SET eta = eta - interval '1 hour' WHERE channel = %s AND state = 'pending' "
            "AND eta IS NOT NULL",
            [QUEUE_JOB_CHANNEL],
        )
        return result

    def _remove_committed_data(self):
        with self._env() as env:
            env["queue.job"].search([("channel", "=", QUEUE_JOB_CHANNEL)]).unlink()
        return super()._remove_committed_data()
