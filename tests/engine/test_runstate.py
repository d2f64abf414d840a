import pytest

from engine import runstate
from engine.runstate import FAILED, PARTIAL, SUCCESS, after_action, retry_delay, settled


@pytest.mark.parametrize(("run_state", "action_state", "allow_failure", "expected"), [
    (SUCCESS, SUCCESS, False, (SUCCESS, False)),
    (SUCCESS, SUCCESS, True, (SUCCESS, False)),
    (PARTIAL, SUCCESS, False, (PARTIAL, False)),
    (SUCCESS, FAILED, True, (PARTIAL, False)),
    (PARTIAL, FAILED, True, (PARTIAL, False)),
    (SUCCESS, FAILED, False, (FAILED, True)),
    (PARTIAL, FAILED, False, (FAILED, True)),
])
def test_an_action_outcome_decides_the_run_state_and_whether_it_stops(run_state, action_state, allow_failure, expected):
    assert after_action(run_state, action_state, allow_failure) == expected


def test_a_resumed_run_keeps_its_successes_and_allowed_failures():
    assert settled(SUCCESS, False)
    assert settled(SUCCESS, True)
    assert settled(FAILED, True)
    assert not settled(FAILED, False)
    assert not settled("skipped", False)
    assert not settled("skipped", True)


def test_a_temporary_failure_waits_twice_as_long_at_each_retry():
    assert [retry_delay(True, count, 3, 60) for count in range(4)] == [60, 120, 240, None]


def test_a_permanent_failure_or_no_retry_left_fails_for_good():
    assert retry_delay(False, 0, 3, 60) is None
    assert retry_delay(True, 0, 0, 60) is None


def test_every_run_state_is_active_or_final():
    assert runstate.ACTIVE_STATES == ("pending", "running", "waiting")
    assert runstate.FINAL_STATES == ("success", "partial", "failed", "skipped", "exited", "cancelled")
    assert not set(runstate.ACTIVE_STATES) & set(runstate.FINAL_STATES)
