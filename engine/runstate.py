"""The state machine of a run, apart from the ORM: which state a run is in after each of its
actions' outcomes, which logged actions a resumed run does not run again, and whether a run
stopped by a failure waits for another attempt, and how long."""

PENDING = "pending"
RUNNING = "running"
WAITING = "waiting"
"""Stopped at a wait action until its resume time; its state so far is not kept, since a
resumed run works it out again from its logged actions, as after a retry."""
SUCCESS = "success"
PARTIAL = "partial"
FAILED = "failed"
SKIPPED = "skipped"
EXITED = "exited"
"""Stopped by one of the workflow's exit conditions becoming true."""
CANCELLED = "cancelled"
"""Stopped by somebody before it ended."""

ACTIVE_STATES = (PENDING, RUNNING, WAITING)
"""A run in one of these has not ended: with ``single_active_run``, an event for its record
starts no other run of its workflow."""
FINAL_STATES = (SUCCESS, PARTIAL, FAILED, SKIPPED, EXITED, CANCELLED)
"""A run in one of these has ended, and stays so."""

RUN_STATES = [
    (PENDING, "Pending"),
    (RUNNING, "Running"),
    (WAITING, "Waiting"),
    (SUCCESS, "Success"),
    (PARTIAL, "Partial"),
    (FAILED, "Failed"),
    (SKIPPED, "Skipped"),
    (EXITED, "Exited"),
    (CANCELLED, "Cancelled"),
]
"""Every state of a run with its label: workflow.run's selection, the REST API's filter."""


def after_action(run_state, action_state, allow_failure):
    """The run's state after an action that ended in ``action_state``, and whether the run
    stops there: a failure the action allows makes the run partial and goes on; any other
    failure stops it, failed (unless it is retried: see ``retry_delay``)."""
    if action_state != FAILED:
        return run_state, False
    if allow_failure:
        return PARTIAL, False
    return FAILED, True


def settled(action_state, allow_failure):
    """Whether an action logged in an earlier attempt stays done when its run resumes: it
    succeeded, or failed while allowed to. Only the others run again."""
    return action_state == SUCCESS or (action_state == FAILED and allow_failure)


def retry_delay(retryable, retry_count, max_retries, base_delay_seconds):
    """Seconds before the next attempt of a run that a failed action stopped, or None when the
    run fails for good: the failure is not temporary, or no retry is left. The delay doubles
    with each retry (exponential backoff)."""
    if not retryable or retry_count >= max_retries:
        return None
    return base_delay_seconds * 2**retry_count
