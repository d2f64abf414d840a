"""workflow.workflow's enrollment of existing records (workflow.enrollment): the records that the
conditions of its triggers select, found with one search (record_context.condition_domain), and
one queued run for each, inserted in batches of INSERT ... SELECT."""

import heapq
import itertools
import json

import psycopg2

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.osv import expression
from odoo.tools import SQL

from ..engine import conditions as dsl
from ..engine.definition import DATE_EVENT
from ..engine.events import ENROLLMENT_EVENT, ENTITY_MODELS
from ..groups import MANAGER_GROUP
from .record_context import build_context, condition_domain
from .workflow_action import ENTITY_DOMAINS

ENROLL_BATCH = 10000
"""Runs one INSERT of an enrollment creates."""
EVALUATE_BATCH = 1000
"""Records read at once to evaluate the part of a condition that no domain expresses."""
SHOWN_RECORDS = 20
"""Records a dry run lists, with the conditions that decided."""
SHOWN_REJECTED = 5
"""Records a dry run lists that the conditions reject, with the comparison that decided."""
MAX_RECORD_ID = 2**31 - 1
DOMAIN_OPERATORS = ("&", "|", "!")


class WorkflowWorkflow(models.Model):
    _inherit = "workflow.workflow"

    enrollment_ids = fields.One2many(
        "workflow.enrollment", "workflow_id", string="Enrollments",
        help="The enrollments of existing records in the workflow, the newest first.",
    )

    def enroll(self, domain=None, res_ids=None, dry_run=False, entity_type=None):
        """Enroll the existing records that this workflow's trigger conditions select: one queued
        run each (event type ``enrollment``), logged under a new ``workflow.enrollment``.

        ``entity_type`` names the records (lead, deal, contact, account) when the triggers name
        several, by default the first trigger's; the conditions of the triggers of that entity
        select them, as the run-as user sees them, among those the caller may read, narrowed by
        ``domain`` (an Odoo domain) and ``res_ids``. A record that a running enrollment of the
        workflow holds already is not enrolled again. With ``dry_run``, nothing is started.

        Returns ``count`` (the records selected), ``records`` (the first of them: ``id``,
        ``display_name``, ``accepted``, and the ``explanation`` of the conditions that held),
        ``rejected_count`` and ``rejected`` (the first records the conditions leave out, with the
        comparison that decided); without ``dry_run``, ``enrollment_id`` and ``queued`` (the runs
        created) too.
        """
        self.ensure_one()
        self.check_access("read")
        if not self.env.user.has_group(MANAGER_GROUP):
            raise AccessError(self.env._(
                "Only Workflow Managers and Administrators may enroll records in a workflow: it starts a run for "
                "each. Run it on one record instead."
            ))
        if not self.active:
            raise UserError(self.env._("The workflow '%s' is archived: unarchive it to enroll records.", self.name))
        self._check_run_capabilities()
        entity_type, triggers = self._enrollment_triggers(entity_type)
        model_name = ENTITY_MODELS[entity_type]
        caller_domain = self._check_enroll_domain(model_name, domain)
        res_ids = self._check_enroll_ids(res_ids)
        base = self._enroll_base(entity_type, caller_domain, res_ids)
        acting = self._acting_records(self.env[model_name]).with_context(active_test=False)
        base_ids, selected = self._enroll_selection(acting, base, triggers)
        result = self._enroll_dry_run(acting, base_ids, selected, triggers)
        if dry_run:
            return result
        return dict(result, **self._enroll_records(acting, selected, result["count"], entity_type, domain))

    def _enrollment_triggers(self, entity_type):
        """The entity whose records an enrollment takes (``entity_type``, else the first trigger's)
        and the active triggers whose conditions select them: those of that entity, and those of
        events of any record (custom events, timeline events)."""
        triggers = self.trigger_ids.filtered("active")
        entities = [self._trigger_entity(trigger) for trigger in triggers]
        named = list(dict.fromkeys(entity for entity in entities if entity))
        if entity_type in (None, False):
            if not named:
                raise UserError(self.env._(
                    "entity_type: name the records to enroll (%(entities)s): no trigger of the workflow '%(workflow)s' "
                    "names them.", entities=", ".join(ENTITY_MODELS), workflow=self.name,
                ))
            entity_type = named[0]
        elif not isinstance(entity_type, str) or entity_type not in ENTITY_MODELS:
            raise UserError(self.env._(
                "entity_type: %(value)r is no entity; one of %(entities)s.", value=entity_type,
                entities=", ".join(ENTITY_MODELS),
            ))
        elif named and entity_type not in named and None not in entities:
            raise UserError(self.env._(
                "entity_type: no active trigger of the workflow '%(workflow)s' starts it for a %(entity)s; its "
                "triggers start it for %(entities)s.", workflow=self.name, entity=entity_type,
                entities=", ".join(named),
            ))
        chosen = triggers.browse(
            trigger.id for trigger, entity in zip(triggers, entities, strict=True) if entity in (entity_type, None)
        )
        return entity_type, chosen

    @api.model
    def _trigger_entity(self, trigger):
        """The entity type whose records ``trigger`` starts its workflow for; None for an event of
        any record (a custom or timeline event)."""
        if trigger.event_type == DATE_EVENT:
            return trigger.entity_type
        entity = trigger.event_type.partition(".")[0]
        return entity if entity in ENTITY_MODELS else None

    @api.model
    def _check_enroll_domain(self, model_name, domain):
        """``domain`` (an Odoo domain, as JSON gives it), refused with a UserError naming the path of
        what is wrong: no list, a term that is no operator or leaf, a field the caller may not read."""
        if domain is None or domain is False:  # not `in (None, False)`: 0 == False
            return []
        if not isinstance(domain, list):
            raise UserError(self.env._("domain: a domain is a list of terms, not %s.", type(domain).__name__))
        checked = []
        # Read from the end, the terms a prefix operator needs are on the stack.
        terms = 0
        for index in reversed(range(len(domain))):
            term = domain[index]
            if term in DOMAIN_OPERATORS:
                needed = 1 if term == "!" else 2
                if terms < needed:
                    raise UserError(self.env._(
                        "domain[%(index)s]: '%(operator)s' needs %(needed)s terms after it.",
                        index=index, operator=term, needed=needed,
                    ))
                terms -= needed - 1
            else:
                self._check_enroll_leaf(model_name, term, f"domain[{index}]")
                terms += 1
            checked.insert(0, term if isinstance(term, str) else tuple(term))
        return checked

    @api.model
    def _check_enroll_leaf(self, model_name, leaf, path):
        if not (isinstance(leaf, (list, tuple)) and len(leaf) == 3 and isinstance(leaf[0], str)
                and isinstance(leaf[1], str)):
            raise UserError(self.env._(
                "%s: a term is '&', '|', '!' or a [field, operator, value] list.", path
            ))
        name, operator, value = leaf
        if operator not in expression.TERM_OPERATORS:
            raise UserError(self.env._(
                "%(path)s: unknown operator '%(operator)s'; one of %(operators)s.",
                path=path, operator=operator, operators=", ".join(expression.TERM_OPERATORS),
            ))
        values = value if isinstance(value, list) else [value]
        if not all(item is None or isinstance(item, (str, int, float, bool)) for item in values):
            raise UserError(self.env._("%s: a value is a string, a number, a boolean, null or a list of them.", path))
        model = self.env[model_name]
        for part in name.split("."):
            field = model._fields.get(part)
            if field is None or not field.is_accessible(self.env):
                raise UserError(self.env._(
                    "%(path)s: unknown field '%(field)s' on %(model)s.", path=path, field=part, model=model._name
                ))
            model = self.env[field.comodel_name] if field.relational else None
            if model is None and part != name.split(".")[-1]:
                raise UserError(self.env._(
                    "%(path)s: '%(field)s' is no relation, no field can follow it.", path=path, field=part
                ))

    @api.model
    def _check_enroll_ids(self, res_ids):
        if res_ids is None or res_ids is False:
            return None
        if not isinstance(res_ids, list):
            raise UserError(self.env._("res_ids: a list of record ids, not %s.", type(res_ids).__name__))
        for index, res_id in enumerate(res_ids):
            if type(res_id) is not int or not 0 < res_id <= MAX_RECORD_ID:
                raise UserError(self.env._("res_ids[%(index)s]: %(value)r is no record id.", index=index,
                                           value=res_id))
        return res_ids

    def _enroll_base(self, entity_type, caller_domain, res_ids):
        """The SQL of the ids of the records of ``entity_type`` that the caller may read, in the
        workflow's company, narrowed by ``caller_domain`` and ``res_ids``: those an enrollment may take."""
        model = self.env[ENTITY_MODELS[entity_type]]
        domain = [*ENTITY_DOMAINS[entity_type], *caller_domain] if caller_domain else ENTITY_DOMAINS[entity_type]
        domain = expression.AND([domain, [("id", "in", res_ids)]] if res_ids is not None else [domain])
        if self.company_id and "company_id" in model._fields:
            # As an event of a record without a company starts the workflows of the current one.
            companies = [self.company_id.id, *([False] if self.env.company == self.company_id else [])]
            domain = expression.AND([domain, [("company_id", "in", companies)]])
        try:
            return model._search(domain).subselect()
        except (ValueError, TypeError) as exc:
            raise UserError(self.env._("domain: %s", exc)) from exc

    def _enroll_rows(self, query):
        """The rows of the SQL ``query``; a value of the caller's domain that its field cannot hold is
        refused as the domain's."""
        try:
            with self.env.cr.savepoint():
                self.env.cr.execute(query)
                return self.env.cr.fetchall()
        except (psycopg2.DataError, psycopg2.errors.UndefinedFunction) as exc:
            raise UserError(self.env._("domain: %s", exc.diag.message_primary or exc)) from None

    def _enroll_selection(self, acting, base, triggers):
        """The ids of the SQL ``base`` in order, and ``(trigger, ids)`` for each of ``triggers`` in
        order: the ids, in order, of the records of ``base`` that its conditions select as the run-as
        user sees them (``acting``) and no earlier trigger did. One search of the conditions' domain,
        and where a part of them is no domain, that part evaluated in Python on the records found."""
        base_ids = None
        selection = []
        taken = set()
        for trigger in triggers or [triggers]:
            domain, residual = condition_domain(acting, trigger.conditions or None, company=acting.env.company)
            found = acting._search(domain).subselect()
            if base_ids is None:
                # The caller's records and the first trigger's in one query, each search made once.
                rows = self._enroll_rows(SQL(
                    "SELECT base.id, found.id IS NOT NULL FROM (%s) AS base(id) "
                    "LEFT JOIN (%s) AS found(id) ON found.id = base.id ORDER BY base.id", base, found,
                ))
                base_ids = [res_id for res_id, _found in rows]
                ids = [res_id for res_id, found_id in rows if found_id]
            else:
                ids = sorted(row[0] for row in self._enroll_rows(SQL(
                    "SELECT id FROM (%s) AS found(id) WHERE id IN (%s)", found, base,
                )))
            if residual is not None:
                holds = dsl.compile(residual)
                kept = []
                for start in range(0, len(ids), EVALUATE_BATCH):
                    records = acting.browse(ids[start:start + EVALUATE_BATCH])
                    kept.extend(
                        record.id for record in records
                        if holds(build_context(record, {}, acting.env.company, memoize=True))
                    )
                    records.invalidate_recordset()
                ids = kept
            ids = [res_id for res_id in ids if res_id not in taken]
            taken.update(ids)
            selection.append((trigger, ids))
        return base_ids, selection

    def _enroll_dry_run(self, acting, base_ids, selected, triggers):
        """What an enrollment would take: the records ``selected`` (``(trigger, ids)``) among those of
        ``base_ids``, the first of each kind listed with the comparison that decided."""
        taken = {res_id for _trigger, ids in selected for res_id in ids}
        accepted = heapq.nsmallest(SHOWN_RECORDS, taken)
        rejected = list(itertools.islice((res_id for res_id in base_ids if res_id not in taken), SHOWN_REJECTED))
        return {
            "count": len(taken),
            "records": self._enroll_explained(acting.browse(accepted), triggers),
            "rejected_count": len(base_ids) - len(taken),
            "rejected": self._enroll_explained(acting.browse(rejected), triggers),
        }

    def _enroll_explained(self, records, triggers):
        """``records`` (as the run-as user sees them, named as the caller does) with the explanation
        of the conditions of ``triggers``: those that held, else those of the last trigger tried; a
        record the run-as user may not read is explained so."""
        readable = set(records.search([("id", "in", records.ids)]).ids)
        names = {record.id: record.display_name for record in self.env[records._name].browse(records.ids)}
        explained = []
        for record in records:
            if record.id in readable:
                _trigger, explanation = triggers._evaluate(build_context(record, {}, record.env.company))
                accepted, summary = explanation.result, explanation.summary()
            else:
                accepted, summary = False, self.env._(
                    "%s (the run-as user) may not read it.", records.env.user.login
                )
            explained.append({
                "id": record.id, "display_name": names[record.id] or "", "accepted": accepted,
                "explanation": summary,
            })
        return explained

    def _enroll_records(self, acting, selected, count, entity_type, domain):
        """Create the enrollment of the ``count`` records ``selected`` (``(trigger, ids)``) and queue
        a run for each that no running enrollment of the workflow holds, with one INSERT ... SELECT per
        batch; return its ``enrollment_id`` and the runs ``queued``."""
        # Two enrollments of one workflow at once would each miss the other's runs: they take turns on
        # the workflow's row, and the later one, which conflicts, is tried again and sees them.
        self.env.cr.execute("UPDATE workflow_workflow SET id = id WHERE id = %s", [self.id])
        Run = self.env["workflow.run"].sudo()
        Run.flush_model(["enrollment_id", "res_model", "res_id"])
        self.env.cr.execute(SQL(
            "SELECT run.res_id FROM workflow_run AS run "
            "JOIN workflow_enrollment AS enrollment ON enrollment.id = run.enrollment_id "
            "WHERE enrollment.workflow_id = %s AND enrollment.state = 'running' AND run.res_model = %s",
            self.id, acting._name,
        ))
        held = {row[0] for row in self.env.cr.fetchall()}
        now = fields.Datetime.now()
        enrollment = self.env["workflow.enrollment"].sudo().create({
            "workflow_id": self.id, "user_id": self.env.uid, "res_model": acting._name, "entity_type": entity_type,
            "domain": json.dumps(domain) if domain else False, "total": count, "started_at": now,
        })
        enrollment.flush_recordset()
        depth, values = Run._chain_values({})
        common = {
            "workflow_id": self.id, "event_type": ENROLLMENT_EVENT, "version_id": self.current_version_id.id,
            "depth": depth, "queue_backend": self.queue_backend, "state": "pending", "payload": {},
            "res_model": acting._name, "user_id": acting.env.uid, "enrollment_id": enrollment.id, **values,
        }
        model = self.env[acting._name]
        # The company each run acts in: the workflow's, else its record's, else the current one (_acting_records).
        company = SQL("%s::int", self.company_id.id) if self.company_id else (
            SQL("COALESCE(record.company_id, %s)", self.env.company.id) if "company_id" in model._fields
            else SQL("%s::int", self.env.company.id)
        )
        run_ids = []
        for trigger, ids in selected:
            ids = [res_id for res_id in ids if res_id not in held]
            if self.single_active_run and ids:
                # As for events: a record with an active run gets none, and is counted.
                kept = Run._without_active_runs([(self, trigger, [(acting.browse(res_id), {}) for res_id in ids])])
                ids = [record.id for _workflow, _trigger, matches in kept for record, _keys in matches]
            for start in range(0, len(ids), ENROLL_BATCH):
                run_ids += Run._insert_from(dict(common, trigger_id=trigger.id), SQL(
                    "SELECT selection.id, %s, 'enrollment:' || %s || ':' || selection.id "
                    "FROM unnest(%s::int[]) AS selection(id) JOIN %s AS record ON record.id = selection.id",
                    company, enrollment.id, ids[start:start + ENROLL_BATCH], SQL.identifier(model._table),
                ), ["res_id", "company_id", "idempotency_key"])
        enrollment.queued = len(run_ids)
        # Created with none in cache: the runs were inserted past the ORM.
        self.invalidate_recordset(["run_ids"])
        enrollment.invalidate_recordset(["run_ids"])
        if common["state"] == "pending":
            # Each run of the OCA backend is a job of its own; the built-in queue, woken once, takes
            # the runs due at once one batch after the other.
            runs = Run.browse(run_ids)
            (runs if self.queue_backend == "queue_job" else runs[:1])._wake_queue()
        enrollment._refresh_progress()
        return {"enrollment_id": enrollment.id, "queued": len(run_ids)}
