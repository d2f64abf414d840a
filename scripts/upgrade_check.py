"""The upgrade check's work inside the database, run by scripts/upgrade_check.sh in `odoo shell`.

UPGRADE_CHECK_PHASE says what to do, UPGRADE_CHECK_DIR where the files of the check live:

- ``create`` (with the earlier version of the addon): data of every kind through the ORM, then
  ``state.json`` (the ids the later phase looks at) and ``before.json`` (every row of the addon);
- ``verify`` (after ``-u workflow_engine`` with this checkout): ``after.json``, compared row by
  row and column by column with ``before.json``; then the queue's cron runs: the pending run and
  the one waiting for its retry execute, and the failed run is retried (action_retry) and executes.

The only differences allowed are those the migrations document (ALLOWED_DIFFERENCES). Prints
one summary line beginning with "upgrade check:" and exits 1 on any difference.
"""
import json
import os
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# env is given by odoo shell.
env = globals()["env"]
PHASE = os.environ["UPGRADE_CHECK_PHASE"]
WORK_DIR = os.environ["UPGRADE_CHECK_DIR"]
SECRET_VALUE = "upgrade-check-s3cr3t"

# The addon's tables, dumped whole.
TABLES = (
    "workflow_workflow", "workflow_trigger", "workflow_action", "workflow_version", "workflow_run",
    "workflow_action_run", "workflow_secret",
)
# The settings of res.config.settings the addon stores on companies: masking and retention.
COMPANY_RELATIONS = ("res_company_workflow_masked_field_rel", "res_company_workflow_unmasking_group_rel")
PARAMETER_PREFIX = "workflow_engine."

# (table, column) -> (what the migration does, a test of (old row, new row, all old rows)): the
# changes migrations/18.0.1.1.0/pre-migration.py makes, and no other.
ALLOWED_DIFFERENCES = {
    ("workflow_workflow", "run_as_user_id"): (
        "18.0.1.1.0: a workflow saved without a run-as user runs as its creator, now named",
        lambda old, new, rows: old["run_as_user_id"] is None
        and new["run_as_user_id"] == (old["create_uid"] or old["write_uid"]),
    ),
    ("workflow_run", "idempotency_key"): (
        "18.0.1.1.0: the later manual runs one Idempotency-Key started are marked ':duplicate-<id>'",
        lambda old, new, rows: new["idempotency_key"] == f"{old['idempotency_key']}:duplicate-{old['id']}"
        and any(
            earlier["id"] < old["id"] and earlier["workflow_id"] == old["workflow_id"]
            and earlier["event_type"] == "manual" and earlier["idempotency_key"] == old["idempotency_key"]
            for earlier in rows.values()
        ),
    ),
}


def dump():
    """Every row of the addon's tables, its system parameters and company settings, by table and key."""
    cr = env.cr
    tables = {}
    for table in TABLES + COMPANY_RELATIONS:
        cr.execute(f"SELECT row_to_json(t)::text FROM {table} t")  # the names are constants
        rows = [json.loads(text) for (text,) in cr.fetchall()]
        tables[table] = {row_key(table, row): row for row in rows}
    cr.execute("SELECT row_to_json(t)::text FROM ir_config_parameter t WHERE key LIKE %s", [PARAMETER_PREFIX + "%"])
    tables["ir_config_parameter"] = {row["key"]: row for row in (json.loads(t) for (t,) in cr.fetchall())}
    cr.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'res_company' "
        "AND column_name LIKE 'workflow\\_%' ORDER BY column_name"
    )
    columns = ", ".join(["id"] + [name for (name,) in cr.fetchall()])
    cr.execute(f"SELECT row_to_json(t)::text FROM (SELECT {columns} FROM res_company) t")
    tables["res_company"] = {str(row["id"]): row for row in (json.loads(t) for (t,) in cr.fetchall())}
    return tables


def row_key(table, row):
    if "id" in row:
        return str(row["id"])
    return ",".join(f"{name}={row[name]}" for name in sorted(row))


def write_json(name, data):
    with open(os.path.join(WORK_DIR, name), "w", encoding="utf-8") as file:
        json.dump(data, file, indent=1, sort_keys=True, default=str)


def read_json(name):
    with open(os.path.join(WORK_DIR, name), encoding="utf-8") as file:
        return json.load(file)


def process_queue(passes=5):
    """What the queue's cron does, until no run is due: each pass commits its own work."""
    env.cr.commit()
    for _index in range(passes):
        env["workflow.run"]._cron_process_queue()
        env.cr.commit()
    env.invalidate_all()


def create():
    admin = env.ref("base.user_admin")
    # As the administrator, who created the data in a real database (create_uid is not OdooBot).
    uenv = env(user=admin.id, su=True, context={"tracking_disable": True})
    icp = uenv["ir.config_parameter"]
    icp.set_param("workflow_engine.webhook_allowed_hosts", "127.0.0.1")
    icp.set_param("workflow_engine.max_chain_depth", "7")
    icp.set_param("workflow_engine.queue_worker_timeout", "900")
    email_field = uenv["ir.model.fields"]._get("crm.lead", "email_from")
    uenv["res.config.settings"].create({
        "workflow_masked_field_ids": [(6, 0, email_field.ids)],
        "workflow_unmasking_group_ids": [(6, 0, uenv.ref("workflow_engine.group_workflow_admin").ids)],
        "workflow_run_retention_days": 120,
        "workflow_failed_run_retention_days": 400,
    }).execute()
    uenv["workflow.secret"].create({"name": "api_key", "value": SECRET_VALUE})

    # A port nobody listens on: the webhook fails (retryable) until verify listens there.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    def name_contains(text):
        return {"field": "lead.name", "operator": "contains", "value": text}

    Workflow = uenv["workflow.workflow"]
    immediate = Workflow.create({
        "name": "Upgrade check: qualify big leads",
        "description": "Immediate, two actions.",
        "execution_mode": "immediate",
        "priority": 20,
        "trigger_ids": [(0, 0, {"event_type": "lead.created", "conditions": {"and": [
            {"field": "expected_revenue", "operator": "gte", "value": 50000}, name_contains("big"),
        ]}})],
        "action_ids": [
            (0, 0, {"name": "Qualify", "ordering": 1, "action_type": "update_field",
                    "config": {"entity_type": "lead", "entity_id": "{{lead.id}}", "field": "priority",
                               "value": "3"}}),
            (0, 0, {"name": "Explain", "ordering": 2, "action_type": "add_note", "allow_failure": True,
                    "config": {"entity_type": "lead", "entity_id": "{{lead.id}}",
                               "note": "Qualified: {{lead.expected_revenue}}", "visibility": "internal"}}),
        ],
    })
    queued = Workflow.create({
        "name": "Upgrade check: note queued leads",
        "execution_mode": "queued",
        # Saved without a run-as user, as the earlier version allowed: the migration names one.
        "run_as_user_id": False,
        "max_retries": 2,
        "trigger_ids": [(0, 0, {"event_type": "lead.created", "conditions": name_contains("queued")})],
        "action_ids": [
            (0, 0, {"name": "Note", "ordering": 1, "action_type": "add_note",
                    "config": {"entity_type": "lead", "entity_id": "{{lead.id}}",
                               "note": "Queued note for {{lead.name}}", "visibility": "internal"}}),
            (0, 0, {"name": "Task", "ordering": 2, "action_type": "create_task",
                    "config": {"title": "Call {{lead.name}}", "description": "Queued", "priority": "high"}}),
        ],
    })
    hook = Workflow.create({
        "name": "Upgrade check: tell the CRM hub",
        "execution_mode": "queued",
        "max_retries": 1,
        "retry_delay_seconds": 1,
        "trigger_ids": [
            (0, 0, {"event_type": "lead.created", "conditions": name_contains("hook")}),
            (0, 0, {"event_type": "deal.won", "active": False,
                    "conditions": {"field": "deal.name", "operator": "icontains", "value": "hub"}}),
        ],
        "action_ids": [
            (0, 0, {"name": "Call hub", "ordering": 1, "action_type": "call_webhook",
                    "config": {"url": f"http://127.0.0.1:{port}/hub", "method": "POST",
                               "headers": {"Authorization": "Bearer {{api_key}}"},
                               "body": {"lead": "{{lead.id}}", "name": "{{lead.name}}"}, "timeout": 5}}),
        ],
    })
    # Versions: each save of a definition records one.
    immediate.write({"description": "Immediate, two actions; edited once."})
    immediate.action_ids.filtered(lambda action: action.name == "Explain").write({"config": {
        "entity_type": "lead", "entity_id": "{{lead.id}}", "note": "Qualified at {{lead.expected_revenue}}",
        "visibility": "internal",
    }})

    Lead = uenv["crm.lead"]
    big = Lead.create({"name": "A big lead", "type": "lead", "expected_revenue": 90000,
                       "email_from": "buyer@big.example.com"})  # immediate: success
    Lead.create({"name": "A queued lead, done", "type": "lead"})
    failed_lead = Lead.create({"name": "A hook lead, failed", "type": "lead"})
    process_queue(passes=1)  # the queued note succeeds; the webhook fails once, retry 1 of 1 is due in 1 s
    time.sleep(1.5)
    process_queue(passes=1)  # the webhook fails again: no retry left, failed
    waiting_lead = Lead.create({"name": "A hook lead, waiting for its retry", "type": "lead"})
    process_queue(passes=1)  # fails once: pending, retry 1 of 1
    pending_lead = Lead.create({"name": "A queued lead, pending", "type": "lead"})  # left pending
    small = Lead.create({"name": "A small lead", "type": "lead", "expected_revenue": 10})
    immediate.execute("crm.lead", small.id)  # the conditions do not hold: skipped
    # Two manual runs with one Idempotency-Key, as concurrent requests could start them before the
    # unique index of 18.0.1.1.0: execute() returns the first, so they are started as it does.
    immediate._start_run(big, "manual", {}, idempotency_key="upgrade-check-key")
    immediate._start_run(big, "manual", {}, idempotency_key="upgrade-check-key")
    env.cr.commit()

    Run = uenv["workflow.run"]

    def run_of(workflow, lead):
        return Run.search([("workflow_id", "=", workflow.id), ("res_id", "=", lead.id),
                           ("res_model", "=", "crm.lead")], order="id desc", limit=1)

    state = {
        "port": port,
        "pending": run_of(queued, pending_lead).id,
        "waiting_retry": run_of(hook, waiting_lead).id,
        "failed": run_of(hook, failed_lead).id,
    }
    runs = Run.search([("workflow_id", "in", (immediate | queued | hook).ids)])
    counts = {}
    for run in runs:
        counts[run.state] = counts.get(run.state, 0) + 1
    print(f"upgrade check: created {len(immediate | queued | hook)} workflows, "
          f"{len(immediate.version_ids | queued.version_ids | hook.version_ids)} versions, runs by state {counts}, "
          f"{len(runs.action_run_ids)} action runs")
    expected = {"pending": ("pending", 0), "waiting_retry": ("pending", 1), "failed": ("failed", 1)}
    for name, (run_state, retries) in expected.items():
        run = Run.browse(state[name])
        if (run.state, run.retry_count) != (run_state, retries):
            sys.exit(f"upgrade check: FAILED to create the data: the {name} run is {run.state} after "
                     f"{run.retry_count} retries, not {run_state} after {retries}")
    if not {"success", "skipped"} <= counts.keys():
        sys.exit(f"upgrade check: FAILED to create the data: no success or skipped run in {counts}")
    write_json("state.json", state)
    write_json("before.json", dump())


def compare(before, after):
    """(differences, allowed differences, columns added by the upgrade), as lines of text."""
    differences, allowed, added = [], [], []
    for table, old_rows in before.items():
        new_rows = after.get(table, {})
        for key, old in old_rows.items():
            new = new_rows.get(key)
            if new is None:
                differences.append(f"{table} {key}: lost")
                continue
            for column, value in old.items():
                if column not in new:
                    differences.append(f"{table} {key}: column {column} lost")
                elif new[column] != value:
                    rule = ALLOWED_DIFFERENCES.get((table, column))
                    change = f"{table} {key}: {column} {value!r} -> {new[column]!r}"
                    if rule and rule[1](old, new, old_rows):
                        allowed.append(f"{change} ({rule[0]})")
                    else:
                        differences.append(change)
        for key in new_rows.keys() - old_rows.keys():
            differences.append(f"{table} {key}: appeared")
        some_old = next(iter(old_rows.values()), {})
        some_new = next(iter(new_rows.values()), {})
        added += [f"{table}.{column}" for column in sorted(some_new.keys() - some_old.keys())]
    return differences, allowed, added


class Hub(BaseHTTPRequestHandler):
    """The webhook's receiver: answers 200 and keeps the headers of each request. (Not the tests'
    WebhookReceiver: importing odoo.tests outside a test run logs an error.)"""

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.server.received.append({"path": self.path, "headers": dict(self.headers)})
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


def verify():
    before, state = read_json("before.json"), read_json("state.json")
    after = dump()
    write_json("after.json", after)
    differences, allowed, added = compare(before, after)
    for line in allowed:
        print(f"upgrade check: allowed difference: {line}")
    if added:
        print(f"upgrade check: columns the upgrade added: {', '.join(added)}")
    for line in differences:
        print(f"upgrade check: DIFFERENCE: {line}")
    for (table, column), (why, _test) in ALLOWED_DIFFERENCES.items():
        if not any(line.startswith(f"{table} ") and f": {column} " in line for line in allowed):
            differences.append(f"the migration did not do what it documents on {table}.{column}: {why}")
            print(f"upgrade check: DIFFERENCE: {differences[-1]}")

    # The webhook's receiver listens only now: the retried runs succeed.
    server = ThreadingHTTPServer(("127.0.0.1", state["port"]), Hub)
    server.received = []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    problems = []
    try:
        Run = env["workflow.run"]
        admin = env.ref("base.user_admin")
        process_queue()
        for name in ("pending", "waiting_retry"):
            run = Run.browse(state[name])
            if run.state != "success":
                problems.append(f"the {name} run {run.id} is {run.state} after the queue ran: {run.error}")
        failed = Run.browse(state["failed"])
        failed.with_user(admin).action_retry()
        process_queue()
        if failed.state != "success":
            problems.append(f"the failed run {failed.id} is {failed.state} after action_retry and the queue: "
                            f"{failed.error}")
        authorizations = [request["headers"].get("Authorization") for request in server.received]
        if authorizations != [f"Bearer {SECRET_VALUE}"] * 2:
            problems.append(f"the webhook received the authorizations {authorizations}, not the secret twice")
    finally:
        server.shutdown()
        server.server_close()
    for line in problems:
        print(f"upgrade check: FAILED TO EXECUTE: {line}")
    rows = sum(len(rows) for rows in before.values())
    if differences or problems:
        print(f"upgrade check: FAILED: {len(differences)} differences in {rows} rows, {len(problems)} problems "
              "executing the runs afterwards")
        sys.exit(1)
    print(f"upgrade check: PASSED: {rows} rows kept ({len(allowed)} allowed differences), the pending run "
          "and the waiting retry executed, the failed run was retried and executed")


{"create": create, "verify": verify}[PHASE]()
