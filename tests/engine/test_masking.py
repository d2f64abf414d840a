import copy
import json
import pickle

import pytest

from engine import conditions, templates
from engine.exceptions import TemplateError
from engine.masking import Masked, mask_value, reveal

PHONE = "+32 470 555 0122"
MASKED_PHONE = "•••• 0122"
CLEAR_PARTS = ("+32", "470", "555", PHONE)


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


PROBING_TEMPLATES = [
    # where the real value used to be reachable
    "{{lead.phone.clear}}",
    "{{lead.phone._clear}}",
    "{{lead.phone|attr('clear')}}",
    "{{lead.phone|attr('_clear')}}",
    "{{[lead]|map(attribute='phone.clear')|list}}",
    "{{[lead]|map(attribute='phone._clear')|join}}",
    "{{lead.phone.__dict__}}",
    "{{lead.phone.__getstate__()}}",
    "{{lead.phone.__reduce__()}}",
    "{{lead.phone.__reduce_ex__(2)}}",
    "{{lead.phone.__class__}}",
    # comparisons and string methods, which could probe it character by character
    "{{lead.phone == '" + PHONE + "'}}",
    "{{lead.phone != '" + PHONE + "'}}",
    "{{lead.phone < '+32 5'}} {{lead.phone > '+32 4'}} {{lead.phone <= '+'}} {{lead.phone >= '+'}}",
    "{{'470' in lead.phone}} {{lead.phone in ['" + PHONE + "']}}",
    "{{lead.phone.startswith('+32')}} {{lead.phone.endswith('0122')}}",
    "{{lead.phone.find('470')}} {{lead.phone.count('5')}} {{lead.phone.index('•')}}",
    "{{lead.phone.casefold()}} {{lead.phone.lower()}} {{lead.phone.upper()}} {{lead.phone.strip()}}",
    "{{lead.phone.split()}} {{lead.phone.partition(' ')}} {{lead.phone.replace('•', '')}}",
    "{{lead.phone.encode()}} {{lead.phone.zfill(20)}} {{lead.phone.center(20)}}",
    "{{'{}'.format(lead.phone)}} {{'%s'|format(lead.phone)}} {{'%s' % lead.phone}}",
    "{{lead.phone[:6]}} {{lead.phone[-4:]}} {{lead.phone[0]}} {{lead.phone[::-1]}}",
    "{% for c in lead.phone %}{{c}}{% endfor %}",
    "{{lead.phone|list}} {{lead.phone|string}} {{lead.phone|length}} {{lead.phone|join('-')}}",
    "{{lead.phone|tojson}} {{lead.phone|pprint}} {{lead.phone|e}} {{lead.phone|urlencode}}",
    "{{lead.phone|sort|join}} {{lead.phone|unique|join}} {{lead.phone|reverse|join}} {{lead.phone|first}}",
    "{{lead.phone|int}} {{lead.phone|float}} {{lead.phone|trim}} {{lead.phone|title}} {{lead.phone|wordcount}}",
    "{{lead.phone|truncate(5)}} {{lead.phone|replace('•', 'x')}} {{lead.phone|batch(2)|list}}",
    "{{lead.phone + '!'}} {{lead.phone ~ '!'}} {{lead.phone * 2}}",
    "{{{'" + PHONE + "': 'clear'}.get(lead.phone, 'mask')}}",
    "{{lead.phone}}",
]


def _rendered(template, phone):
    return templates.render(template, {"lead": {"phone": phone}})


@pytest.mark.parametrize("template", PROBING_TEMPLATES)
def test_in_templates_a_masked_value_behaves_as_its_mask_and_nothing_reaches_the_real_value(template):
    try:
        shown = _rendered(template, Masked(PHONE))
    except TemplateError as exc:
        # Refused, as the attribute is on a plain string (undefined or forbidden), naming no value.
        assert not any(part in str(exc) for part in CLEAR_PARTS), exc
        with pytest.raises(TemplateError):
            _rendered(template, MASKED_PHONE)
        return
    assert _rendered(template, MASKED_PHONE) == shown
    assert not any(part in str(shown) for part in CLEAR_PARTS), shown


def test_in_python_a_masked_value_is_its_mask():
    masked = Masked(PHONE)
    assert masked == MASKED_PHONE and masked != PHONE and PHONE not in {masked}
    assert hash(masked) == hash(MASKED_PHONE)
    assert "470" not in masked and not masked.startswith("+32")
    assert pickle.loads(pickle.dumps(masked)) == MASKED_PHONE
    assert type(copy.copy(masked)) is str
    assert reveal(masked) == PHONE and reveal(PHONE) == PHONE


def test_a_condition_cannot_reach_the_real_value_through_a_path():
    context = {"lead": {"phone": Masked(PHONE)}}
    for path in ("lead.phone.clear", "lead.phone._clear", "lead.phone.__dict__"):
        rule = {"field": path, "operator": "eq", "value": PHONE}
        explanation = conditions.explain(rule, context)
        assert not explanation.result
        assert explanation.decisive.actual is None, path
        assert not conditions.evaluate({"field": path, "operator": "ne", "value": None}, context)
