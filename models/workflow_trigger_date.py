"""Date triggers (``date.reached``): a trigger that fires when a date field of a record, moved by
its offset, is reached.

A pass of the scan (``_scan_dates``, every minute by cron) finds, per trigger, the records
whose value came due since the previous pass (an indexed range on the field: the window of
engine.timing.scan_window) and those written since then whose value is already due (the
``write_date`` index: a lead created or changed with a deadline in the past). Each value fires
once: ``workflow.trigger.fire`` holds one row per trigger, record and value, inserted with
ON CONFLICT DO NOTHING, so that a value found by both queries, by two servers at once or by
a later pass again starts one run only. When a trigger is activated, the values already due
are inserted as fired without a run: they never fire, while a value that moves fires anew.

A date field (no time) is due at its midnight UTC plus the offset: Odoo stores no time zone
with a date, and its server runs in UTC.
"""

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import SQL, create_index

from ..engine import jsondoc
from ..engine.definition import DATE_EVENT, DATE_TRIGGER_KEYS, DefinitionError
from ..engine.events import ENTITY_MODELS, ENTITY_TYPES
from ..engine.timing import DURATION_UNITS, due_at, scan_window
from .record_context import build_context

DATE_SETTINGS = frozenset({"event_type", *DATE_TRIGGER_KEYS, "active"})
"""What a date trigger watches, and whether it does: changing any of them activates it anew."""
ACTIVITY_DEADLINE = "activity_date_deadline"
"""The one computed date field a trigger may watch: the deadline of a record's next activity
(mail.activity.mixin), the earliest deadline of its activities, read from mail_activity."""


class WorkflowTrigger(models.Model):
    _inherit = "workflow.trigger"

    entity_type = fields.Selection(
        ENTITY_TYPES,
        help="For a Date reached trigger: the records whose date it watches (leads and deals are "
        "CRM leads, contacts and accounts are partners).",
    )
    date_model = fields.Char(
        compute="_compute_date_model",
        help="The model of the records whose date the trigger watches.",
    )
    date_field = fields.Char(
        string="Date Field Name",
        help="For a Date reached trigger: the technical name of the date or datetime field it "
        "watches, for example date_deadline.",
    )
    date_field_id = fields.Many2one(
        "ir.model.fields", compute="_compute_date_field_id",
        inverse="_inverse_date_field_id",
        domain="[('model', '=', date_model), ('ttype', 'in', ('date', 'datetime')), "
        "'|', ('store', '=', True), ('name', '=', 'activity_date_deadline')]",
        help="For a Date reached trigger: the date or datetime field it watches.",
    )
    date_offset = fields.Integer(
        string="Offset",
        help="How long after the date the trigger fires; negative for before it (-3 days: three "
        "days before the deadline).",
    )
    date_offset_unit = fields.Selection(
        [(unit, unit.capitalize()) for unit in DURATION_UNITS], string="Offset Unit",
        help="For a Date reached trigger: the unit of the offset.",
    )
    date_last_pass = fields.Datetime(
        readonly=True, copy=False,
        help="When the date scan last looked at this trigger (or when it was activated): values "
        "due by then have been fired.",
    )
    date_write_mark = fields.Datetime(
        readonly=True, copy=False,
        help="The database time from which the next pass looks for records written with a value "
        "already due: no transaction still open at the last pass started before it.",
    )

    @api.depends("entity_type")
    def _compute_date_model(self):
        for trigger in self:
            trigger.date_model = ENTITY_MODELS.get(trigger.entity_type) or False

    @api.depends("date_model", "date_field")
    def _compute_date_field_id(self):
        fields_by_key = {
            (field.model, field.name): field
            for field in self.env["ir.model.fields"].sudo().search([
                ("model", "in", list(set(self.mapped("date_model")) - {False})),
                ("name", "in", list(set(self.mapped("date_field")) - {False})),
            ])
        }
        for trigger in self:
            trigger.date_field_id = fields_by_key.get((trigger.date_model, trigger.date_field), False)

    def _inverse_date_field_id(self):
        for trigger in self:
            trigger.date_field = trigger.date_field_id.name or False

    @api.constrains("event_type", "entity_type", "date_field", "date_offset_unit")
    def _check_date_settings(self):
        for trigger in self.filtered(lambda trigger: trigger.event_type == DATE_EVENT):
            for name in ("entity_type", "date_field", "date_offset_unit"):
                if not trigger[name]:
                    raise ValidationError(self.env._("%s: a Date reached trigger needs it.", name))
            problem = self._date_field_error(trigger.entity_type, trigger.date_field)
            if problem:
                raise ValidationError(self.env._("date_field: %s", problem))

    @api.model_create_multi
    def create(self, vals_list):
        triggers = super().create(vals_list)
        triggers._start_date_watch()
        return triggers

    def write(self, vals):
        result = super().write(vals)
        if DATE_SETTINGS & vals.keys():
            self._start_date_watch()
        return result

    @api.model
    def _cron_scan_dates(self):
        """Fire the date triggers whose values came due, then ask to be run again when the
        next value comes due before the next scheduled pass."""
        next_due = self._scan_dates()
        cron = self.env.ref("workflow_engine.ir_cron_workflow_trigger_scan_dates")
        if next_due and next_due < cron.nextcall:
            cron._trigger(at=next_due)

    @api.model
    def _scan_dates(self, now=None):
        """One pass of the date scan at ``now`` (naive UTC; by default the current time): fire
        every active date trigger for the values due by then that it has not fired, and start
        the runs of those whose conditions hold. Tests move time forward by passing ``now``.

        Returns the earliest moment after ``now`` at which a watched value comes due, or None.
        """
        now = now or fields.Datetime.now()
        trigger_rows = self._active_for(DATE_EVENT, "")
        if not trigger_rows:
            return None
        triggers = self.sudo().browse(row[0] for row in trigger_rows)
        triggers._flush_watched()
        mark = self._write_mark()
        next_due = []
        for trigger, (_trigger_id, workflow_id, company_id, _run_as_id, holds) in zip(
            triggers, trigger_rows, strict=True
        ):
            if not trigger.date_last_pass:
                # Activated by no write (an upgrade, SQL): it starts watching now.
                trigger._start_date_watch(now)
                continue
            low, high = trigger._window(trigger.date_last_pass, now)
            fired = trigger._insert_fires(trigger._due_rows(high, company_id, low, trigger.date_write_mark), now)
            if fired:
                trigger._fire(self.env["workflow.workflow"].sudo().browse(workflow_id), fired, holds)
            self.env.cr.execute(SQL(
                "UPDATE workflow_trigger SET date_last_pass = GREATEST(date_last_pass, %s), "
                "date_write_mark = GREATEST(date_write_mark, %s) WHERE id = %s",
                now, mark, trigger.id,
            ))
            upcoming = trigger._next_value(high, company_id)
            if upcoming is not None:
                next_due.append(due_at(upcoming, trigger.date_offset, trigger.date_offset_unit))
        triggers.invalidate_recordset(["date_last_pass", "date_write_mark"])
        return min(next_due, default=None)

    def _start_date_watch(self, now=None):
        """Make the active date triggers in ``self`` watch from ``now``: what is due by then
        counts as fired (no run), and the scan looks from then on."""
        triggers = self.sudo().filtered(
            lambda trigger: trigger.event_type == DATE_EVENT and trigger.active and trigger.workflow_id.active
        )
        if not triggers:
            return
        now = now or fields.Datetime.now()
        triggers._flush_watched()
        mark = self._write_mark()
        self.env.cr.execute(SQL("DELETE FROM workflow_trigger_fire WHERE trigger_id IN %s", tuple(triggers.ids)))
        for trigger in triggers:
            trigger._ensure_indexes()
            _low, high = trigger._window(now, now)
            trigger._insert_fires(trigger._due_rows(high, trigger.workflow_id.company_id.id), now, baseline=True)
        self.env.cr.execute(SQL(
            "UPDATE workflow_trigger SET date_last_pass = %s, date_write_mark = %s WHERE id IN %s",
            now, mark, tuple(triggers.ids),
        ))
        triggers.invalidate_recordset(["date_last_pass", "date_write_mark"])

    def _date_document(self):
        """The date keys of this trigger's definition document: null but for a date trigger."""
        self.ensure_one()
        if self.event_type != DATE_EVENT:
            return dict.fromkeys(DATE_TRIGGER_KEYS)
        return {name: self[name] if name == "date_offset" else self[name] or None for name in DATE_TRIGGER_KEYS}

    @api.model
    def _document_errors(self, triggers):
        """The errors of the ``triggers`` of a definition document that only the models know:
        a date field that is no date of its entity's model."""
        return [
            DefinitionError(problem, f"triggers[{index}].date_field").to_dict()
            for index, trigger in enumerate(triggers if isinstance(triggers, list) else [])
            if isinstance(trigger, dict) and trigger.get("event_type") == DATE_EVENT
            and isinstance(trigger.get("entity_type"), str) and isinstance(trigger.get("date_field"), str)
            for problem in [self._date_field_error(trigger["entity_type"], trigger["date_field"])] if problem
        ]

    @api.model
    def _date_field_error(self, entity_type, date_field):
        """Why a date trigger on ``entity_type`` cannot watch ``date_field``, or None."""
        model_name = ENTITY_MODELS.get(entity_type)
        if not model_name or not date_field:
            return None
        field = self.env[model_name]._fields.get(date_field)
        if not field or field.type not in ("date", "datetime"):
            return f"{date_field!r} is not a date or datetime field of {model_name}"
        if not (field.store and field.column_type) and date_field != ACTIVITY_DEADLINE:
            return f"{date_field!r} of {model_name} is computed when read, and no scan can find its values"
        return None

    def _flush_watched(self):
        """Write to the database what the scan's queries read."""
        for model_name in set(self.mapped("date_model")):
            self.env[model_name].flush_model()
        self.env["mail.activity"].flush_model(["res_model", "res_id", "date_deadline", "active"])
        self.env["workflow.trigger.fire"].flush_model()

    @api.model
    def _write_mark(self):
        """The database time from which a record written now or later has its write_date: the
        start of the oldest transaction still open (its writes, committed after this pass, bear
        that time), and at the latest this transaction's time, which the ORM writes."""
        self.env.cr.execute(
            "SELECT MIN(xact_start) AT TIME ZONE 'UTC' FROM pg_stat_activity WHERE datname = current_database()"
        )
        oldest = self.env.cr.fetchone()[0]
        return min(filter(None, [oldest, self.env.cr.now()]))

    def _window(self, last_pass, now):
        """The bounds of the values that come due after ``last_pass`` and by ``now`` (see
        engine.timing.scan_window), dates for a date field."""
        self.ensure_one()
        is_date = self.env[self.date_model]._fields[self.date_field].type == "date"
        return scan_window(last_pass, now, self.date_offset, self.date_offset_unit, dates=is_date)

    def _ensure_indexes(self):
        """Index the watched column and write_date: a pass costs two index ranges, not a scan
        of the table. The activity deadline is indexed by mail."""
        self.ensure_one()
        table = self.env[self.date_model]._table
        columns = {"write_date"} | ({self.date_field} if self.date_field != ACTIVITY_DEADLINE else set())
        for column in sorted(columns):
            create_index(self.env.cr, f"{table}_{column}_workflow_index", table, [f'"{column}"'])

    def _record_filter(self, company_id):
        """SQL of the conditions on a watched record ``r``: active, and in the workflow's
        company, if any, as workflow.trigger._dispatch matches events."""
        records = self.env[self.date_model]
        conditions = [SQL("TRUE")]
        if "active" in records._fields:
            conditions.append(SQL("r.active"))
        if company_id and "company_id" in records._fields:
            conditions.append(SQL("COALESCE(r.company_id, %s) = %s", self.env.company.id, company_id))
        return SQL(" AND ").join(conditions)

    def _due_rows(self, high, company_id, low=None, mark=None):
        """SQL of the ``(res_id, value)`` of the watched records whose value is due by
        ``high``: with ``low`` and ``mark``, those whose value is after ``low`` and those
        written since ``mark``; without, all of them."""
        self.ensure_one()
        table = SQL.identifier(self.env[self.date_model]._table)
        where = self._record_filter(company_id)
        if self.date_field == ACTIVITY_DEADLINE:
            candidates = SQL()
            if low is not None:
                candidates = SQL(
                    """ AND a.res_id IN (
                        SELECT res_id FROM mail_activity WHERE res_model = %(model)s AND active
                           AND (date_deadline > %(low)s AND date_deadline <= %(high)s OR write_date >= %(mark)s)
                        UNION SELECT id FROM %(table)s WHERE write_date >= %(mark)s)""",
                    model=self.date_model, low=low, high=high, mark=mark, table=table,
                )
            return SQL(
                """SELECT r.id, next.value FROM (
                       SELECT a.res_id, MIN(a.date_deadline) AS value FROM mail_activity a
                        WHERE a.res_model = %s AND a.active%s GROUP BY a.res_id
                   ) next JOIN %s r ON r.id = next.res_id
                   WHERE next.value <= %s AND %s""",
                self.date_model, candidates, table, high, where,
            )
        column = SQL.identifier("r", self.date_field)
        due = SQL("SELECT r.id, %s FROM %s r WHERE %s <= %s AND %s", column, table, column, high, where)
        if low is None:
            return due
        return SQL("%s AND %s > %s UNION %s AND r.write_date >= %s", due, column, low, due, mark)

    def _next_value(self, high, company_id):
        """The earliest watched value after ``high``: the next one to come due, or None."""
        self.ensure_one()
        if self.date_field == ACTIVITY_DEADLINE:
            # The earliest activity after it: a record's next deadline is never earlier.
            query = SQL(
                "SELECT MIN(date_deadline) FROM mail_activity WHERE res_model = %s AND active AND date_deadline > %s",
                self.date_model, high,
            )
        else:
            column = SQL.identifier("r", self.date_field)
            query = SQL(
                "SELECT MIN(%s) FROM %s r WHERE %s > %s AND %s",
                column, SQL.identifier(self.env[self.date_model]._table), column, high,
                self._record_filter(company_id),
            )
        self.env.cr.execute(query)
        return self.env.cr.fetchone()[0]

    def _insert_fires(self, rows, now, baseline=False):
        """Insert the fires of the ``(res_id, value)`` ``rows`` (SQL) that this trigger has not
        fired yet, and return them as ``[(fire id, res_id, value)]``: a fire another
        transaction inserts meanwhile is its own, left out here."""
        self.ensure_one()
        self.env.cr.execute(SQL(
            """INSERT INTO workflow_trigger_fire (trigger_id, res_id, date_value, fired_at)
               SELECT %s, due.id, due.value, %s FROM (%s) due (id, value)
               ON CONFLICT (trigger_id, res_id, date_value) DO NOTHING
               RETURNING id, res_id, date_value""",
            self.id, now, rows,
        # Two scans at once: the second waits for the first's fires, then fails to serialize and is
        # rolled back (the cron runs it again, finding them fired); not an error worth an ERROR line.
        ), log_exceptions=False)
        return [] if baseline else self.env.cr.fetchall()

    def _fire(self, workflow, fired, holds):
        """Start the runs of ``workflow`` for the ``fired`` records whose conditions hold now."""
        self.ensure_one()
        field_type = self.env[self.date_model]._fields[self.date_field].type
        records = self.env[self.date_model].sudo().with_context(active_test=False).browse(
            res_id for _fire_id, res_id, _value in fired
        )
        matches, fire_ids = [], {}
        for record, (fire_id, res_id, value) in zip(records, fired, strict=True):
            date_value = value.date() if field_type == "date" else value
            event_keys = {
                "entity_type": self.entity_type,
                "entity_id": res_id,
                "date_field": self.date_field,
                "date_value": jsondoc.iso(date_value),
                "due_at": jsondoc.iso(due_at(date_value, self.date_offset, self.date_offset_unit)),
            }
            acting_record = workflow._acting_records(record)
            if holds(build_context(acting_record, event_keys, acting_record.env.company, memoize=True)):
                matches.append((acting_record, event_keys))
                fire_ids[res_id] = fire_id
        if not matches:
            return
        runs = workflow.env["workflow.run"]._launch_runs(workflow, self, DATE_EVENT, matches)
        links = [(fire_ids[run.res_id], run.id) for run in runs if run.res_id in fire_ids]
        if links:
            self.env.cr.execute(SQL(
                "UPDATE workflow_trigger_fire fire SET run_id = link.run_id FROM (VALUES %s) link (id, run_id) "
                "WHERE fire.id = link.id",
                SQL(", ").join(SQL("(%s, %s)", fire_id, run_id) for fire_id, run_id in links),
            ))
