"""Throughput of the run queue, and what queuing a run costs the change that causes it.

    python3 bench/queue.py [--runs 2000] [--db wf_bench_queue]

Creates (once) a database with workflow_engine, then:

* enqueue: creates leads one by one, and moves deals to another stage one by one, inside
  transactions that are rolled back, without any workflow and with one queued workflow
  that matches each of them (on lead.created, on deal.stage_changed, with and without
  duplicate detection), and prints the difference per record (the best of ``--rounds``
  rounds): what the hook costs to log a pending run;
* drain: queues ``--runs`` runs of a two-action workflow (update_field, add_note), each
  on a lead of its own, commits, and drains them with one, then two worker processes
  (each the loop that the queue's cron runs), printing runs per second. Twice: with the
  actions acting on each run's record, which a worker executes for the runs it claimed
  together (one write, one batch of notes, one commit per action), then with each action
  naming its lead by id, which a worker executes run by run (a savepoint each);
* hand-written: the same two actions on the same leads written by hand, lead by lead and
  each action committed, as a queue executing runs one at a time would, with one then
  two worker processes and no engine.
"""

import os
import sys

# Run as a script, this file would stand for the standard library's queue module in what it imports.
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [entry for entry in sys.path if os.path.abspath(entry or ".") != HERE]

import argparse  # noqa: E402
import importlib.util  # noqa: E402
import json  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402

# benchdb sits beside this file, out of sys.path now: load it from there.
_spec = importlib.util.spec_from_file_location("benchdb", os.path.join(HERE, "benchdb.py"))
benchdb = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(benchdb)

EVENT = "bench.queue"


def open_registry(db, path):
    import odoo  # noqa: PLC0415 - Odoo is configured first, from the command line
    from odoo.modules.registry import Registry  # noqa: PLC0415

    odoo.tools.config.parse_config([
        "-d", db, "--db_host=127.0.0.1", "--db_user=odoo", f"--addons-path={path}", "--log-level=warn",
    ])
    return Registry(db)


def superuser_env(cr):
    from odoo import SUPERUSER_ID, api  # noqa: PLC0415

    return api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})


NAMED_LEAD = {"entity_type": "lead", "entity_id": "{{lead.id}}"}
"""Config naming each run's lead explicitly: the same work, which the queue executes run by run."""


def bench_workflow(env, event_type, duplicate_window_minutes=0, target=None):
    target = target or {}
    return env["workflow.workflow"].create({
        "name": "Bench queue", "execution_mode": "queued", "duplicate_window_minutes": duplicate_window_minutes,
        "trigger_ids": [(0, 0, {"event_type": event_type, "custom_event": EVENT if event_type == "custom" else False})],
        "action_ids": [
            (0, 0, {"name": "Priority", "ordering": 1, "action_type": "update_field",
                    "config": {"field": "priority", "value": "2", **target}}),
            (0, 0, {"name": "Note", "ordering": 2, "action_type": "add_note",
                    "config": {"note": "Bench {{lead.name}}", **target}}),
        ],
    })


def time_hook(registry, count, operation, event_type=None, window=0):
    """Milliseconds per call of ``operation(env, index)``, ``count`` calls in a transaction that
    is rolled back, with a queued workflow on ``event_type`` matching every call (none
    without), and how many runs they queued."""
    if event_type:
        # Committed first, as a workflow is long before the records it acts on.
        with registry.cursor() as cr:
            workflow_id = bench_workflow(superuser_env(cr), event_type, duplicate_window_minutes=window).id
    with registry.cursor() as cr:
        env = superuser_env(cr)
        operation(env, count)
        env.flush_all()
        start = time.perf_counter()
        for index in range(count):
            operation(env, index)
        env.flush_all()
        elapsed = time.perf_counter() - start
        queued = env["workflow.run"].search_count([("state", "=", "pending")])
        cr.rollback()
    if event_type:
        with registry.cursor() as cr:
            superuser_env(cr)["workflow.workflow"].browse(workflow_id).unlink()
    return elapsed / count * 1000, queued


def enqueue_cost(registry, count, rounds):
    with registry.cursor() as cr:
        env = superuser_env(cr)
        window = env["workflow.workflow"].default_get(["duplicate_window_minutes"])["duplicate_window_minutes"]
        stages = env["crm.stage"].search([], limit=2)
        deals = env["crm.lead"].search([("name", "=like", "Enqueue deal %")], order="id")
        if len(deals) <= count:
            deals |= env["crm.lead"].create([
                {"name": f"Enqueue deal {index}", "type": "opportunity"} for index in range(len(deals), count + 1)
            ])
        deals.write({"stage_id": stages[0].id})
        deal_ids = deals.ids

    def create_lead(env, index):
        env["crm.lead"].create({"name": f"Enqueue {index}", "type": "lead"})

    def change_stage(env, index):
        env["crm.lead"].browse(deal_ids[index]).write({"stage_id": stages[1].id})

    scenarios = {
        "lead created": (create_lead, [
            ("lead.created", window, f"default {window}-minute duplicate window (a creation is never a duplicate)"),
        ]),
        "deal stage changed": (change_stage, [
            ("deal.stage_changed", 0, "duplicate detection off"),
            ("deal.stage_changed", window, f"default {window}-minute duplicate window"),
        ]),
    }
    # Best of several rounds, taking turns, as bench/hooks.py does: single rounds are noisy.
    best = {}
    for _round in range(rounds):
        for label, (operation, workflows) in scenarios.items():
            for event_type, workflow_window in [(None, 0), *((event, wf_window) for event, wf_window, _ in workflows)]:
                cost, queued = time_hook(registry, count, operation, event_type, workflow_window)
                key = (label, event_type, workflow_window)
                best[key] = min(best.get(key, (float("inf"), 0)), (cost, queued))
    print(f"enqueue (best of {rounds} rounds of {count}):")
    for label, (_operation, workflows) in scenarios.items():
        vanilla = best[label, None, 0][0]
        print(f"  {label}, without workflow: {vanilla:.3f} ms")
        for event_type, workflow_window, description in workflows:
            cost, queued = best[label, event_type, workflow_window]
            print(f"  {label}, a queued workflow matching each ({description}): {cost:.3f} ms, "
                  f"{queued} runs queued: {cost - vanilla:.3f} ms per matching record")


def queue_runs(registry, runs, target):
    with registry.cursor() as cr:
        env = superuser_env(cr)
        env["workflow.workflow"].with_context(active_test=False).search([("name", "=", "Bench queue")]).unlink()
        workflow = bench_workflow(env, "custom", target=target)
        leads = env["crm.lead"].search([("name", "=like", "Bench lead %")], order="id")
        if len(leads) < runs:
            leads |= env["crm.lead"].create([
                {"name": f"Bench lead {index}", "type": "lead"} for index in range(len(leads), runs)
            ])
        env["workflow.workflow"].emit_event(EVENT, {}, leads[:runs])
        return workflow.id


def drain(registry):
    """Worker process: drain the queue, then print when it started and ended and how many it ran."""
    with registry.cursor() as cr:
        superuser_env(cr)["workflow.run"].search_count([])  # loads what the first claim would
    start, executed = time.time(), 0
    while True:
        with registry.cursor() as cr:
            claimed = superuser_env(cr)["workflow.run"]._process_queue(limit=50)
        if not claimed:
            break
        executed += claimed
    print(json.dumps({"start": start, "end": time.time(), "executed": executed}), flush=True)


def hand_written(registry, runs, worker, workers):
    """Worker process: the workflow's two actions written by hand on this worker's share of
    the bench leads, each action committed as the queue commits it, without any engine."""
    from odoo import SUPERUSER_ID, api  # noqa: PLC0415

    with registry.cursor() as cr:
        leads = superuser_env(cr)["crm.lead"].search([("name", "=like", "Bench lead %")], order="id", limit=runs)
        lead_ids = leads.ids[worker::workers]
    start = time.time()
    for lead_id in lead_ids:
        with registry.cursor() as cr:
            lead = api.Environment(cr, SUPERUSER_ID, {})["crm.lead"].browse(lead_id)
            lead.write({"priority": "2"})
            cr.commit()  # pylint: disable=invalid-commit
            lead._message_log_batch({lead.id: f"Bench {lead.name}"}, message_type="comment")
    print(json.dumps({"start": start, "end": time.time(), "executed": len(lead_ids)}), flush=True)


def run_workers(workers, arguments):
    """Start ``workers`` worker processes with ``arguments`` (the worker's index is passed
    as ``{index}``) and return their elapsed wall time and reports."""
    processes = [
        subprocess.Popen([sys.executable, __file__, *(arg.format(index=index) for arg in arguments)],
                         stdout=subprocess.PIPE, text=True)
        for index in range(workers)
    ]
    reports = [json.loads(process.communicate()[0].strip().splitlines()[-1]) for process in processes]
    return max(report["end"] for report in reports) - min(report["start"] for report in reports), reports


def hand_written_with(workers, db, runs):
    elapsed, reports = run_workers(workers, [
        "--db", db, "--runs", str(runs), "--hand-written", "{index}", "--workers", str(workers),
    ])
    executed = sum(report["executed"] for report in reports)
    print(f"hand-written, no engine: {workers} worker(s): {executed} leads in {elapsed:.2f} s = "
          f"{executed / elapsed:.0f} per second")


def drain_with(workers, db, registry, runs, label, target):
    workflow_id = queue_runs(registry, runs, target)
    elapsed, reports = run_workers(workers, ["--db", db, "--worker"])
    with registry.cursor() as cr:
        env = superuser_env(cr)
        states = dict(env["workflow.run"]._read_group([("workflow_id", "=", workflow_id)], ["state"], ["__count"]))
    executed = sum(report["executed"] for report in reports)
    print(f"drain, {label}: {workers} worker(s): {executed} runs in {elapsed:.2f} s = {executed / elapsed:.0f} runs/s "
          f"(states: {states}; per worker: {[report['executed'] for report in reports]})")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2000)
    parser.add_argument("--leads", type=int, default=500, help="leads created (deals moved) to time the hook")
    parser.add_argument("--rounds", type=int, default=5, help="rounds of the enqueue timing, the best kept")
    parser.add_argument("--db", default="wf_bench_queue")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--hand-written", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--workers", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    path = benchdb.addons_path()
    if args.worker:
        drain(open_registry(args.db, path))
        return
    if args.hand_written is not None:
        hand_written(open_registry(args.db, path), args.runs, args.hand_written, args.workers)
        return
    benchdb.ensure_database(args.db, path, "workflow_engine")
    registry = open_registry(args.db, path)
    print(f"{os.cpu_count()} CPU(s)")
    enqueue_cost(registry, args.leads, args.rounds)
    for label, target in (("on each run's record", None), ("lead named by id, run by run", NAMED_LEAD)):
        for workers in (1, 2):
            drain_with(workers, args.db, registry, args.runs, label, target)
    for workers in (1, 2):
        hand_written_with(workers, args.db, args.runs)


if __name__ == "__main__":
    main()
