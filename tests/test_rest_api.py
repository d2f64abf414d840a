import json
from datetime import timedelta

from odoo import fields
from odoo.tests import tagged
from odoo.tools import mute_logger

from .rest_common import EXAMPLE_2, STAGE_CHANGE, RestApiCase, example_2

CUSTOM_EVENT = {
    "name": "Overdue invoice note",
    "triggers": [{
        "event_type": "custom", "custom_event": "invoice.overdue",
        "conditions": {"field": "amount", "operator": "gt", "value": 100},
    }],
    "actions": [{"name": "Note", "action_type": "add_note",
                 "config": {"note": "Invoice {{invoice}} is overdue: {{amount}}."}}],
}


@tagged("post_install", "-at_install")
class TestRestApi(RestApiCase):
    def _notes(self, lead):
        return lead.message_ids.filtered(lambda message: message.subtype_id == self.env.ref("mail.mt_note"))

    def _definition(self, workflow):
        """The parts of a workflow that a failed request must leave alone."""
        workflow.invalidate_recordset()
        return (
            workflow.name, workflow.priority, workflow.trigger_ids.ids, workflow.action_ids.ids,
            workflow.trigger_ids.mapped("conditions"), workflow.action_ids.mapped("config"),
        )

    def _execute(self, workflow, user=None, payload=STAGE_CHANGE, record=None, headers=None):
        record = record or self.lead
        body = {"res_model": record._name, "res_id": record.id, "payload": payload}
        return self.api("POST", f"/api/v1/workflows/{workflow.id}/execute/", body, user=user or self.user,
                        headers=headers)

    # --- the README's session: create Example 2, execute it, read the run ---------------

    def test_manager_creates_example_2_executes_it_and_reads_the_run(self):
        created = self.api("POST", "/api/v1/workflows/", example_2(), user=self.manager)
        self.assertEqual(created.status_code, 201, created.text)
        document = created.json()
        workflow = self.env["workflow.workflow"].browse(document["id"])
        self.assertEqual(created.headers["Location"], f"/api/v1/workflows/{workflow.id}/")
        self.assertEqual(workflow.name, "Deal reached Proposition")
        self.assertEqual(workflow.trigger_ids.event_type, "deal.stage_changed")
        self.assertEqual(workflow.trigger_ids.conditions, EXAMPLE_2["triggers"][0]["conditions"])
        self.assertEqual(workflow.action_ids.mapped("action_type"), ["send_email", "add_note", "update_field"])
        self.assertEqual((workflow.company_id, workflow.run_as_user_id), (self.company, self.manager))
        self.assertEqual(document["triggers"][0]["id"], workflow.trigger_ids.id)
        self.assertEqual([action["name"] for action in document["actions"]], workflow.action_ids.mapped("name"))
        self.assertEqual((document["run_count"], document["failed_run_count"]), (0, 0))

        notes_before = self._notes(self.lead)
        executed = self._execute(workflow)
        # Created through the API, the workflow is queued (the default): the run waits for the queue.
        self.assertEqual(executed.status_code, 202, executed.text)
        self.assertEqual(executed.json()["state"], "pending")
        self.assertEqual(self._notes(self.lead), notes_before)
        self.assertEqual(self.env["workflow.run"]._process_queue(), 1)
        self.env.invalidate_all()
        run = self.api("GET", executed.headers["Location"], user=self.manager).json()
        self.assertEqual(run["state"], "success", run)
        self.assertEqual(run["payload"], STAGE_CHANGE)
        self.assertEqual((run["res_model"], run["res_id"], run["workflow_id"]), ("crm.lead", self.lead.id, workflow.id))
        self.assertEqual([action_run["state"] for action_run in run["action_runs"]], ["success"] * 3)
        self.assertEqual(run["action_runs"][0]["input"]["subject"], "Acme: 50 desks reached Proposition")
        self.assertNotIn("traceback", run["action_runs"][0], "only workflow administrators see tracebacks")
        self.assertTrue(all(action_run["duration_ms"] > 0 for action_run in run["action_runs"]))
        self.assertIn("Moved from Qualified to Proposition.", (self._notes(self.lead) - notes_before).body)
        self.assertEqual(self.lead.date_deadline, fields.Date.today() + timedelta(days=30))

        read = self.api("GET", f"/api/v1/workflow-runs/{run['id']}/", user=self.user)
        self.assertEqual(read.status_code, 200)
        self.assertEqual(read.json(), run)
        runs = self.api("GET", f"/api/v1/workflows/{workflow.id}/runs/", user=self.user).json()
        self.assertEqual([item["id"] for item in runs["items"]], [run["id"]])
        self.assertEqual(self.api("GET", f"/api/v1/workflows/{workflow.id}/", user=self.user).json()["run_count"], 1)

    def test_workflow_read_back_can_be_sent_back_unchanged(self):
        workflow = self.create_workflow()
        document = self.api("GET", f"/api/v1/workflows/{workflow.id}/", user=self.user).json()
        replaced = self.api("PUT", f"/api/v1/workflows/{workflow.id}/", document, user=self.manager)
        self.assertEqual(replaced.status_code, 200, replaced.text)
        again = replaced.json()
        for part in ("triggers", "actions"):
            for item in document[part] + again[part]:
                item.pop("id")
        self.assertEqual(again, document)

    def test_how_runs_execute_is_part_of_the_definition(self):
        settings = {"execution_mode": "immediate", "max_retries": 5, "retry_delay_seconds": 30,
                    "duplicate_window_minutes": 0, "max_runs_per_minute": 60, "max_runs_per_record_per_hour": 2,
                    "retention_days": 30, "failed_retention_days": 120}
        created = self.api("POST", "/api/v1/workflows/", dict(example_2(), **settings), user=self.manager)
        self.assertEqual(created.status_code, 201, created.text)
        workflow = self.env["workflow.workflow"].browse(created.json()["id"])
        self.assertEqual({name: workflow[name] for name in settings}, settings)
        self.assertEqual({name: created.json()[name] for name in settings}, settings)
        self.assertEqual(created.json()["queue_backend"], "cron")
        executed = self._execute(workflow)
        self.assertEqual((executed.status_code, executed.json()["state"]), (200, "success"), "run at once")

        replaced = self.api("PUT", f"/api/v1/workflows/{workflow.id}/", example_2(), user=self.manager)
        self.assertEqual(replaced.status_code, 200, replaced.text)
        self.assertEqual((replaced.json()["execution_mode"], replaced.json()["max_retries"]), ("queued", 3),
                         "what a PUT leaves out takes its default")
        refused = self.api("PUT", f"/api/v1/workflows/{workflow.id}/",
                           dict(example_2(), execution_mode="later", retention_days=-1), user=self.manager)
        self.assertEqual(refused.status_code, 422, refused.text)
        self.assertEqual([detail["path"] for detail in refused.json()["error"]["details"]],
                         ["execution_mode", "retention_days"])
        if "queue.job" not in self.env:
            refused = self.api("PUT", f"/api/v1/workflows/{workflow.id}/",
                               dict(example_2(), queue_backend="queue_job"), user=self.manager)
            self.assertEqual(refused.status_code, 422, refused.text)
            self.assertEqual(refused.json()["error"]["details"], [
                {"code": "invalid_definition", "path": "queue_backend",
                 "message": "the queue_job module is not installed"},
            ])

    # --- authentication and the role matrix -----------------------------------------------

    def test_no_key_or_a_bad_key_is_401_with_a_json_body(self):
        workflow = self.create_workflow()
        for key, headers in ((None, {}), ("not-a-key", {}), ("", {"Authorization": f"Basic {self.keys[self.user]}"})):
            for method, path in (
                ("GET", "/api/v1/workflows/"),
                ("GET", f"/api/v1/workflows/{workflow.id}/"),
                ("DELETE", f"/api/v1/workflows/{workflow.id}/"),
                ("POST", f"/api/v1/workflows/{workflow.id}/execute/"),
            ):
                response = self.api(method, path, key=key, headers=headers)
                self.error_of(response, 401, "unauthorized")
                self.assertEqual(response.headers["WWW-Authenticate"], "Bearer")
        self.assertTrue(workflow.exists())
        self.assertFalse(workflow.run_ids)

    def test_a_revoked_key_no_longer_authenticates(self):
        self.assertEqual(self.api("GET", "/api/v1/workflows/", user=self.user).status_code, 200)
        self.env["res.users.apikeys"].sudo().search([("user_id", "=", self.user.id)]).unlink()
        self.error_of(self.api("GET", "/api/v1/workflows/", user=self.user), 401, "unauthorized")

    def test_workflow_user_reads_and_executes_but_cannot_change_workflows(self):
        workflow = self.create_workflow()
        before = self._definition(workflow)
        self.assertEqual(self.api("GET", "/api/v1/workflows/", user=self.user).json()["count"], 1)
        self.assertEqual(self.api("GET", f"/api/v1/workflows/{workflow.id}/", user=self.user).status_code, 200)
        self.assertEqual(self.api("POST", "/api/v1/workflows/validate/", example_2(), user=self.user).status_code, 200)
        self.assertEqual(self._execute(workflow).json()["state"], "success")
        self.error_of(self.api("POST", "/api/v1/workflows/", example_2(), user=self.user), 403, "forbidden")
        self.error_of(
            self.api("PUT", f"/api/v1/workflows/{workflow.id}/", example_2(name="Hijacked"), user=self.user),
            403, "forbidden",
        )
        self.error_of(self.api("DELETE", f"/api/v1/workflows/{workflow.id}/", user=self.user), 403, "forbidden")
        self.assertEqual(self._definition(workflow), before)
        self.assertEqual(self.env["workflow.workflow"].search_count([]), 1)

    def test_a_workflow_user_is_refused_before_the_definition_is_looked_at(self):
        invalid = example_2(triggers=[{"event_type": "deal.closed"}])
        self.error_of(self.api("POST", "/api/v1/workflows/", invalid, user=self.user), 403, "forbidden")

    def test_manager_and_administrator_create_replace_and_delete(self):
        for user in (self.manager, self.admin):
            created = self.api("POST", "/api/v1/workflows/", example_2(name=f"By {user.login}"), user=user)
            self.assertEqual(created.status_code, 201, created.text)
            workflow = self.env["workflow.workflow"].browse(created.json()["id"])
            self.assertEqual(workflow.create_uid, user)
            replaced = self.api("PUT", f"/api/v1/workflows/{workflow.id}/", example_2(name="Renamed"), user=user)
            self.assertEqual(replaced.status_code, 200, replaced.text)
            self.assertEqual(workflow.name, "Renamed")
            deleted = self.api("DELETE", f"/api/v1/workflows/{workflow.id}/", user=user)
            self.assertEqual(deleted.status_code, 204)
            self.assertFalse(workflow.exists())

    def test_administrators_see_the_tracebacks_of_failed_actions(self):
        failing = example_2(triggers=[], actions=[{
            "name": "Impossible field", "action_type": "update_field",
            "config": {"field": "no_such_field", "value": 1},
        }])
        workflow = self.create_workflow(failing)
        run = self._execute(workflow, user=self.admin).json()
        self.assertEqual(run["state"], "failed")
        self.assertEqual(run["error_code"], "action_error")
        self.assertIn("no_such_field", run["action_runs"][0]["error"])
        self.assertIn("Traceback", run["action_runs"][0]["traceback"])
        as_user = self.api("GET", f"/api/v1/workflow-runs/{run['id']}/", user=self.user).json()
        self.assertNotIn("traceback", as_user["action_runs"][0])
        self.assertEqual(as_user["action_runs"][0]["error"], run["action_runs"][0]["error"])

    def test_a_user_without_workflow_rights_is_forbidden(self):
        workflow = self.create_workflow()
        run = workflow.execute("crm.lead", self.lead.id, STAGE_CHANGE)
        for method, path, body in (
            ("GET", "/api/v1/workflows/", None),
            ("GET", f"/api/v1/workflows/{workflow.id}/", None),
            ("GET", f"/api/v1/workflows/{workflow.id}/runs/", None),
            ("GET", f"/api/v1/workflow-runs/{run.id}/", None),
            ("POST", f"/api/v1/workflows/{workflow.id}/execute/", {"res_model": "crm.lead", "res_id": self.lead.id}),
            ("POST", "/api/v1/workflows/validate/", example_2()),
            ("POST", "/api/v1/events/", {"name": "invoice.overdue"}),
        ):
            self.error_of(self.api(method, path, body, user=self.outsider), 403, "forbidden")
        self.assertEqual(workflow.run_ids, run)

    def test_records_of_another_company_answer_404(self):
        ours = self.create_workflow()
        theirs = self.create_workflow(example_2(name="Theirs"), user=self.other_manager)
        self.assertEqual(theirs.company_id, self.other_company)
        their_run = theirs.with_user(self.other_manager).execute("crm.lead", self.other_lead.id, STAGE_CHANGE)
        before = self._definition(theirs)
        for method, path, body in (
            ("GET", f"/api/v1/workflows/{theirs.id}/", None),
            ("PUT", f"/api/v1/workflows/{theirs.id}/", example_2(name="Taken over")),
            ("DELETE", f"/api/v1/workflows/{theirs.id}/", None),
            ("POST", f"/api/v1/workflows/{theirs.id}/execute/", {"res_model": "crm.lead", "res_id": self.lead.id}),
            ("GET", f"/api/v1/workflows/{theirs.id}/runs/", None),
            ("GET", f"/api/v1/workflow-runs/{their_run.id}/", None),
            ("POST", f"/api/v1/workflows/{ours.id}/execute/", {"res_model": "crm.lead", "res_id": self.other_lead.id}),
        ):
            self.error_of(self.api(method, path, body, user=self.manager), 404, "not_found")
        self.assertEqual(self._definition(theirs), before)
        self.assertEqual(theirs.run_ids, their_run)
        self.assertFalse(ours.run_ids)
        listed = self.api("GET", "/api/v1/workflows/", user=self.manager).json()
        self.assertEqual([item["id"] for item in listed["items"]], ours.ids)
        listed = self.api("GET", "/api/v1/workflows/", user=self.other_manager).json()
        self.assertEqual([item["id"] for item in listed["items"]], theirs.ids)

    def test_a_company_of_someone_else_cannot_be_given_to_a_workflow(self):
        response = self.api(
            "POST", "/api/v1/workflows/", example_2(company_id=self.other_company.id, run_as_user_id=999999),
            user=self.manager,
        )
        error = self.error_of(response, 422, "invalid_definition")
        self.assertEqual([detail["path"] for detail in error["details"]], ["company_id", "run_as_user_id"])
        self.assertFalse(self.env["workflow.workflow"].search([]))

    # --- errors ------------------------------------------------------------------------------

    def test_malformed_json_is_400_and_changes_nothing(self):
        workflow = self.create_workflow()
        before = self._definition(workflow)
        for method, path in (
            ("POST", "/api/v1/workflows/"),
            ("PUT", f"/api/v1/workflows/{workflow.id}/"),
            ("POST", "/api/v1/workflows/validate/"),
            ("POST", f"/api/v1/workflows/{workflow.id}/execute/"),
            ("POST", "/api/v1/events/"),
        ):
            for data in (b'{"name": "Unfinished', b"", b"\xff\xfe", b'{"priority": NaN}'):
                response = self.api(method, path, data=data, user=self.manager)
                self.assertIn("not valid JSON", self.error_of(response, 400, "malformed_json")["message"])
        form = self.api("POST", "/api/v1/workflows/", data={"name": "A form"}, user=self.manager)
        self.assertIn("Content-Type: application/json", self.error_of(form, 415, "unsupported_media_type")["message"])
        self.assertEqual(self._definition(workflow), before)
        self.assertEqual(self.env["workflow.workflow"].search([]), workflow)
        self.assertFalse(workflow.run_ids)

    def test_invalid_definition_is_422_naming_every_bad_path_and_saves_nothing(self):
        document = example_2(priority="high")
        document["triggers"][0]["conditions"] = {"and": [
            {"field": "stage", "operator": "eq", "value": "New"},
            {"field": "stage", "operator": "equals", "value": "Won"},
        ]}
        document["actions"][2]["config"]["subject"] = "Not an update_field key"
        document["actions"].append({"name": "Fax", "action_type": "send_fax"})
        response = self.api("POST", "/api/v1/workflows/", document, user=self.manager)
        error = self.error_of(response, 422, "invalid_definition")
        self.assertEqual(
            [(detail["path"], detail["message"]) for detail in error["details"]],
            [
                ("priority", "must be an integer, got str"),
                ("triggers[0].conditions.and[1]", "unknown operator 'equals'"),
                ("actions[2].config", "unknown key 'subject'"),
                ("actions[3].action_type", "unknown value 'send_fax', expected one of 'send_email', 'add_note', "
                 "'update_field', 'enqueue_export', 'create_task', 'send_notification', 'call_webhook', "
                 "'wait', 'split', 'run_workflow'"),
            ],
        )
        self.assertIn("triggers[0].conditions.and[1]: unknown operator 'equals'", error["message"])
        self.assertFalse(self.env["workflow.workflow"].search([]))
        self.assertFalse(self.env["workflow.trigger"].search([]))

    def test_validate_checks_a_definition_without_saving_it(self):
        valid = self.api("POST", "/api/v1/workflows/validate/", example_2(), user=self.manager)
        self.assertEqual((valid.status_code, valid.json()), (200, {"valid": True}))
        document = example_2(name="")
        document["triggers"][0]["conditions"] = {"not": {"field": "stage", "operator": "equals", "value": 1}}
        document["actions"][0]["config"]["subject"] = "{{ deal.name"
        error = self.error_of(self.api("POST", "/api/v1/workflows/validate/", document, user=self.manager),
                              422, "invalid_definition")
        self.assertEqual(
            [(detail["path"], detail["code"]) for detail in error["details"]],
            [("name", "invalid_definition"), ("triggers[0].conditions.not", "invalid_condition"),
             ("actions[0].config.subject", "template_error")],
        )
        self.assertFalse(self.env["workflow.workflow"].search([]))

    def test_put_replaces_the_whole_definition_at_once(self):
        workflow = self.create_workflow()
        old_triggers, old_actions = workflow.trigger_ids, workflow.action_ids
        replacement = {
            "name": "Won deals", "priority": 30,
            "triggers": [{"event_type": "deal.won"}, {"event_type": "custom", "custom_event": "deal.reopened"}],
            "actions": [{"name": "Note", "action_type": "add_note", "config": {"note": "Won!"}}],
        }
        response = self.api("PUT", f"/api/v1/workflows/{workflow.id}/", replacement, user=self.manager)
        self.assertEqual(response.status_code, 200, response.text)
        self.assertFalse(old_triggers.exists() or old_actions.exists())
        self.assertEqual((workflow.name, workflow.priority, workflow.description), ("Won deals", 30, False))
        self.assertEqual(workflow.trigger_ids.mapped("event_type"), ["deal.won", "custom"])
        self.assertEqual(workflow.action_ids.mapped("name"), ["Note"])
        self.assertEqual(response.json(), dict(response.json(), name="Won deals", description=None, priority=30))

    def test_a_put_that_fails_half_way_leaves_the_old_definition(self):
        workflow = self.create_workflow()
        before = self._definition(workflow)
        # A constraint only the database knows: it fails after the old actions are gone.
        self.env.cr.execute(
            "ALTER TABLE workflow_action ADD CONSTRAINT wf_rest_refused CHECK (name <> 'Refused by the database')"
        )
        replacement = example_2(name="Half written")
        replacement["actions"][2]["name"] = "Refused by the database"
        with mute_logger("odoo.http", "odoo.sql_db"):
            response = self.api("PUT", f"/api/v1/workflows/{workflow.id}/", replacement, user=self.manager)
        self.error_of(response, 422, "invalid_request")
        self.assertEqual(self._definition(workflow), before)

    def test_a_put_with_an_invalid_definition_changes_nothing(self):
        workflow = self.create_workflow()
        before = self._definition(workflow)
        invalid = example_2(name="Renamed", triggers=[{"event_type": "custom"}])
        error = self.error_of(self.api("PUT", f"/api/v1/workflows/{workflow.id}/", invalid, user=self.manager),
                              422, "invalid_definition")
        self.assertEqual([detail["path"] for detail in error["details"]], ["triggers[0].custom_event"])
        self.assertEqual(self._definition(workflow), before)

    def test_unknown_ids_and_paths_answer_404(self):
        for method, path in (
            ("GET", "/api/v1/workflows/999999/"),
            ("PUT", "/api/v1/workflows/999999/"),
            ("DELETE", "/api/v1/workflows/999999/"),
            ("POST", "/api/v1/workflows/999999/execute/"),
            ("GET", "/api/v1/workflows/999999/runs/"),
            ("GET", "/api/v1/workflow-runs/999999/"),
            ("GET", "/api/v1/no-such-thing/"),
        ):
            self.error_of(self.api(method, path, example_2(), user=self.manager), 404, "not_found")

    def test_methods_a_path_does_not_have_answer_405_with_allow(self):
        workflow = self.create_workflow()
        for method, path, allowed in (
            ("PATCH", f"/api/v1/workflows/{workflow.id}/", "DELETE, GET, HEAD, PUT"),
            ("DELETE", "/api/v1/workflows/", "GET, HEAD, POST"),
            ("GET", "/api/v1/workflows/validate/", "POST"),
            ("PUT", f"/api/v1/workflows/{workflow.id}/execute/", "POST"),
            ("POST", f"/api/v1/workflow-runs/{workflow.id}/", "GET, HEAD"),
            ("GET", "/api/v1/events/", "POST"),
            # Odoo hands OPTIONS to the endpoint: it must not delete.
            ("OPTIONS", f"/api/v1/workflows/{workflow.id}/", "DELETE, GET, HEAD, PUT"),
        ):
            response = self.api(method, path, user=self.manager)
            self.error_of(response, 405, "method_not_allowed")
            self.assertEqual(response.headers["Allow"], allowed)
        self.assertTrue(workflow.exists())

    def test_a_body_over_one_mebibyte_is_413_before_it_is_parsed(self):
        workflow = self.create_workflow()
        before = self._definition(workflow)
        huge = example_2(description="x" * (1024 * 1024))
        self.error_of(self.api("POST", "/api/v1/workflows/", huge, user=self.manager), 413, "payload_too_large")
        self.error_of(self.api("PUT", f"/api/v1/workflows/{workflow.id}/", huge, user=self.manager),
                      413, "payload_too_large")
        chunks = (b" " * 65536 for _ in range(17))  # sent chunked, without a Content-Length
        self.error_of(self.api("POST", "/api/v1/workflows/validate/", data=chunks, user=self.manager),
                      413, "payload_too_large")
        self.assertEqual(self._definition(workflow), before)
        self.assertEqual(self.env["workflow.workflow"].search([]), workflow)
        just_fits = example_2(description="x" * (1024 * 1024 - len(json.dumps(example_2(description="")))))
        self.assertEqual(len(json.dumps(just_fits)), 1024 * 1024)
        self.assertEqual(self.api("POST", "/api/v1/workflows/validate/", just_fits, user=self.manager).status_code, 200)

    # --- execute ---------------------------------------------------------------------------------

    def test_execute_answers_with_the_run_even_when_the_conditions_do_not_hold(self):
        workflow = self.create_workflow()
        run = self._execute(workflow, payload={"new_stage": "Won"}).json()
        self.assertEqual(run["state"], "skipped")
        self.assertIn('new_stage eq "Proposition"', run["error"])
        self.assertEqual(run["action_runs"], [])

    def test_idempotency_key_repeats_the_run_and_refuses_another_request(self):
        workflow = self.create_workflow()
        key = {"Idempotency-Key": "order-42"}
        first = self._execute(workflow, headers=key).json()
        again = self._execute(workflow, headers=key)
        self.assertEqual(again.status_code, 200)
        self.assertEqual(again.json()["id"], first["id"])
        self.assertEqual(first["idempotency_key"], "order-42")
        conflict = self._execute(workflow, payload={"new_stage": "Won"}, headers=key)
        self.assertIn("order-42", self.error_of(conflict, 409, "idempotency_conflict")["message"])
        self.assertEqual(len(workflow.run_ids), 1)
        self.assertEqual(self._execute(workflow, headers={"Idempotency-Key": "order-43"}).json()["state"], "success")
        self.assertEqual(len(workflow.run_ids), 2)

    def test_a_queued_run_answers_202_with_its_id_uuid_and_state(self):
        workflow = self.create_workflow()
        # Runs are queued by the engine; until it queues them, one is logged as pending by hand.
        queued = self.env["workflow.run"].create({
            "workflow_id": workflow.id, "state": "pending", "res_model": "crm.lead", "res_id": self.lead.id,
            "payload": STAGE_CHANGE, "idempotency_key": "queued-1", "company_id": self.company.id,
            "event_type": "manual",
        })
        response = self._execute(workflow, headers={"Idempotency-Key": "queued-1"})
        self.assertEqual(response.status_code, 202, response.text)
        self.assertEqual(response.json(), {"id": queued.id, "uuid": queued.uuid, "state": "pending"})
        self.assertEqual(response.headers["Location"], f"/api/v1/workflow-runs/{queued.id}/")
        self.assertEqual(workflow.run_ids, queued)

    def test_execute_refuses_a_body_that_does_not_fit_with_every_bad_key(self):
        workflow = self.create_workflow()
        url = f"/api/v1/workflows/{workflow.id}/execute/"
        cases = (
            ({"res_id": "1", "payload": [1], "record": 1}, ["record", "res_model", "res_id", "payload"]),
            ({"res_model": "crm.lead", "res_id": True}, ["res_id"]),
            ({"res_model": "no.such.model", "res_id": 1}, ["res_model"]),
            ({"res_model": "workflow.run", "res_id": 1}, ["res_model"]),
            ([self.lead.id], ["<root>"]),
        )
        for body, paths in cases:
            error = self.error_of(self.api("POST", url, body, user=self.user), 422, "invalid_request")
            self.assertEqual([detail["path"] for detail in error["details"]], paths, body)
        self.error_of(self.api("POST", url, {"res_model": "crm.lead", "res_id": 999999}, user=self.user),
                      404, "not_found")
        self.assertFalse(workflow.run_ids)

    # --- lists -----------------------------------------------------------------------------------------

    def test_workflows_are_listed_page_by_page_following_next(self):
        workflows = self.env["workflow.workflow"]
        for priority in range(5):
            workflows |= self.create_workflow(example_2(name=f"Workflow {priority}", priority=priority))
        page = self.api("GET", "/api/v1/workflows/?limit=2", user=self.user).json()
        self.assertEqual((page["count"], page["limit"], page["offset"], page["next_offset"]), (5, 2, 0, 2))
        seen = [item["name"] for item in page["items"]]
        while page["next"]:
            self.assertTrue(page["next"].startswith(self.base_url()), page["next"])
            page = self.api("GET", page["next"].removeprefix(self.base_url()), user=self.user).json()
            seen += [item["name"] for item in page["items"]]
        self.assertEqual(seen, [f"Workflow {priority}" for priority in (4, 3, 2, 1, 0)])
        self.assertEqual((page["offset"], page["next_offset"]), (4, None))
        offset = self.api("GET", "/api/v1/workflows/?limit=2&offset=3", user=self.user).json()
        self.assertEqual([item["name"] for item in offset["items"]], ["Workflow 1", "Workflow 0"])
        beyond = self.api("GET", "/api/v1/workflows/?offset=10", user=self.user).json()
        self.assertEqual((beyond["items"], beyond["count"], beyond["next"]), ([], 5, None))
        capped = self.api("GET", "/api/v1/workflows/?limit=1000", user=self.user).json()
        self.assertEqual((capped["limit"], len(capped["items"])), (200, 5))
        for query in ("limit=0", "limit=ten", "offset=-1", "active=maybe", "event_type=deal.closed"):
            error = self.error_of(self.api("GET", f"/api/v1/workflows/?{query}", user=self.user), 400, "bad_request")
            self.assertEqual(error["details"][0]["path"], query.split("=")[0])

    def test_workflows_are_filtered_on_active_and_event_type(self):
        stage = self.create_workflow()
        won = self.create_workflow(example_2(name="Won", triggers=[{"event_type": "deal.won"}]))
        archived = self.create_workflow(example_2(name="Archived", active=False, triggers=[{"event_type": "deal.won"}]))

        def listed(query):
            page = self.api("GET", f"/api/v1/workflows/?{query}", user=self.user).json()
            return {item["id"] for item in page["items"]}

        self.assertEqual(listed(""), {stage.id, won.id, archived.id})
        self.assertEqual(listed("active=true"), {stage.id, won.id})
        self.assertEqual(listed("active=false"), {archived.id})
        self.assertEqual(listed("event_type=deal.won"), {won.id, archived.id})
        self.assertEqual(listed("event_type=deal.won&active=1"), {won.id})
        self.assertEqual(listed("event_type=lead.created"), set())

    def test_runs_are_listed_newest_first_filtered_on_state_and_date(self):
        workflow = self.create_workflow()
        success = workflow.execute("crm.lead", self.lead.id, STAGE_CHANGE)
        skipped = workflow.execute("crm.lead", self.lead.id, {"new_stage": "Won"})
        other = self.create_workflow(example_2(name="Other"))
        other.execute("crm.lead", self.lead.id, STAGE_CHANGE)
        url = f"/api/v1/workflows/{workflow.id}/runs/"

        def listed(query=""):
            return [item["id"] for item in self.api("GET", f"{url}?{query}", user=self.user).json()["items"]]

        self.assertEqual(listed(), [skipped.id, success.id])
        self.assertEqual(listed("state=success"), [success.id])
        self.assertEqual(listed("state=skipped,failed"), [skipped.id])
        self.env.cr.execute(
            "UPDATE workflow_run SET create_date = %s WHERE id = %s", ["2024-01-31 23:30:00", success.id]
        )
        self.assertEqual(listed("date_to=2024-01-31"), [success.id])
        self.assertEqual(listed("date_to=2024-01-31T23:00:00Z"), [])
        self.assertEqual(listed("date_from=2024-02-01"), [skipped.id])
        self.assertEqual(listed("date_from=2024-01-31T23:00:00%2B00:00&date_to=2024-02-01"), [success.id])
        page = self.api("GET", f"{url}?limit=1", user=self.user).json()
        self.assertEqual((page["count"], page["next_offset"], len(page["items"])), (2, 1, 1))
        for query in ("state=done", "date_from=yesterday", "limit=-5"):
            self.error_of(self.api("GET", f"{url}?{query}", user=self.user), 400, "bad_request")

    # --- delete, events ------------------------------------------------------------------------------------

    def test_delete_removes_the_workflow_with_its_definition_and_runs(self):
        workflow = self.create_workflow()
        run = workflow.execute("crm.lead", self.lead.id, STAGE_CHANGE)
        triggers, actions = workflow.trigger_ids, workflow.action_ids
        response = self.api("DELETE", f"/api/v1/workflows/{workflow.id}/", user=self.manager)
        self.assertEqual((response.status_code, response.content), (204, b""))
        self.assertFalse(workflow.exists() or triggers.exists() or actions.exists() or run.exists())
        self.error_of(self.api("GET", f"/api/v1/workflows/{workflow.id}/", user=self.manager), 404, "not_found")

    def test_an_external_system_emits_a_custom_event(self):
        workflow = self.create_workflow(CUSTOM_EVENT)
        notes_before = self._notes(self.lead)
        event = {"name": "invoice.overdue", "payload": {"invoice": "INV/42", "amount": 250},
                 "record": {"res_model": "crm.lead", "res_id": self.lead.id}}
        response = self.api("POST", "/api/v1/events/", event, user=self.user)
        self.assertEqual(response.status_code, 200, response.text)
        [run] = response.json()["runs"]
        self.assertEqual(response.json()["name"], "invoice.overdue")
        self.assertEqual((run["workflow_id"], run["state"], run["event_type"]), (workflow.id, "success", "custom"))
        self.assertEqual((run["res_model"], run["res_id"]), ("crm.lead", self.lead.id))
        self.assertIn("Invoice INV/42 is overdue: 250.", (self._notes(self.lead) - notes_before).body)

        small = dict(event, payload={"invoice": "INV/43", "amount": 5})
        self.assertEqual(self.api("POST", "/api/v1/events/", small, user=self.user).json()["runs"], [])
        other_name = dict(event, name="invoice.paid")
        self.assertEqual(self.api("POST", "/api/v1/events/", other_name, user=self.user).json()["runs"], [])
        self.assertEqual(len(workflow.run_ids), 1)

    def test_a_custom_event_is_refused_when_its_body_or_record_is_wrong(self):
        workflow = self.create_workflow(CUSTOM_EVENT)
        for body, paths in (
            ({"payload": {"amount": 500}}, ["name"]),
            ({"name": " ", "payload": []}, ["name", "payload"]),
            ({"name": "invoice.overdue", "record": {"res_model": "crm.lead"}}, ["record.res_id"]),
            ({"name": "invoice.overdue", "record": {"model": "crm.lead", "res_id": "1"}},
             ["record.model", "record.res_model", "record.res_id"]),
            ({"name": "invoice.overdue", "record": ["crm.lead", 1]}, ["record"]),
            ({"name": "invoice.overdue", "record": {"res_model": "crm.lead.nope", "res_id": 1}}, ["record.res_model"]),
        ):
            error = self.error_of(self.api("POST", "/api/v1/events/", body, user=self.user), 422, "invalid_request")
            self.assertEqual([detail["path"] for detail in error["details"]], paths, body)
        for res_id in (999999, self.other_lead.id):
            body = {"name": "invoice.overdue", "payload": {"amount": 500},
                    "record": {"res_model": "crm.lead", "res_id": res_id}}
            self.error_of(self.api("POST", "/api/v1/events/", body, user=self.user), 404, "not_found")
        self.assertFalse(workflow.run_ids)
