import threading

import requests

from odoo import Command
from odoo.tests import tagged
from odoo.tools import config

from .common import CommittingCase

CONCURRENT_REQUESTS = 20
REQUEST_TIMEOUT = 120
"""Seconds a request may take: they wait for one another, and Odoo retries the losers."""


@tagged("post_install", "-at_install")
class TestConcurrentExecute(CommittingCase):
    """``execute`` as clients call it at once over REST, each request in a transaction of its
    own served by the test server."""

    def setUp(self):
        super().setUp()
        with self._env() as env:
            admin = env.ref("base.user_admin")
            self.api_key = env["res.users.apikeys"].with_user(admin).sudo()._generate(None, "QTEST concurrency", None)
            self.lead_id = env["crm.lead"].create({"name": "QTEST concurrent lead", "type": "lead"}).id
            self.workflow_id = env["workflow.workflow"].create({
                "name": "QTEST concurrent execute", "execution_mode": "immediate", "run_as_user_id": admin.id,
                "action_ids": [Command.create({
                    "name": "Note", "ordering": 1, "action_type": "add_note",
                    "config": {"note": "Run {{n}} on {{record.name}}"},
                })],
            }).id
        self.addCleanup(self._remove_committed_data)

    def _remove_committed_data(self):
        with self._env() as env:
            env["workflow.workflow"].browse(self.workflow_id).unlink()
            env["crm.lead"].browse(self.lead_id).unlink()
            env["res.users.apikeys"].search([("name", "=", "QTEST concurrency")]).unlink()

    def _execute_at_once(self, payloads, idempotency_key):
        """Send one execute request per payload, all at once; return (payload, response) pairs."""
        url = f"http://127.0.0.1:{config['http_port']}/api/v1/workflows/{self.workflow_id}/execute/"
        headers = {"Authorization": f"Bearer {self.api_key}", "Idempotency-Key": idempotency_key}
        start = threading.Barrier(len(payloads))
        answers = [None] * len(payloads)

        def send(index, payload):
            start.wait()
            body = {"res_model": "crm.lead", "res_id": self.lead_id, "payload": payload}
            answers[index] = requests.post(url, json=body, headers=headers, timeout=REQUEST_TIMEOUT)

        threads = [threading.Thread(target=send, args=item) for item in enumerate(payloads)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(REQUEST_TIMEOUT * 2)
        self.assertNotIn(None, answers, "every request was answered")
        return list(zip(payloads, answers, strict=True))

    def test_concurrent_requests_with_one_key_start_one_run_and_the_others_answer_it(self):
        # Most repeat one request, a few reuse its key for another payload: whichever comes first
        # starts the run, the repeats of it get that run, the others a conflict.
        payloads = [{"n": 1}] * (CONCURRENT_REQUESTS - 4) + [{"n": 2}] * 4
        answers = self._execute_at_once(payloads, "QTEST-order-42")
        with self._env() as env:
            runs = env["workflow.run"].search([("workflow_id", "=", self.workflow_id)])
            self.assertEqual(len(runs), 1, "one key, one run")
            self.assertEqual(runs.idempotency_key, "QTEST-order-42")
            notes = env["mail.message"].search_count([
                ("model", "=", "crm.lead"), ("res_id", "=", self.lead_id), ("body", "like", "Run %"),
            ])
            self.assertEqual(notes, 1, "its actions ran once")
            winner = runs.payload
        for payload, response in answers:
            if payload == winner:
                self.assertEqual(response.status_code, 200, response.text)
                self.assertEqual(response.json()["id"], runs.id)
            else:
                self.assertEqual(response.status_code, 409, response.text)
                self.assertEqual(response.json()["error"]["code"], "idempotency_conflict")
