"""How a run executes: its actions in order, each action's outcome logged as an action run, and
the run's state decided from them; immediately (in the transaction of the event) or queued
(claimed runs, committing after every action)."""

import contextlib
import logging
import time
import traceback
import uuid
from datetime import datetime

from odoo import api, fields, models
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY
from odoo.tools import SQL

from ..engine import conditions as dsl
from ..engine import jsondoc, runstate, steps
from ..engine.abbreviation import abbreviate
from ..engine.exceptions import ActionError, SubWorkflowDeleted, WorkflowError
from ..exceptions import RunCapabilityError
from .record_context import build_context
from .workflow_action import BATCHED_TYPES, SUB_WORKFLOW_FAILED_STATES
from .workflow_run import RUN_LOGGER

_logger = logging.getLogger(RUN_LOGGER)

TRANSACTIONAL_TYPES = frozenset({"update_field", "add_note", "send_email", "create_task", "send_notification"})
"""Action types whose every effect stays in the transaction (rows written, mails and notifications
queued in it): immediate runs made of them alone run in one pass first (see _execute_immediate)."""
ONE_PASS_CONTEXT = "workflow_one_pass"
"""Context key of the records acted on in a one-pass run loop (see _execute_immediate)."""


class OnePassAborted(BaseException):
    """Raised, in a one-pass run loop, before an action whose effect would leave the transaction
    (a webhook called by a run that one of the pass's actions started): the pass is rolled back
    before anything left it. A BaseException, so that no handler of failures logs it as one."""


class OnePass:
    """The actions of a one-pass run loop: no savepoint of their own, and a failure is not
    logged but ends the pass (see _execute_immediate)."""

    isolates_failures = False

    @contextlib.contextmanager
    def action(self):
        yield

    def close(self):
        pass


class ActionSavepoints:
    """The savepoints of the actions of one immediate run loop: each action runs in a savepoint
    of its own, as in ``cr.savepoint()`` (flushed on entry and on exit, a failure rolls back to
    it and clears the cache), but the savepoint of an action that succeeded is released with
    the statement that opens the next one, and the last at ``close``: one statement per
    action instead of two. Nor is the next one's entry flushed again: the run loop writes
    nothing between two actions, and the exit of the one before has just flushed."""

    isolates_failures = True

    def __init__(self, cr):
        self.cr = cr
        self.kept = None

    @contextlib.contextmanager
    def action(self):
        cr = self.cr
        release, self.kept = self.kept, None
        name = str(uuid.uuid1())
        if release:
            cr.execute(SQL("RELEASE SAVEPOINT %s; SAVEPOINT %s", SQL.identifier(release), SQL.identifier(name)))
        else:
            cr.flush()
            cr.execute(SQL("SAVEPOINT %s", SQL.identifier(name)))
        try:
            yield
            cr.flush()
        except BaseException:
            cr.clear()
            savepoint = SQL.identifier(name)
            cr.execute(SQL("ROLLBACK TO SAVEPOINT %s; RELEASE SAVEPOINT %s", savepoint, savepoint))
            raise
        self.kept = name

    def close(self):
        if self.kept:
            release, self.kept = self.kept, None
            self.cr.execute(SQL("RELEASE SAVEPOINT %s", SQL.identifier(release)))


def _sub_workflow_failure(action, output):
    """Why the run_workflow ``action`` failed, its child's run having ended as ``output`` says
    (failed or cancelled), or None."""
    if action.action_type != "run_workflow" or not isinstance(output, dict):
        return None
    if output.get("state") in SUB_WORKFLOW_FAILED_STATES:
        return f"the sub-workflow's run {output.get('uuid')} ended {output['state']}"
    return None


def _waits_for_its_child(action, log):
    """Whether the run_workflow action logged as ``log`` leaves its run waiting for its child."""
    return (
        action.action_type == "run_workflow" and log["state"] == "success"
        and (log.get("input") or {}).get("wait") is True
        and (log.get("output") or {}).get("state") in runstate.ACTIVE_STATES
    )


def _stored_explanation(explanation):
    # Stored abbreviated (engine.abbreviation), as the trigger's explanation is.
    return abbreviate(dict(explanation.to_dict(), summary=explanation.summary()))


class WorkflowRun(models.Model):
    _inherit = "workflow.run"

    def unlink(self):
        # A parent waiting for one of these runs (retention, an Administrator) would wait for
        # ever: its run_workflow action fails, as a child that failed fails it.
        awaited = self.filtered("parent_run_id").parent_run_id._awaited_logs()
        lost = {log: self.browse(child_id) for child_id, log in awaited.items()
                if child_id in self.ids and log.run_id not in self}
        errors = {log: SubWorkflowDeleted(f"the sub-workflow's run {child.uuid} was deleted before it ended")
                  for log, child in lost.items()}
        result = super().unlink()
        self._settle_awaited_logs({
            log: {"state": "failed", "error": str(error), "error_code": error.code} for log, error in errors.items()
        })
        return result

    def _execute(self, record, context):
        """Run the workflow's actions in order on this running run's ``record`` (immediate
        mode), and log the run with one action run per action (those after a stopping failure
        skipped): see _run_actions.

        ``record`` and ``context`` are in the run-as user's environment; ``self`` is
        the engine's own bookkeeping and is written with superuser rights.
        """
        self.ensure_one()
        return self._execute_immediate({self: record}, {self: context})

    def _execute_immediate(self, records, contexts):
        """Run these running runs of one event now, one after the other in their order, each on
        its record of ``records`` with its context of ``contexts`` (see _execute): one run loop
        for all of them, whose action runs are written together and whose ends are written with
        one UPDATE.

        Runs whose actions are all transactional (TRANSACTIONAL_TYPES) first run in one pass: in
        one savepoint for all their actions instead of one savepoint and one flush per action.
        Should any action fail, or a run they start be about to call out (OnePassAborted), the
        pass is rolled back and the runs run again, each action in its savepoint, which logs
        each failure on its own action and keeps what the others did."""
        refused = self.browse(run.id for run in self if run._refuse_lost_capabilities())
        runs = self - refused
        if not runs:
            return self
        records = {run: records[run].with_context(workflow_depth=run.depth + 1) for run in runs}
        in_a_pass = any(record.env.context.get(ONE_PASS_CONTEXT) for record in records.values())
        if not in_a_pass and runs._transactional():
            try:
                with self.env.cr.savepoint():
                    runs._run_actions(
                        {run: record.with_context(**{ONE_PASS_CONTEXT: True}) for run, record in records.items()},
                        dict(contexts), queued=False, savepoints=OnePass(),
                    )
                return self
            except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY:
                raise
            except (Exception, OnePassAborted) as exc:  # noqa: BLE001 - run again, action by action
                _logger.debug("workflow runs %s: run again action by action: %r", runs.ids, exc)
        runs._run_actions(records, contexts, queued=False)
        return self

    def _transactional(self):
        return all(
            action.action_type in TRANSACTIONAL_TYPES for action in self.workflow_id.action_ids
        )

    def _execute_action(self, action, record, context, run_values=None, own_transaction=False, savepoints=None):
        """Run one action and return its action run's values (``run_values``: this run's part
        of them, when the caller has them at hand).

        The action runs in a savepoint (one of ``savepoints``, an ActionSavepoints, when the
        run loop gives them), so that its failure undoes what it did and nothing else; with
        ``own_transaction`` (a queued run's action, alone in a transaction that holds nothing
        else to keep), a failure rolls the transaction back instead.
        """
        if action.action_type not in TRANSACTIONAL_TYPES and record.env.context.get(ONE_PASS_CONTEXT):
            raise OnePassAborted(f"action {action.id} ({action.action_type}) of run {self.uuid}")
        vals = self._action_run_vals(action, run_values)
        start = time.perf_counter()
        rendered, secrets = None, []
        try:
            if own_transaction:
                savepoint = contextlib.nullcontext()
            else:
                savepoint = savepoints.action() if savepoints else record.env.cr.savepoint()
            if action.action_type == "run_workflow":
                # The sub-workflow's run is this run's child.
                record = record.with_context(workflow_parent_run_id=self.id)
            with savepoint:
                rendered, secrets = action._render_input(self, context)
                vals["output"] = action.with_env(record.env)._execute(record, rendered)
            vals["state"] = "success"
            failure = _sub_workflow_failure(action, vals["output"])
            if failure:
                # Not raised: what the child did and logged stays, the action fails.
                vals.update(state="failed", error=failure, error_code="sub_workflow_failed")
        except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY:
            raise
        except Exception as exc:  # noqa: BLE001 - every failure is logged on the run
            if not (own_transaction or savepoints is None or savepoints.isolates_failures):
                raise  # a one-pass run loop ends (see _execute_immediate)
            if record.env.cr.closed:
                raise  # the database connection is lost: no action failed, the worker did
            if own_transaction:
                record.env.cr.rollback()
            error = exc if isinstance(exc, WorkflowError) else ActionError(str(exc))
            _logger.info("workflow run %s: action %s failed: %s", self.uuid, action.id, error)
            vals.update(
                state="failed", error=str(error), error_code=error.code, traceback=traceback.format_exc(),
                output=getattr(error, "output", None), retryable=getattr(error, "retryable", False),
            )
        vals["duration_ms"] = (time.perf_counter() - start) * 1000
        return self._masked_action_run_vals(vals, rendered, secrets)

    @api.model
    def _masked_action_run_vals(self, vals, rendered, secrets):
        vals["input"] = rendered
        for key in ("input", "output", "error", "traceback"):
            vals[key] = jsondoc.mask(vals.get(key), secrets)
        # Stored abbreviated (engine.abbreviation): the action worked on whole values. The
        # traceback, for Administrators, stays whole.
        for key in ("input", "output", "error"):
            vals[key] = abbreviate(jsondoc.plain(vals[key]))
        return vals

    def _action_run_defaults(self):
        return {"run_id": self.id, "attempt": self.attempt, "company_id": self.company_id.id}

    def _action_run_vals(self, action, run_values=None, **values):
        return {
            **(run_values or self._action_run_defaults()), "action_id": action.id, "name": action.name,
            "action_type": action.action_type, "ordering": action.ordering, **values,
        }

    def _execute_queued(self):
        """Run the actions of these claimed runs that have not settled yet (see _run_actions),
        once their records are found, committing the outcome of each action as it ends.

        The runs share a workflow, run-as user, company and depth. Each action runs for all
        of them in turn, as one batch where its type allows (one write, one batch of notes:
        see workflow.action._execute_many), and one commit keeps every run's outcome of it.
        """
        runs = self.filtered(lambda run: run.state == "running")
        if not runs or runs._refuse_lost_capabilities():
            return
        if runs[0].res_model and runs[0].res_model not in self.env:
            # Another model may have records with the same ids: the run acts on its own or on none.
            runs._finish("failed", error_code="model_not_installed", error=self.env._(
                "The model %s of the run's record is not installed (any more).", runs[0].res_model
            ))
            return
        records, missing = runs._records_to_act_on()
        if missing:
            for run in missing:
                run._finish("failed", error=self.env._(
                    "%(model)s record %(id)s no longer exists.", model=run.res_model, id=run.res_id
                ))
            # Kept now: a failed action alone in its transaction rolls it back (see _execute_step).
            self.env.cr.commit()  # pylint: disable=invalid-commit
            runs -= missing
            if not runs:
                return
        company = records[runs[0]].env.company
        contexts = {run: build_context(records[run], run.payload or {}, company) for run in runs}
        for run, record in records.items():
            records[run] = record.with_context(workflow_depth=run.depth + 1)
        runs._run_actions(records, contexts, queued=True)

    def _run_actions(self, records, contexts, queued, savepoints=None):
        """The run loop of both modes: run the actions of these running runs that have not
        settled yet, in ordering, each run on its record of ``records`` with its context of
        ``contexts``; log each action's outcome and end each run in the state the outcomes
        decide (engine.runstate).

        The modes differ only in what a step commits and in how the runs take turns.
        Immediate (the runs of one event, in its transaction): each run runs all its actions
        before the next one starts, each action in a savepoint; the action runs of all the runs
        are written together, and the runs' ends with them, once the last action ended. Queued
        (the runs of one workflow claimed together, on a cursor they own): each action runs for
        all the runs at once, and its outcome is committed as it ends, so that a crash later
        keeps what was done and logged; a run stopped by a temporary failure waits in the queue
        for another attempt.
        """
        settled, states = self._settled_actions()
        self._put_step_results(contexts)
        # Read before the first commit, which empties the transaction's cache.
        run_values = {run: run._action_run_defaults() for run in self}
        durations = {run: run.duration_ms or 0 for run in self}
        actions_of = {run: run.workflow_id.action_ids for run in self}
        if queued:
            # The runs share their workflow: each step is one action for all of them.
            steps = [(action, self) for action in actions_of[self[:1]]] if self else []
        else:
            steps = [(action, run) for run in self for action in actions_of[run]]
        starts, ends = {}, {}
        # Immediate mode: the actions' savepoints (a queued step commits, which ends them), or
        # the one pass of _execute_immediate.
        if not queued and savepoints is None:
            savepoints = ActionSavepoints(self.env.cr)
        # Immediate mode: the action runs, and the runs' ends, written after the last action.
        kept = []
        ended = {}
        runs = self
        stepped = False

        def end_early(run, state, values):
            # Queued: at once, logged with the actions it skips. Immediate: with the other runs.
            nonlocal kept
            if queued:
                self.env["workflow.action.run"]._insert(kept)
                kept = []
                run._finish(state, **values)
            else:
                ended[run] = (state, values)

        for action, step_runs in steps:
            step = (step_runs & runs).filtered(lambda run, action=action: action.id not in settled[run])
            if not step:
                continue
            if queued:
                if stepped:
                    # The runs own this cursor (see _execute_claimed_group): the outcome of each action
                    # is kept as it ends; the last one's is kept with the end of the runs.
                    self.env.cr.commit()  # pylint: disable=invalid-commit
                step._heartbeat(durations)
            stepped = True
            for run, explanation in step._exit_explanations(records, contexts).items():
                step -= run
                runs -= run
                actions = actions_of[run]
                kept.extend(run._skipped_action_runs(actions[list(actions).index(action):], settled[run]))
                end_early(run, "exited", {"exit_explanation": explanation})
            if not step:
                continue
            for run in step:
                starts.setdefault(run, time.perf_counter())
            logs = step._execute_step_if(
                action, records, contexts, run_values, own_transaction=queued and len(step) == 1, savepoints=savepoints
            )
            for run in step:
                ends[run] = time.perf_counter()
            if queued:
                if len(step) == 1 and logs[step]["state"] == "failed":
                    # The failure rolled the transaction back, and the heartbeat's lock with it.
                    step._heartbeat(durations)
                self.env["workflow.action.run"]._insert(list(logs.values()))
            else:
                kept.extend(logs.values())
            for run, log in logs.items():
                durations[run] += log["duration_ms"]
                if action.action_type == "wait" and log["state"] == "success":
                    runs -= run
                    run._wait(log, durations[run])
                    continue
                if _waits_for_its_child(action, log):
                    runs -= run
                    run._wait_for_child(log, durations[run])
                    continue
                states[run], stops = runstate.after_action(states[run], log["state"], action.allow_failure)
                if not stops:
                    continue
                runs -= run
                if queued and run._retry_later(log):
                    continue
                actions = actions_of[run]
                kept.extend(run._skipped_action_runs(actions[list(actions).index(action) + 1:], settled[run]))
                end_early(run, "failed", {"error": f"{log['name']}: {log['error']}", "error_code": log["error_code"]})
        if queued:
            if runs:
                runs._heartbeat(durations)
                for state, finished in runs.grouped(states.get).items():
                    finished._finish(state)
            return
        savepoints.close()
        for run in runs:
            ended[run] = (states[run], {})
        self.env["workflow.action.run"]._insert(kept)
        # One UPDATE for all (the flush writes runs that change the same fields together).
        for run in self:
            if run in ended:
                state, failure = ended[run]
                run._finish(state, duration_ms=(ends.get(run, 0) - starts.get(run, 0)) * 1000, **failure)

    def _skipped_action_runs(self, actions, settled):
        """The action runs that log ``actions`` (but those ``settled`` before) as skipped: the run
        ended before them."""
        return [self._action_run_vals(action, state="skipped") for action in actions if action.id not in settled]

    def _exit_explanations(self, records, contexts=None):
        """The explanation of the workflow's exit conditions, by run, for those of these runs
        that waited and whose exit conditions hold now, evaluated on their record of ``records``
        as it is at this moment and the outputs of the earlier steps in ``contexts``."""
        conditions = self.workflow_id[:1].exit_conditions
        if not conditions:
            return {}
        explanations = {}
        for run in self.filtered("resume_at"):
            record = records[run]
            context = build_context(record, run.payload or {}, record.env.company)
            context[steps.STEPS_NAME] = (contexts or {}).get(run, {}).get(steps.STEPS_NAME, {})
            explanation = dsl.explain(conditions, context)
            if explanation.result:
                explanations[run] = _stored_explanation(explanation)
        return explanations

    def _put_step_results(self, contexts):
        """Put in each of these runs' context of ``contexts`` the ``steps`` that its earlier
        attempts or the part before its wait settled, as their action runs logged them (their
        output as it is stored: masked and abbreviated, as the steps of this attempt are)."""
        results = {run: [] for run in self}
        for log in self.filtered(lambda run: run.attempt > 1 or run.resume_at).action_run_ids.sorted("id"):
            if log.action_id.key and (runstate.settled(log.state, log.action_id.allow_failure) or log.explanation):
                results[log.run_id].append((log.action_id.key, log.state, log.output))
        for run in self:
            # A context of its own: the immediate runs of one event share their record's context.
            contexts[run] = contexts[run].new_child({steps.STEPS_NAME: steps.step_context(results[run])})

    def _execute_step_if(self, action, records, contexts, run_values, own_transaction=False, savepoints=None):
        """Run ``action`` as _execute_step does for those of these runs whose context of
        ``contexts`` meets its conditions now, log it skipped with why for the others, and
        put each run's outcome in its context's ``steps`` when the action has a key."""
        logs = self._skip_unmet_conditions(action, contexts, run_values)
        meeting = self.filtered(lambda run: run not in logs)
        if meeting:
            logs.update(meeting._execute_step(
                action, records, contexts, run_values, own_transaction=own_transaction, savepoints=savepoints
            ))
        if action.key:
            for run, log in logs.items():
                step_result = steps.step_context([(action.key, log["state"], log.get("output"))])
                contexts[run][steps.STEPS_NAME] = {**contexts[run].get(steps.STEPS_NAME, {}), **step_result}
        return logs

    def _skip_unmet_conditions(self, action, contexts, run_values):
        """The skipped action runs of ``action``, by run, of those of these runs whose context
        of ``contexts`` (the record as the earlier actions left it, the earlier steps' outputs)
        does not meet the action's conditions, each with the explanation why."""
        if not action.conditions:
            return {}
        skipped = {}
        for run in self:
            explanation = dsl.explain(action.conditions, contexts[run])
            if not explanation.result:
                skipped[run] = run._action_run_vals(
                    action, run_values[run], state="skipped", duration_ms=0.0,
                    explanation=_stored_explanation(explanation),
                )
        return skipped

    def _wait(self, log, duration_ms):
        """Stop this run at the wait action of ``log`` until the moment in its output, when the
        queue resumes it at its next action."""
        moment = datetime.fromisoformat(log["output"]["resume_at"])
        self.write({
            "state": "waiting", "resume_at": moment, "next_attempt_at": moment, "claimed_at": False,
            "duration_ms": duration_ms,
            "wait_reason": self.env._("%(action)s: waiting until %(until)s UTC.", action=log["name"], until=moment),
        })
        self._wake_queue()

    def _wait_for_child(self, log, duration_ms):
        """Stop this run at the run_workflow action of ``log`` until the sub-workflow's run it
        started ends: waiting without a moment to resume (``next_attempt_at`` empty), which the
        queue never claims; the child's end makes it due (see _resume_waiting_parents)."""
        self.write({
            "state": "waiting", "next_attempt_at": False, "claimed_at": False, "duration_ms": duration_ms,
            "wait_reason": self.env._(
                "%(action)s: waiting for the sub-workflow's run %(child)s to end.",
                action=log["name"], child=log["output"].get("uuid"),
            ),
        })

    def _sub_workflow_output(self, with_steps=False):
        """The output of the run_workflow action that started this run: its ``run_id``, ``uuid``
        and ``state``; ``with_steps``, once it ended, ``steps`` too: its steps' state and output
        by key, as its own later actions read them (engine.steps.step_context)."""
        self.ensure_one()
        output = {"run_id": self.id, "uuid": self.uuid, "state": self.state}
        if with_steps and self.state in runstate.FINAL_STATES:
            logs = self.env["workflow.action.run"].sudo().search([("run_id", "=", self.id)], order="id")
            output["steps"] = steps.step_context(
                [(log.action_id.key, log.state, log.output) for log in logs if log.action_id.key]
            )
        return output

    def _awaited_logs(self):
        """The run_workflow action runs at which these runs wait for their child (see
        _wait_for_child), by the child's run id."""
        parents = self.filtered(lambda run: run.state == "waiting" and not run.next_attempt_at)
        if not parents:
            return {}
        logs = self.env["workflow.action.run"].sudo().search([
            ("run_id", "in", parents.ids), ("action_type", "=", "run_workflow"), ("state", "=", "success"),
        ])
        awaited = {}
        for log in logs:
            output = log.output if isinstance(log.output, dict) else {}
            if output.get("run_id") and output.get("state") in runstate.ACTIVE_STATES:
                awaited[output["run_id"]] = log
        return awaited

    def _awaited_children(self):
        """The runs, still active, that these runs wait for (run_workflow with ``wait``)."""
        return self.browse(list(self._awaited_logs())).exists()

    def _resume_waiting_parents(self):
        """Once these runs ended, make due the parent runs waiting for them (see _wait_for_child):
        the run_workflow action that waits gets the child's state and steps as its output, or
        fails with the child (a failure not allowed ends the parent as failed at once)."""
        awaited = self.filtered("parent_run_id").parent_run_id._awaited_logs()
        outcomes = {}
        for child in self.filtered(lambda run: run.id in awaited and run.state in runstate.FINAL_STATES):
            log = awaited[child.id]
            output = child._sub_workflow_output(with_steps=True)
            failure = _sub_workflow_failure(log.action_id, output)
            values = {"output": abbreviate(jsondoc.plain(output))}
            if failure:
                values.update(state="failed", error=failure, error_code="sub_workflow_failed")
            outcomes[log] = values
        self._settle_awaited_logs(outcomes)

    def _settle_awaited_logs(self, outcomes):
        """Write the values of ``outcomes`` (by run_workflow action run whose run waits for its
        child) on each action run, and make its run due, or end it as failed when the action
        failed and may not."""
        due = self.sudo().browse()
        for log, values in outcomes.items():
            log.write(values)
            parent = log.run_id
            if log.state == "failed" and not log.action_id.allow_failure:
                actions = parent.workflow_id.action_ids
                logged = set(parent.action_run_ids.action_id.ids)
                later = actions[list(actions).index(log.action_id) + 1:]
                self.env["workflow.action.run"]._insert(parent._skipped_action_runs(later, logged))
                parent._finish("failed", error=f"{log.name}: {log.error}", error_code=log.error_code)
            else:
                due |= parent
        if due:
            now = fields.Datetime.now()
            due.write({"next_attempt_at": now, "resume_at": now, "wait_reason": False})
            due._wake_queue()

    def _records_to_act_on(self):
        """The record of each of these runs (of one model), as their run-as user sees it in
        their company, by run; and the runs whose record no longer exists."""
        workflow = self.workflow_id
        model = self[:1].res_model
        # A run without a record (a custom event's payload alone) still needs an environment to
        # act in; a run's model that is not installed is refused before (see _execute_queued).
        records = self.env[model or "res.partner"].browse(
            self.filtered("res_id").mapped("res_id") if model else ()
        ).exists()
        records = workflow._acting_records(records, user=self[:1].user_id, company=self[:1].company_id)
        by_id = {record.id: record for record in records}
        acting = {run: by_id.get(run.res_id, records.browse()) for run in self}
        missing = self.filtered(lambda run: run.res_model and not acting[run])
        return acting, missing

    def _settled_actions(self):
        """The ids of the actions of each of these runs that settled in an earlier attempt (they
        succeeded, or failed while allowed to), by run; and each run's state so far."""
        settled = {run: set() for run in self}
        states = dict.fromkeys(self, "success")
        # Only a run tried again, or resumed after a wait, has actions that settled before.
        for log in self.filtered(lambda run: run.attempt > 1 or run.resume_at).action_run_ids:
            # An action skipped because its conditions did not hold was decided: it stays skipped.
            if runstate.settled(log.state, log.action_id.allow_failure) or log.explanation:
                settled[log.run_id].add(log.action_id.id)
                states[log.run_id], _stops = runstate.after_action(
                    states[log.run_id], log.state, log.action_id.allow_failure
                )
        return settled, states

    def _execute_step(self, action, records, contexts, run_values, own_transaction=False, savepoints=None):
        """Run ``action`` for each of these runs, on its record of ``records`` with its context
        of ``contexts``, and return each run's action run values.

        Where the action allows, the runs' rendered configs run as one batch, in a savepoint;
        should the batch fail, each run runs the action alone, so that a failure is logged on
        its own run and undoes nothing of the others. ``own_transaction``, ``savepoints``: see
        _execute_action.
        """
        if len(self) == 1 or action.action_type not in BATCHED_TYPES or not self[0].res_model:
            return {
                run: run._execute_action(action, records[run], contexts[run], run_values[run],
                                         own_transaction=own_transaction, savepoints=savepoints)
                for run in self
            }
        start = time.perf_counter()
        targets = records[self[0]].browse([records[run].id for run in self])
        rendered = outputs = None
        try:
            rendered = [action._render_input(run, contexts[run]) for run in self]
            configs = [config for config, _secrets in rendered]
            if action._can_execute_many(targets, configs):
                with self.env.cr.savepoint():
                    outputs = action.with_env(targets.env)._execute_many(targets, configs)
        except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY:
            raise
        except Exception as exc:  # noqa: BLE001 - each run tries alone and logs its own failure
            _logger.info(
                "workflow action %s failed as a batch of %s runs; each tries alone: %s", action.id, len(self), exc
            )
        if outputs is None:
            return {
                run: run._execute_action(action, records[run], contexts[run], run_values[run]) for run in self
            }
        duration_ms = (time.perf_counter() - start) * 1000 / len(self)
        return {
            run: self._masked_action_run_vals(
                run._action_run_vals(action, run_values[run], state="success", output=output, duration_ms=duration_ms),
                config, secrets,
            )
            for run, (config, secrets), output in zip(self, rendered, outputs, strict=True)
        }

    def _refuse_lost_capabilities(self):
        """Fail this run, saying why, when its run-as user may no longer run the workflow:
        nobody's lost rights are used."""
        try:
            self.workflow_id._check_run_capabilities()
        except RunCapabilityError as exc:
            self._finish("failed", error=str(exc), error_code=exc.code)
            return True
        return False

    def _finish(self, state, error=False, error_code=False, **values):
        self.write({
            "state": state,
            "finished_at": fields.Datetime.now(),
            "next_attempt_at": False,
            "error": error,
            "error_code": error_code,
            **values,
        })
        # One look-up for all: the runs that no run_workflow action started have no parent.
        self._resume_waiting_parents()
