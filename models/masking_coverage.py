"""Which fields the masking settings cover: the configured fields and every other path to their values.

Masking ``crm.lead.phone`` alone would leave its value readable elsewhere: in the fields Odoo
computes from it (``crm.lead.phone_sanitized``), in the field it mirrors (a lead's phone is
computed from, and written back to, its partner's ``res.partner.phone``, itself read again as
``res.users.phone``, ``res.company.phone``...). This module finds those paths once, from the
ORM's own field metadata: the resolved dependencies of computed and related fields
(``registry.field_depends``), plus the pairs of fields that crm copies between a lead and its
partner without naming them in a dependency. No model lives here.
"""

from collections import defaultdict

from odoo.addons.crm.models.crm_lead import PARTNER_ADDRESS_FIELDS_TO_SYNC, PARTNER_FIELDS_TO_SYNC

TEXT_TYPES = frozenset({"char", "text", "html"})
"""Types that can hold a masked value; a selection or boolean computed from one (``phone_state``) cannot."""

CONTEXTUAL_NAMES = frozenset({"display_name"})
"""Fields whose dependency on a masked field is no path to its value in a workflow: a partner's
display name shows its e-mail or VAT only in display contexts (``show_email``, ``show_vat``)
that workflows never set, and masking it would hide every partner's name."""

MIRRORED_MODELS = ("crm.lead", "res.partner")
MIRRORED_NAMES = (*PARTNER_FIELDS_TO_SYNC, *PARTNER_ADDRESS_FIELDS_TO_SYNC)
"""Fields that crm copies from a partner onto its leads under the same name: computed from
``partner_id`` as a whole, their dependencies do not name the partner's field."""


def _path_end(registry, model_name, path):
    """The field that the dotted dependency ``path`` of a field of ``model_name`` ends on, or None."""
    field = None
    for name in path.split("."):
        model = registry.models.get(model_name)
        field = model._fields.get(name) if model is not None else None
        if field is None:
            return None
        model_name = field.comodel_name
    return field


def _field_links(registry):
    """``(sources, dependants, mirrors)``, keyed by ``(model, field)``: the text fields a
    computed or related text field is computed from, the inverse, and the mirrored pairs."""
    sources, dependants, mirrors = defaultdict(list), defaultdict(list), defaultdict(list)
    for model in registry.models.values():
        if model._abstract:
            continue
        for field in model._fields.values():
            if field.type not in TEXT_TYPES or field.name in CONTEXTUAL_NAMES:
                continue
            key = (model._name, field.name)
            how = "related to" if field.related else "computed from"
            for path in registry.field_depends.get(field, ()):
                source = _path_end(registry, model._name, path)
                if source is not None and source is not field and source.type in TEXT_TYPES:
                    source_key = (source.model_name, source.name)
                    sources[key].append((source_key, how))
                    dependants[source_key].append((key, how))
    lead_model, partner_model = (registry.models[name] for name in MIRRORED_MODELS)
    for name in MIRRORED_NAMES:
        pair = [model._fields.get(name) for model in (lead_model, partner_model)]
        if all(field is not None and field.type in TEXT_TYPES for field in pair):
            lead_key, partner_key = ((field.model_name, field.name) for field in pair)
            mirrors[lead_key].append(partner_key)
            mirrors[partner_key].append(lead_key)
    return sources, dependants, mirrors


def _dotted(key):
    return ".".join(key)


def masking_coverage(registry, configured):
    """``{(model, field): reason}`` for every field that masking the ``configured``
    ``(model, field)`` pairs covers besides them, the reason naming the field it comes from:
    ``{("crm.lead", "phone_sanitized"): "computed from crm.lead.phone", ...}``.

    First the configured fields' own sources and mirrors, and theirs in turn (the same
    value, kept in another field); then, from all of those, every text field computed from
    or related to one of them, and their mirrors, transitively. A field computed from a
    covered one is covered, but what else it is computed from is not: ``phone_sanitized``
    comes from ``phone`` or ``mobile``, and masking ``phone`` does not mask ``mobile``.
    """
    sources, dependants, mirrors = _field_links(registry)
    covered = {}

    def spread(start, next_fields):
        pending = list(start)
        while pending:
            key = pending.pop(0)
            for found, reason in next_fields(key):
                if found not in covered and found not in configured:
                    covered[found] = reason
                    pending.append(found)

    def same_value(key):
        for source, how in sources[key]:
            yield source, f"{_dotted(key)} is {how} it"
        for mirror in mirrors[key]:
            yield mirror, f"mirrors {_dotted(key)}"

    def derived_value(key):
        for dependant, how in dependants[key]:
            yield dependant, f"{how} {_dotted(key)}"
        for mirror in mirrors[key]:
            yield mirror, f"mirrors {_dotted(key)}"

    ordered = sorted(configured)
    spread(ordered, same_value)
    spread([*ordered, *covered], derived_value)
    return covered
