"""Cost of enrolling existing records (workflow.workflow.enroll) on a large CRM.

    python3 bench/enroll.py [--leads 100000] [--rounds 3] [--db wf_bench_enroll]

Creates (once) a database with workflow_engine, then, inside a transaction that is rolled
back, copies a lead into ``--leads`` leads (SQL), half of them of one salesperson and the other
half with a deadline in the past, and adds a queued workflow whose trigger condition has a
dotted path, an ``or`` and a date comparison::

    {"or": [{"field": "lead.user_id.login", "operator": "eq", "value": "bench_enroll_ann"},
            {"field": "date_deadline", "operator": "lt", "value": "<today>"}]}

which holds for every lead. It prints, each the best of ``--rounds``, as a Workflow Manager
who runs the workflow:

* the dry run's count of the records the condition selects (target: 1 s at most);
* the enrollment of them all, as runs queued per second (target: 10,000 at least);

each next to the same selection done in Python (every lead read, the compiled condition
evaluated on its context), which must be at least 20 times slower than the SQL path (the
dry run's selection, which the enrollment makes too), and for the enrollment the runs of
that selection written by the runs' row builder of events (workflow.run._insert).
"""

import argparse
import time
from datetime import timedelta

from benchdb import best_of, open_registry, rolled_back

COUNT_TARGET_S = 1.0
QUEUED_TARGET_PER_SECOND = 10000
SPEEDUP_TARGET = 20
LOGIN = "bench_enroll_ann"
INSERT_BATCH = 10000


def copy_leads(env, count, salesperson, past):
    """``count`` copies of one lead: the odd ones of ``salesperson``, the even ones due on ``past``."""
    lead = env["crm.lead"].create({"name": "Bench lead", "type": "lead"})
    env.flush_all()
    env.cr.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'crm_lead' "
        "AND column_name NOT IN ('id', 'name', 'user_id', 'date_deadline')"
    )
    columns = ", ".join(f'"{name}"' for (name,) in env.cr.fetchall())
    env.cr.execute(
        f"INSERT INTO crm_lead ({columns}, name, user_id, date_deadline) "  # noqa: S608 - the table's own columns
        f"SELECT {columns}, 'Bench lead ' || n, CASE WHEN n %% 2 = 1 THEN %s END, "
        "CASE WHEN n %% 2 = 0 THEN %s::date END "
        "FROM crm_lead, generate_series(1, %s) n WHERE crm_lead.id = %s",
        [salesperson.id, past, count, lead.id],
    )
    lead.unlink()
    env.cr.execute("ANALYZE crm_lead")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="wf_bench_enroll")
    parser.add_argument("--leads", type=int, default=100000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    registry = open_registry(args.db)

    import odoo
    from odoo import api, fields

    from odoo.addons.workflow_engine.engine import conditions
    from odoo.addons.workflow_engine.models.record_context import build_context

    with registry.cursor() as cr:
        env = api.Environment(cr, odoo.SUPERUSER_ID, {"tracking_disable": True})
        groups = ["sales_team.group_sale_salesman_all_leads", "workflow_engine.group_workflow_manager"]
        manager = env["res.users"].create({
            "name": "Bench manager", "login": "bench_enroll_manager",
            "groups_id": [(6, 0, [env.ref(xmlid).id for xmlid in ["base.group_user", *groups]])],
        })
        salesperson = env["res.users"].create({"name": "Ann", "login": LOGIN})
        today = fields.Date.context_today(manager)
        start = time.perf_counter()
        copy_leads(env, args.leads, salesperson, today - timedelta(days=3))
        print(f"{args.leads} leads, database {args.db}, best of {args.rounds} rounds "
              f"(leads copied in {time.perf_counter() - start:.1f} s)")
        condition = {"or": [
            {"field": "lead.user_id.login", "operator": "eq", "value": LOGIN},
            {"field": "date_deadline", "operator": "lt", "value": str(today)},
        ]}
        workflow = env["workflow.workflow"].create({
            "name": "Bench enrollment", "execution_mode": "queued", "run_as_user_id": manager.id,
            "trigger_ids": [(0, 0, {"event_type": "lead.created", "conditions": condition})],
            "action_ids": [(0, 0, {"name": "Note", "ordering": 1, "action_type": "add_note",
                                   "config": {"note": "Enrolled"}})],
        }).with_user(manager)
        env.flush_all()
        results = []

        def dry_run():
            results.append(workflow.enroll(dry_run=True)["count"])

        def enroll():
            results.append(workflow.enroll()["queued"])

        holds = conditions.compile(condition)
        leads = env["crm.lead"].with_user(manager)

        def python_selection():
            """Every lead read as the run-as user, the compiled condition evaluated on its context."""
            selected = []
            ids = leads.search([("type", "=", "lead")], order="id").ids
            for start in range(0, len(ids), 1000):
                batch = leads.browse(ids[start:start + 1000])
                selected.extend(
                    lead.id for lead in batch if holds(build_context(lead, {}, leads.env.company, memoize=True))
                )
                batch.invalidate_recordset()
            results.append(len(selected))
            return selected

        def python_enroll():
            """The Python selection, and a run of each with the runs' row builder of events."""
            selected = python_selection()
            results.pop()
            runs = env["workflow.run"]
            common = {"workflow_id": workflow.id, "trigger_id": workflow.trigger_ids.id, "event_type": "enrollment",
                      "state": "pending", "res_model": "crm.lead", "user_id": manager.id, "payload": {},
                      "company_id": env.company.id, "version_id": workflow.current_version_id.id}
            inserted = 0
            for start in range(0, len(selected), INSERT_BATCH):
                inserted += len(runs._insert([
                    dict(common, res_id=res_id, idempotency_key=f"enrollment:0:{res_id}")
                    for res_id in selected[start:start + INSERT_BATCH]
                ]))
            results.append(inserted)

        count = best_of(args.rounds, lambda: rolled_back(env, dry_run))
        python_count = best_of(1, lambda: rolled_back(env, python_selection))
        queued = best_of(args.rounds, lambda: rolled_back(env, enroll))
        python_queued = best_of(1, lambda: rolled_back(env, python_enroll))
        assert results == [args.leads] * len(results), results
        cr.rollback()

    print(f"{'measure':62} {'figure':>14} {'target':>12}")
    print(f"{'dry run: count of the leads the condition selects (SQL)':62} {count * 1000:11.1f} ms "
          f"{f'<= {COUNT_TARGET_S * 1000:.0f} ms':>12}")
    print(f"{'  baseline: the same selection in Python':62} {python_count * 1000:11.1f} ms "
          f"{f'x{python_count / count:.0f}':>12} (>= x{SPEEDUP_TARGET})")
    print(f"{f'enrollment of the {args.leads} leads (runs queued)':62} {args.leads / queued:9.0f} /s   "
          f"{f'>= {QUEUED_TARGET_PER_SECOND} /s':>12}")
    print(f"{'  the same enrollment':62} {queued * 1000:11.1f} ms")
    # The x20 is the SQL path's, the selection's: writing the runs' rows costs both the same.
    print(f"{'  baseline: the selection in Python, runs by workflow.run._insert':62} "
          f"{args.leads / python_queued:9.0f} /s   {f'x{python_queued / queued:.0f}':>12}")
    print(f"{'  the same baseline':62} {python_queued * 1000:11.1f} ms")


if __name__ == "__main__":
    main()
