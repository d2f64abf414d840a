"""Schemathesis against the served OpenAPI document (issue 11, point 13): every check, every
phase of its in-process runner (examples, coverage, fuzzing, stateful), as a Workflow
Manager, against this test server only."""

import os

from odoo.tests import tagged

from ..models.workflow_action import WEBHOOK_ALLOWED_HOSTS_PARAM
from .rest_common import RestApiCase

EXAMPLES_PER_OPERATION = int(os.environ.get("WORKFLOW_SCHEMATHESIS_EXAMPLES", "15"))
"""Examples generated per operation and mode: about two minutes on two cores."""
SEED = int(os.environ.get("WORKFLOW_SCHEMATHESIS_SEED", "11"))
"""A fixed seed, so that a failure found once is found again; set another to explore."""
# A request that fits the schema may still be refused with 422: the schema cannot say what
# the server checks beyond it (records that exist, the condition DSL, action configs,
# templates, text that PostgreSQL can store). Every other check keeps its default statuses.
POSITIVE_DATA_STATUSES = ["2xx", "401", "403", "404", "409", "422"]


@tagged("post_install", "-at_install")
class TestRestSchemathesis(RestApiCase):
    def test_schemathesis_finds_nothing_with_every_check(self):
        try:
            import schemathesis
            from schemathesis.engine import Status, events, from_schema
        except ImportError as exc:
            self.fail(f"schemathesis is a test dependency (test-requirements.txt): {exc}")
        # Actions that the generated workflows run must reach no host at all.
        self.env["ir.config_parameter"].sudo().set_param(WEBHOOK_ALLOWED_HOSTS_PARAM, "")
        self.create_workflow(execution_mode="immediate")
        served = self.opener.get(f"{self.base_url()}/api/v1/openapi.json", timeout=30)
        self.assertEqual(served.status_code, 200)
        config = schemathesis.Config.from_dict({
            "base-url": self.base_url(),
            "workers": 1,
            "seed": SEED,
            # No example database: nothing is written into the working directory.
            "generation": {"max-examples": EXAMPLES_PER_OPERATION, "database": "none"},
            "checks": {"enabled": True, "positive_data_acceptance": {"expected-statuses": POSITIVE_DATA_STATUSES}},
            "auth": {"openapi": {"apiKey": {"bearer": self.keys[self.manager]}}},
        })
        schema = schemathesis.openapi.from_dict(served.json(), config=config)
        self.assertTrue(schema.get_base_url().startswith("http://127.0.0.1:"), schema.get_base_url())

        failures, scenarios, phases = [], 0, {}
        for event in from_schema(schema).execute():
            if isinstance(event, events.ScenarioFinished):
                scenarios += 1
                for nodes in event.recorder.checks.values():
                    for node in nodes:
                        if node.failure_info is not None:
                            failure = node.failure_info.failure
                            failures.append(
                                f"{event.label} [{event.phase.name}] {node.name}: {failure.title}\n"
                                f"{failure.message}\n{node.failure_info.code_sample}"
                            )
                if event.status == Status.ERROR:
                    failures.append(f"{event.label} [{event.phase.name}]: the scenario could not run")
            elif isinstance(event, (events.NonFatalError, events.FatalError)):
                failures.append(f"{type(event).__name__}: {event.info.format()}")
            elif isinstance(event, events.PhaseFinished):
                phases[event.phase.name.name] = event.status.name
            elif isinstance(event, events.EngineFinished):
                failures += [f"{failure.title}: {failure.message}" for failure in event.failures]
        distinct = list(dict.fromkeys(failures))
        report = "\n\n".join(distinct)
        self.assertEqual(distinct, [], f"{len(distinct)} failures in {scenarios} scenarios:\n\n{report}")
        for phase in ("EXAMPLES", "COVERAGE", "FUZZING", "STATEFUL_TESTING"):
            self.assertIn(phases.get(phase), ("SUCCESS", "SKIP"), phases)
        self.assertEqual(phases["FUZZING"], "SUCCESS", phases)
        self.assertGreater(scenarios, 10)
