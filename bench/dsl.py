"""Evaluations per second of the condition DSL against other ways to run the same rule.

Run ``python3 bench/dsl.py``. The rule is the design's nested example on dotted paths:
``lead.status == "qualified" and (lead.source == "referral" or lead.lead_score >= 80)``.
Targets: compiled DSL at least 10x json-logic and at least 0.25x the hand-written rule.
"""

import sys
import timeit
from pathlib import Path

import rule_engine
from json_logic import jsonLogic

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine import conditions  # noqa: E402 - importable once the repository root is on sys.path

SECONDS_PER_ROUND = 0.3
ROUNDS = 5
JSON_LOGIC_TARGET = 10.0
HAND_WRITTEN_TARGET = 0.25

DSL = {
    "and": [
        {"field": "lead.status", "operator": "eq", "value": "qualified"},
        {
            "or": [
                {"field": "lead.source", "operator": "eq", "value": "referral"},
                {"field": "lead.lead_score", "operator": "gte", "value": 80},
            ]
        },
    ]
}
JSON_LOGIC_RULE = {
    "and": [
        {"==": [{"var": "lead.status"}, "qualified"]},
        {
            "or": [
                {"==": [{"var": "lead.source"}, "referral"]},
                {">=": [{"var": "lead.lead_score"}, 80]},
            ]
        },
    ]
}
RULE_ENGINE_RULE = rule_engine.Rule(
    'lead.status == "qualified" and (lead.source == "referral" or lead.lead_score >= 80)'
)

CONTEXTS = [
    {"lead": {"status": "qualified", "source": "referral", "lead_score": 10}},
    {"lead": {"status": "qualified", "source": "web", "lead_score": 92}},
    {"lead": {"status": "qualified", "source": "web", "lead_score": 40.5}},
    {"lead": {"status": "new", "source": "referral", "lead_score": 99}},
]
EXPECTED = [True, True, False, False]


def hand_written(context):
    lead = context["lead"]
    return lead["status"] == "qualified" and (
        lead["source"] == "referral" or lead["lead_score"] >= 80
    )


def hand_written_defensive(context):
    """Same rule with the DSL's tolerance of missing keys and non-numeric scores."""
    lead = context.get("lead") or {}
    score = lead.get("lead_score")
    return lead.get("status") == "qualified" and (
        lead.get("source") == "referral"
        or (isinstance(score, (int, float)) and not isinstance(score, bool) and score >= 80)
    )


CONTENDERS = {
    "workflow_engine compiled": conditions.compile(DSL),
    "json-logic-qubit": lambda context: jsonLogic(JSON_LOGIC_RULE, context),
    "rule-engine": RULE_ENGINE_RULE.matches,
    "hand-written": hand_written,
    "hand-written, defensive": hand_written_defensive,
}


def evaluations_per_second(predicate):
    def evaluate_all():
        for context in CONTEXTS:
            predicate(context)

    timer = timeit.Timer(evaluate_all)
    loops, elapsed = timer.autorange()
    loops = max(1, round(loops * SECONDS_PER_ROUND / elapsed))
    best = min(timer.repeat(repeat=ROUNDS, number=loops))
    return loops * len(CONTEXTS) / best


def main():
    for name, predicate in CONTENDERS.items():
        results = [bool(predicate(context)) for context in CONTEXTS]
        if results != EXPECTED:
            sys.exit(f"{name} disagrees on the rule: {results} != {EXPECTED}")

    rates = {name: evaluations_per_second(predicate) for name, predicate in CONTENDERS.items()}
    json_logic_rate = rates["json-logic-qubit"]
    hand_written_rate = rates["hand-written"]
    print(f"Python {sys.version.split()[0]}, {len(CONTEXTS)} contexts, best of {ROUNDS} rounds")
    print(f"{'contender':<28}{'evals/s':>14}{'vs json-logic':>16}{'vs hand-written':>18}")
    for name, rate in rates.items():
        print(
            f"{name:<28}{rate:>14,.0f}{rate / json_logic_rate:>15.2f}x"
            f"{rate / hand_written_rate:>17.2f}x"
        )

    engine_rate = rates["workflow_engine compiled"]
    for label, ratio, target in (
        ("json-logic", engine_rate / json_logic_rate, JSON_LOGIC_TARGET),
        ("hand-written", engine_rate / hand_written_rate, HAND_WRITTEN_TARGET),
    ):
        verdict = "met" if ratio >= target else "MISSED"
        print(f"target vs {label}: >= {target}x, got {ratio:.2f}x: {verdict}")


if __name__ == "__main__":
    main()
