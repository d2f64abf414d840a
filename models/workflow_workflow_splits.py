"""A/B splits: the goal a workflow's records may reach, and how the variants of its splits convert."""

from collections import defaultdict
from datetime import timedelta

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

from ..engine import conditions as dsl
from ..engine import splits
from .record_context import build_context
from .workflow_workflow import _rpc_result


class WorkflowWorkflow(models.Model):
    _inherit = "workflow.workflow"

    goal_conditions = fields.Json(
        help="Condition DSL (JSON) that a record meets once it reached the workflow's goal (a deal "
        "won, a probability of 50 % or more): the A/B split statistics count, per variant, the "
        "records that went through the split and meet it now. Empty: no conversion is counted.",
    )
    variant_statistics_html = fields.Html(
        string="A/B Split Results", compute="_compute_variant_statistics_html", sanitize=True,
        help="Per split and variant over the last 90 days: the records that went through it, how many "
        "meet the goal conditions now, and whether the difference between the two best variants is "
        "significant.",
    )

    @api.constrains("goal_conditions")
    def _check_goal_conditions(self):
        self._check_condition_field("goal_conditions")

    def _compute_variant_statistics_html(self):
        for workflow in self:
            tables = []
            splits_ = workflow._variant_statistics(splits.STATISTICS_DAYS)["splits"] if workflow.id else []
            for split in splits_:
                rows = Markup("").join(
                    Markup("<tr><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>") % (
                        variant["variant"], variant["records"],
                        "" if variant["conversions"] is None else variant["conversions"],
                        "" if variant["rate"] is None else f"{100 * variant['rate']:.1f} %",
                    )
                    for variant in split["variants"]
                )
                tables.append(Markup(
                    "<p><strong>%s</strong>: %s</p><table class='table table-sm o_workflow_variants'><thead><tr>"
                    "<th>Variant</th><th>Records</th><th>Goal Met</th><th>Rate</th></tr></thead><tbody>%s</tbody>"
                    "</table>"
                ) % (split["key"] or split["name"], split["sentence"], rows))
            workflow.variant_statistics_html = Markup("").join(tables) or False

    def get_variant_statistics(self, days=splits.STATISTICS_DAYS):
        """How the variants of these workflows' A/B splits convert, by workflow id: for each
        split action (``action_id``, ``key``, ``name``), each variant's ``records`` (the
        distinct records that went through it successfully in the last ``days`` days),
        ``conversions`` (how many of them meet the workflow's goal conditions now, read as
        its run-as user reads them; None without goal conditions), ``rate``, and, between
        the two best variants, ``p_value`` (engine.splits.two_proportion_test) and
        ``sentence``. Over XML-RPC, the ids are strings and None is false (see _rpc_result)."""
        self.check_access("read")
        if type(days) is not int or not 0 < days <= splits.MAX_STATISTICS_DAYS:
            raise UserError(self.env._(
                "days must be a whole number of days from 1 to %(max)s, got %(days)r.",
                max=splits.MAX_STATISTICS_DAYS, days=days,
            ))
        return _rpc_result({workflow.id: workflow._variant_statistics(days) for workflow in self})

    def _variant_statistics(self, days):
        self.ensure_one()
        split_actions = self.sudo().with_context(active_test=False).action_ids.filtered(
            lambda action: action.action_type == "split"
        )
        reached = self._split_records(split_actions, days)
        goals = self._goal_results({record for by_variant in reached.values() for records in by_variant.values()
                                    for record in records})
        splits_ = []
        for action in split_actions:
            by_variant = reached.get(action.id, {})
            names = list((action.config or {}).get("variants") or {}) + sorted(
                set(by_variant) - set((action.config or {}).get("variants") or {})
            )
            variants, counts = [], {}
            for name in names:
                records = by_variant.get(name, set())
                conversions = sum(goals[record] for record in records) if goals is not None else None
                variants.append({
                    "variant": name, "records": len(records), "conversions": conversions,
                    "rate": conversions / len(records) if records and conversions is not None else None,
                })
                counts[name] = (conversions or 0, len(records))
            # Ranked as engine.splits.variant_sentence ranks them: its sentence tells of the same two.
            best = [name for _rate, name in sorted(
                ((successes / total if total else 0, name) for name, (successes, total) in counts.items()),
                reverse=True,
            )[:2]]
            p_value = splits.two_proportion_test(*counts[best[0]], *counts[best[1]]) if (
                goals is not None and len(best) == 2) else None
            splits_.append({
                "action_id": action.id, "key": action.key or None, "name": action.name, "variants": variants,
                "p_value": p_value,
                "sentence": splits.variant_sentence(counts) if goals is not None else self.env._(
                    "no goal conditions: set them to compare the variants"
                ),
            })
        return {"days": days, "goal_conditions": self.goal_conditions or None, "splits": splits_}

    @api.model
    def _split_records(self, split_actions, days):
        """The records, as ``(model, id)``, that went through each of ``split_actions``
        successfully in the last ``days`` days: by action id, then by variant."""
        if not split_actions:
            return {}
        runs = self.env["workflow.run"]
        runs.flush_model(["res_model", "res_id"])
        self.env["workflow.action.run"].flush_model(["run_id", "action_id", "state", "output", "create_date"])
        self.env.cr.execute(
            """
            SELECT DISTINCT action_run.action_id, action_run.output->>'variant', run.res_model, run.res_id
              FROM workflow_action_run action_run
              JOIN workflow_run run ON run.id = action_run.run_id
             WHERE action_run.action_id IN %s AND action_run.state = 'success'
               AND action_run.create_date >= %s AND run.res_id IS NOT NULL
               AND action_run.output->>'variant' IS NOT NULL
            """,
            [tuple(split_actions.ids), fields.Datetime.now() - timedelta(days=days)],
        )
        reached = defaultdict(lambda: defaultdict(set))
        for action_id, variant, res_model, res_id in self.env.cr.fetchall():
            reached[action_id][variant].add((res_model, res_id))
        return reached

    def _goal_results(self, records):
        """Whether each record of ``records`` (``(model, id)``) meets this workflow's goal
        conditions now, as its run-as user reads it; None without goal conditions. The
        records of a model are read together; a record gone or hidden meets no goal."""
        if not self.goal_conditions:
            return None
        predicate = dsl.compile(self.goal_conditions)
        results = dict.fromkeys(records, False)
        by_model = defaultdict(list)
        for res_model, res_id in records:
            by_model[res_model].append(res_id)
        for res_model, ids in by_model.items():
            if res_model not in self.env:
                continue
            for record in self._acting_records(self.env[res_model].browse(ids).exists()):
                try:
                    results[res_model, record.id] = bool(
                        predicate(build_context(record, {}, record.env.company, memoize=True))
                    )
                except AccessError:
                    continue
        return results
