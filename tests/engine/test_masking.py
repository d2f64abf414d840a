import copy
import json

from engine import conditions, templates
from engine.masking import Masked, mask_value

PHONE = "+32 470 555 0122"


def test_the_mask_keeps_at_most_the_last_4_characters_and_a_quarter_of_the_value():
    assert mask_value(PHONE) == "•••• 0122"
    assert mask_value("BE12345") == "•••• 5"
    assert mask_value("abc") == "••••"
    assert mask_value(None) == "••••"


def test_a_masked_value_renders_and_encodes_as_its_mask():
    masked = Masked(PHONE)
    context = {"lead": {"phone": masked}}
    assert templates.render("Call {{lead.phone}}", context) == "Call •••• 0122"
    rendered = templates.render({"to": "{{lead.phone}}"}, context)
    assert json.dumps(rendered, ensure_ascii=False) == '{"to": "•••• 0122"}', "a single placeholder keeps the mask"
    assert templates.render("{{lead.phone.casefold()}} {{lead.phone[:6]}} {{lead.phone.upper()}}", context) \
        == "•••• 0122 •••• 0 •••• 0122"
    assert json.dumps({"phone": masked}, ensure_ascii=False) == '{"phone": "•••• 0122"}'
    assert copy.deepcopy(masked) == "•••• 0122"
    assert PHONE not in repr(masked) + str(masked) + f"{masked}"


def test_conditions_compare_the_clear_value_and_explain_only_the_mask():
    context = {"lead": {"phone": Masked(PHONE)}}
    for operator, value in [("eq", PHONE), ("endswith", "0122"), ("startswith", "+32"), ("contains", "470"),
                            ("icontains", "470"), ("in", [PHONE]), ("ne", "other"), ("gt", "+31")]:
        rule = {"field": "lead.phone", "operator": operator, "value": value}
        assert conditions.evaluate(rule, context), operator
        explanation = conditions.explain(rule, context)
        assert explanation.result, operator
        shown = json.dumps(explanation.to_dict(), ensure_ascii=False) + explanation.summary()
        assert "•••• 0122" in shown
        assert "555 0122" not in shown.replace(json.dumps(value, ensure_ascii=False), "")
    assert not conditions.evaluate({"field": "lead.phone", "operator": "eq", "value": "•••• 0122"}, context)
