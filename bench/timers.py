"""Cost of the date scan (date.reached triggers) on a large CRM.

    python3 bench/timers.py [--leads 100000] [--due 10000] [--rounds 3] [--db wf_bench]

Creates (once) a database with workflow_engine, then, inside a transaction that is rolled
back, copies a lead into ``--leads`` leads (SQL, which is what matters here: the scan reads
them, it does not create them), ``--due`` of them with the same deadline and the others with
deadlines spread over the next year, and adds a queued workflow with a date.reached trigger
on the deadline. It prints, each the best of ``--rounds``:

* a pass when nothing is due (target: 50 ms at most), next to the same pass without any
  date trigger and to the plain indexed query of the window that the pass runs;
* a pass in which the ``--due`` leads come due at once, as runs queued per second (target:
  5,000 at least), next to a plain INSERT ... SELECT of as many rows.
"""

import argparse
import time
from datetime import timedelta

from benchdb import best_of, open_registry, rolled_back

NOTHING_DUE_TARGET_MS = 50
QUEUED_TARGET_PER_SECOND = 5000


def copy_leads(env, count, due, deadline):
    """``count`` copies of one lead, ``due`` of them with the ``deadline`` and the others later."""
    lead = env["crm.lead"].create({"name": "Bench lead", "type": "opportunity"})
    env.flush_all()
    env.cr.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'crm_lead' "
        "AND column_name NOT IN ('id', 'name', 'date_deadline')"
    )
    columns = ", ".join(f'"{name}"' for (name,) in env.cr.fetchall())
    env.cr.execute(
        f"INSERT INTO crm_lead ({columns}, name, date_deadline) "  # noqa: S608 - the table's own columns
        f"SELECT {columns}, 'Bench lead ' || n, "
        "CASE WHEN n <= %s THEN %s ELSE %s::date + 30 + n %% 365 END "
        "FROM crm_lead, generate_series(1, %s) n WHERE crm_lead.id = %s",
        [due, deadline, deadline, count - 1, lead.id],
    )
    env.cr.execute("ANALYZE crm_lead")


def add_date_workflow(env):
    return env["workflow.workflow"].create({
        "name": "Bench deadline", "execution_mode": "queued", "duplicate_window_minutes": 0,
        "trigger_ids": [(0, 0, {"event_type": "date.reached", "entity_type": "deal", "date_field": "date_deadline",
                                "date_offset": 0, "date_offset_unit": "days"})],
        "action_ids": [(0, 0, {"name": "Note", "ordering": 1, "action_type": "add_note",
                               "config": {"note": "Due {{date_value}}"}})],
    })


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="wf_bench")
    parser.add_argument("--leads", type=int, default=100000)
    parser.add_argument("--due", type=int, default=10000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    registry = open_registry(args.db)

    import odoo
    from odoo import api, fields

    with registry.cursor() as cr:
        env = api.Environment(cr, odoo.SUPERUSER_ID, {"tracking_disable": True})
        now = fields.Datetime.now()
        deadline = (now + timedelta(days=10)).date()
        start = time.perf_counter()
        copy_leads(env, args.leads, args.due, deadline)
        print(f"{args.leads} leads ({args.due} due on {deadline}), database {args.db}, best of {args.rounds} rounds "
              f"(leads copied in {time.perf_counter() - start:.1f} s)")
        triggers = env["workflow.trigger"]

        workflow_free = best_of(args.rounds, lambda: rolled_back(env, lambda: triggers._scan_dates(now=now)))
        start = time.perf_counter()
        workflow = add_date_workflow(env)
        env.flush_all()
        activation = time.perf_counter() - start
        trigger = workflow.trigger_ids
        env.cr.execute("ANALYZE workflow_trigger_fire")

        def window_query():
            low, high = trigger._window(now, now + timedelta(minutes=1))
            env.cr.execute("SELECT id FROM crm_lead WHERE date_deadline > %s AND date_deadline <= %s", [low, high])
            env.cr.fetchall()

        minute_later = now + timedelta(minutes=1)
        nothing_due = best_of(args.rounds, lambda: rolled_back(env, lambda: triggers._scan_dates(now=minute_later)))
        query = best_of(args.rounds, lambda: rolled_back(env, window_query))

        runs = env["workflow.run"]
        due_now = fields.Datetime.to_datetime(deadline) + timedelta(minutes=1)
        counts = []

        def all_due():
            triggers._scan_dates(now=due_now)
            counts.append(runs.search_count([("workflow_id", "=", workflow.id)]))

        queued = best_of(args.rounds, lambda: rolled_back(env, all_due))
        assert counts == [args.due] * args.rounds, counts

        def plain_insert():
            env.cr.execute(
                "INSERT INTO workflow_trigger_fire (trigger_id, res_id, date_value, fired_at) "
                "SELECT %s, -n, %s, %s FROM generate_series(1, %s) n",
                [trigger.id, now, now, args.due],
            )

        insert = best_of(args.rounds, lambda: rolled_back(env, plain_insert))
        cr.rollback()

    print(f"{'measure':58} {'figure':>14} {'target':>12}")
    print(f"{'activation of the trigger (baseline of due values)':58} {activation * 1000:11.1f} ms {'':>12}")
    print(f"{'pass, nothing due':58} {nothing_due * 1000:11.2f} ms {f'<= {NOTHING_DUE_TARGET_MS} ms':>12}")
    print(f"{'  baseline: the same pass without any date trigger':58} {workflow_free * 1000:11.2f} ms")
    print(f"{'  baseline: the window query alone (indexed)':58} {query * 1000:11.2f} ms")
    print(f"{f'pass, {args.due} leads due at once (runs queued)':58} {args.due / queued:9.0f} /s   "
          f"{f'>= {QUEUED_TARGET_PER_SECOND} /s':>12}")
    print(f"{'  the same pass':58} {queued * 1000:11.1f} ms")
    print(f"{f'  baseline: a plain INSERT ... SELECT of {args.due} rows':58} {args.due / insert:9.0f} /s   "
          f"({insert * 1000:.1f} ms)")


if __name__ == "__main__":
    main()
