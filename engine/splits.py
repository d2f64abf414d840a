"""A/B splits: which variant a record takes, and whether one variant converts better.

A ``split`` action sends each record down one of its ``variants`` (names with integer
weights summing to 100). The choice hashes the workflow and the record, so a record runs
the same variant every time, without storing anything; over many records each variant
gets about its weight in percent.
"""

import hashlib
import math

from .exceptions import ConfigError

__all__ = [
    "MAX_STATISTICS_DAYS",
    "MIN_SAMPLE",
    "STATISTICS_DAYS",
    "TOTAL_WEIGHT",
    "check_variants",
    "choose_variant",
    "two_proportion_test",
    "variant_sentence",
]

TOTAL_WEIGHT = 100
STATISTICS_DAYS = 90
"""The default window of a split's statistics: the records that went through it in it."""
MAX_STATISTICS_DAYS = 36500
"""The longest window of a split's statistics (a century): any longer reaches before year 1."""
MIN_SAMPLE = 30
"""Runs a variant needs before it is compared: below it the normal approximation of the
z-test does not hold, and a p-value would mislead more than it tells."""
SMALLEST_P = 0.001
"""Below it a p-value is only said to be smaller: more digits tell nothing more."""


def check_variants(variants, path, rendered):
    """Raise ConfigError unless ``variants`` maps two or more non-empty names to integer
    weights from 0 summing to TOTAL_WEIGHT (the ``Key.check`` of the split's ``variants``)."""
    if len(variants) < 2:
        raise ConfigError("a split needs at least two variants", path)
    for name, weight in variants.items():
        if not isinstance(name, str) or not name.strip():
            raise ConfigError("variant names must not be empty", path)
        if not isinstance(weight, int) or weight.__class__ is bool or weight < 0:
            raise ConfigError(f"a weight is an integer from 0, got {weight!r}", f"{path}.{name}")
    total = sum(variants.values())
    if total != TOTAL_WEIGHT:
        raise ConfigError(f"the weights must sum to {TOTAL_WEIGHT}, not {total}", path)


def _bucket(workflow_id, record_key):
    digest = hashlib.sha256(f"{workflow_id}:{record_key}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % TOTAL_WEIGHT


def choose_variant(variants, workflow_id, record_key):
    """The variant of ``variants`` (valid as check_variants says) that the record
    ``record_key`` takes in the workflow ``workflow_id``: always the same one for the same
    three, each variant for about its weight in percent of the records.

    The variants are walked by sorted name, so that the order of a config's keys, which a
    save may change, changes no record's variant.
    """
    bucket = _bucket(workflow_id, record_key)
    threshold = 0
    for name in sorted(variants):
        threshold += variants[name]
        if bucket < threshold:
            return name
    raise ValueError(f"the weights must sum to {TOTAL_WEIGHT}, not {threshold}")


def two_proportion_test(successes_a, total_a, successes_b, total_b):
    """The two-sided p-value of the pooled two-proportion z-test of ``successes_a`` in
    ``total_a`` against ``successes_b`` in ``total_b``.

    None when there is not enough data: a total under MIN_SAMPLE, or a pooled proportion of
    0 or 1 (no success or no failure at all, so no variance to test against).
    """
    for successes, total in ((successes_a, total_a), (successes_b, total_b)):
        if not 0 <= successes <= total:
            raise ValueError(f"successes must be from 0 to the total, got {successes} of {total}")
    if min(total_a, total_b) < MIN_SAMPLE:
        return None
    pooled = (successes_a + successes_b) / (total_a + total_b)
    if pooled in (0, 1):
        return None
    standard_error = math.sqrt(pooled * (1 - pooled) * (1 / total_a + 1 / total_b))
    z = (successes_a / total_a - successes_b / total_b) / standard_error
    return math.erfc(abs(z) / math.sqrt(2))


def _percent(successes, total):
    return f"{round(100 * successes / total)} %"


def _p_text(p_value):
    return f"p < {SMALLEST_P}" if p_value < SMALLEST_P else f"p = {p_value:.2g}"


def variant_sentence(stats):
    """A sentence for people on how the variants of a split convert so far.

    ``stats`` maps each variant name to ``(successes, total)``. The best converting variant
    is compared with the next best, so that the sentence holds against every other variant:
    ``"B converts better than A: 21 % vs 15 %, p = 0.03"``; ``"not enough data yet"`` while
    two_proportion_test has no p-value for them.
    """
    ranked = sorted(
        ((successes / total if total else 0, name) for name, (successes, total) in stats.items()),
        reverse=True,
    )
    if len(ranked) < 2:
        return "not enough data yet"
    (best_rate, best), (next_rate, runner_up) = ranked[:2]
    p_value = two_proportion_test(*stats[best], *stats[runner_up])
    if p_value is None:
        return "not enough data yet"
    rates = f"{_percent(*stats[best])} vs {_percent(*stats[runner_up])}, {_p_text(p_value)}"
    if best_rate == next_rate:
        return f"{runner_up} and {best} convert alike: {rates}"
    return f"{best} converts better than {runner_up}: {rates}"
