import math
from collections import Counter

import pytest

from engine.actions import ACTION_TYPES, validate_config
from engine.exceptions import ConfigError
from engine.splits import MIN_SAMPLE, choose_variant, two_proportion_test, variant_sentence


def split_error(variants):
    with pytest.raises(ConfigError) as raised:
        validate_config("split", {"variants": variants})
    return str(raised.value)


def test_a_split_is_labelled_and_needs_its_variants():
    assert ACTION_TYPES["split"].label == "A/B Split"
    validate_config("split", {"variants": {"A": 20, "B": 30, "C": 50}})
    validate_config("split", {"variants": {"control": 100, "treatment": 0}})
    with pytest.raises(ConfigError, match="missing required key 'variants'"):
        validate_config("split", {})


@pytest.mark.parametrize(("variants", "message"), [
    ({"A": 50, "B": "50"}, "config.variants.B: a weight is an integer from 0, got '50'"),
    ({"A": 50, "B": 50.0}, "config.variants.B: a weight is an integer from 0, got 50.0"),
    ({"A": True, "B": 99}, "config.variants.A: a weight is an integer from 0, got True"),
    ({"A": 110, "B": -10}, "config.variants.B: a weight is an integer from 0, got -10"),
    ({"A": 50, "B": 49}, "config.variants: the weights must sum to 100, not 99"),
    ({"A": 50, "B": 51}, "config.variants: the weights must sum to 100, not 101"),
    ({"A": 50, " ": 50}, "config.variants: variant names must not be empty"),
    ({"A": 100}, "config.variants: a split needs at least two variants"),
    ({}, "config.variants: a split needs at least two variants"),
    ([50, 50], "config.variants: must be an object, got list"),
])  # fmt: skip
def test_bad_variants_are_refused_with_their_path(variants, message):
    assert split_error(variants) == message


def test_a_record_always_gets_the_same_variant():
    variants = {"A": 50, "B": 50}
    chosen = [choose_variant(variants, 7, f"crm.lead,{index}") for index in range(200)]
    assert chosen == [choose_variant(variants, 7, f"crm.lead,{index}") for index in range(200)]
    # The order of the config's keys is no part of the choice.
    assert chosen == [choose_variant({"B": 50, "A": 50}, 7, f"crm.lead,{index}") for index in range(200)]


def test_the_workflow_is_part_of_the_choice():
    variants = {"A": 50, "B": 50}
    first = [choose_variant(variants, 1, index) for index in range(200)]
    second = [choose_variant(variants, 2, index) for index in range(200)]
    assert first != second


@pytest.mark.parametrize("variants", [{"A": 50, "B": 50}, {"A": 20, "B": 30, "C": 50}, {"x": 1, "y": 99}])
def test_records_split_about_by_the_weights(variants):
    counts = Counter(choose_variant(variants, 3, index) for index in range(1000))
    for name, weight in variants.items():
        assert abs(counts[name] - 10 * weight) <= 50, counts


def test_a_variant_of_weight_zero_is_never_chosen():
    variants = {"A": 0, "B": 100, "C": 0}
    assert {choose_variant(variants, 1, index) for index in range(500)} == {"B"}


def test_weights_that_do_not_sum_to_100_cannot_choose():
    with pytest.raises(ValueError, match="sum to 100"):
        for index in range(100):
            choose_variant({"A": 1, "B": 1}, 1, index)


def test_the_z_test_matches_the_formula_and_a_known_value():
    pooled = (150 + 210) / 2000
    z = (0.21 - 0.15) / math.sqrt(pooled * (1 - pooled) * (1 / 1000 + 1 / 1000))
    assert z == pytest.approx(3.492, abs=1e-3)
    expected = math.erfc(z / math.sqrt(2))
    assert two_proportion_test(150, 1000, 210, 1000) == pytest.approx(expected)
    assert two_proportion_test(150, 1000, 210, 1000) == pytest.approx(0.000479, abs=2e-6)
    # Two-sided: the order of the variants does not matter.
    assert two_proportion_test(210, 1000, 150, 1000) == pytest.approx(expected)


def test_equal_rates_give_a_p_value_of_one():
    assert two_proportion_test(30, 100, 60, 200) == pytest.approx(1.0)


@pytest.mark.parametrize("counts", [
    (3, MIN_SAMPLE - 1, 10, 100),
    (10, 100, 3, MIN_SAMPLE - 1),
    (0, 100, 0, 100),
    (100, 100, 50, 50),
])  # fmt: skip
def test_too_little_data_gives_no_p_value(counts):
    assert two_proportion_test(*counts) is None


def test_the_smallest_samples_are_tested():
    assert two_proportion_test(3, MIN_SAMPLE, 10, MIN_SAMPLE) is not None


@pytest.mark.parametrize("counts", [(11, 10, 1, 10), (-1, 10, 1, 10), (1, 10, 11, 10)])
def test_impossible_counts_are_refused(counts):
    with pytest.raises(ValueError, match="successes must be from 0 to the total"):
        two_proportion_test(*counts)


def test_the_sentence_names_the_better_variant_with_rates_and_p():
    # 150/1000 against 182/1000: p ≈ 0.054, given with two significant digits.
    p_value = two_proportion_test(150, 1000, 182, 1000)
    assert f"{p_value:.2g}" == "0.054"
    assert variant_sentence({"A": (150, 1000), "B": (182, 1000)}) == (
        "B converts better than A: 18 % vs 15 %, p = 0.054"
    )
    assert variant_sentence({"A": (210, 1000), "B": (150, 1000)}) == (
        "A converts better than B: 21 % vs 15 %, p < 0.001"
    )


def test_the_sentence_compares_the_best_with_the_next_best():
    stats = {"A": (100, 1000), "B": (150, 1000), "C": (210, 1000)}
    assert variant_sentence(stats) == "C converts better than B: 21 % vs 15 %, p < 0.001"


def test_the_sentence_says_when_variants_convert_alike():
    assert variant_sentence({"A": (30, 100), "B": (30, 100)}) == "A and B convert alike: 30 % vs 30 %, p = 1"


@pytest.mark.parametrize("stats", [
    {},
    {"A": (10, 100)},
    {"A": (10, 100), "B": (3, 20)},
    {"A": (0, 0), "B": (0, 0)},
    {"A": (0, 100), "B": (0, 100)},
])  # fmt: skip
def test_the_sentence_waits_for_enough_data(stats):
    assert variant_sentence(stats) == "not enough data yet"
