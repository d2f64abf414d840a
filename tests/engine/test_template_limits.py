import time

import pytest

from engine.templates import Limits, TemplateError, render

NESTED_LOOPS = (
    "{% for a in range(10000) %}{% for b in range(10000) %}{% for c in range(10000) %}"
    "{{ c }}{% endfor %}{% endfor %}{% endfor %}"
)


def _refusal(config, limits=None):
    start = time.monotonic()
    with pytest.raises(TemplateError) as error:
        render(config, {}, limits=limits)
    return error.value, time.monotonic() - start


def test_defaults_are_two_seconds_and_a_hundred_thousand_characters():
    assert Limits() == Limits(max_render_ms=2000, max_output_chars=100_000)


@pytest.mark.parametrize(
    "template",
    [
        # Three nested loops without output: nothing to count but the time.
        NESTED_LOOPS.replace("{{ c }}", ""),
        # Loops over sequences that `range` does not build.
        "{% for a in [0] * 100000 %}{% for b in [0] * 100000 %}{% endfor %}{% endfor %}",
        # Macros calling each other: 2**40 calls without a loop.
        "{% macro f(n) %}{% if n %}{{ f(n - 1) }}{{ f(n - 1) }}{% endif %}{% endmacro %}{{ f(40) }}",
    ],
)
def test_a_rendering_is_stopped_at_its_time_limit(template):
    error, seconds = _refusal({"body": {"text": template}}, Limits(max_render_ms=100, max_output_chars=10**9))
    assert error.path == "body.text"
    assert error.message == "stopped: rendering takes longer than the limit of 100 ms"
    assert seconds < 1


def test_three_nested_loops_are_stopped_within_the_default_time():
    error, seconds = _refusal({"note": NESTED_LOOPS.replace("{{ c }}", "")})
    assert error.path == "note"
    assert "2000 ms" in error.message
    assert seconds < 3


@pytest.mark.parametrize(
    "template",
    [
        # 50 MB of text, 100,000 characters at a time.
        "{% for i in range(500) %}{{ 'x' * 100000 }}{% endfor %}",
        # A lone placeholder keeps its value: a list of 100,000 references to 100,000 characters.
        "{{ ['x' * 100000] * 100000 }}",
    ],
)
def test_a_rendering_is_stopped_at_its_output_limit(template):
    error, seconds = _refusal({"headers": {"X-Big": template}})
    assert error.path == "headers.X-Big"
    assert error.message == "stopped: the output is longer than the limit of 100000 characters"
    assert seconds < 1


def test_the_output_limit_counts_every_template_of_the_value_together():
    config = {"subject": "{{ 'x' * 60 }}", "body": "{{ 'y' * 60 }}", "plain": "z" * 500}
    error, _seconds = _refusal(config, Limits(max_output_chars=100))
    assert error.path == "body"
    # Text without placeholders is the definition's own, not the rendering's output.
    assert render(config, {}, limits=Limits(max_output_chars=120))["plain"] == "z" * 500


def test_renderings_within_the_limits_are_untouched():
    template = "{% for i in range(3) %}{{ loop.index }}/{{ loop.length }} {% else %}none{% endfor %}"
    assert render({"note": template}, {}, limits=Limits(max_render_ms=50, max_output_chars=12)) == {
        "note": "1/3 2/3 3/3 "
    }
    assert render({"ids": "{{ ids }}"}, {"ids": [1, 2]}, limits=Limits(max_output_chars=5)) == {"ids": [1, 2]}
