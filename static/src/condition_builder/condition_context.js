/**
 * Where a condition's field path points in the context that models/record_context.py
 * builds for a record: the event's keys come first, then ``user``, ``company``,
 * ``today`` and the record under its entity names (``lead.``, ``record.``...), then the
 * record's own fields and the design's aliases of them (``amount``, ``email``...).
 *
 * ``info`` is what ``workflow.workflow.get_condition_builder_info`` returns for the
 * trigger's event type, plus ``fieldNames``: the names of the record model's fields.
 */

import { _t } from "@web/core/l10n/translation";
import { valueKind } from "./condition_tree";

/** The context roots the builder offers, with the label of each. */
export function scopeChoices(info) {
    return [
        { name: "record", label: info.model_name },
        { name: "user", label: _t("Run-as user") },
        { name: "company", label: _t("Company") },
        { name: "event", label: _t("Event value") },
        { name: "today", label: _t("Today") },
    ];
}

/**
 * ``{scope, prefix, modelPath, model}`` of ``path``: ``modelPath`` is the part of the
 * path that walks the fields of ``model`` (null for event values and today), ``prefix``
 * what comes before it and is kept when another field is picked.
 */
export function locate(path, info) {
    const [first, ...rest] = path.split(".");
    if (info.event_keys.includes(first)) {
        return { scope: "event", prefix: "", modelPath: path, model: null };
    }
    if (first in info.roots) {
        return { scope: first, prefix: `${first}.`, modelPath: rest.join("."), model: info.roots[first] };
    }
    if (path === "today") {
        return { scope: "today", prefix: "", modelPath: "", model: null };
    }
    if (info.entity_names.includes(first)) {
        return { scope: "record", prefix: `${first}.`, modelPath: rest.join("."), model: info.res_model };
    }
    if (!path || info.fieldNames.has(first) || first in info.aliases) {
        return { scope: "record", prefix: "", modelPath: path, model: info.res_model };
    }
    // Any other name can only come from the event's payload (custom events carry any key).
    return { scope: "event", prefix: "", modelPath: path, model: null };
}

/** The field path of ``location`` with the design's aliases replaced by Odoo's names. */
export function odooPath(location, info) {
    if (location.model !== info.res_model) {
        return location.modelPath;
    }
    const [first, ...rest] = location.modelPath.split(".");
    return [info.aliases[first] || first, ...rest].join(".");
}

/** The kind of value the leaf at ``location`` compares (see condition_tree.valueKind). */
export function locationKind(location, info, fieldDef) {
    if (location.scope === "today") {
        return "date";
    }
    if (location.scope === "event") {
        return "any";
    }
    if (location.model === info.res_model && info.named_by_text.includes(location.modelPath)) {
        // Aliases such as "stage" compare the related record's name.
        return "text";
    }
    return valueKind(fieldDef);
}

/** The field path a leaf gets when the user moves it to another ``scope``. */
export function scopeDefaultPath(scope, info) {
    switch (scope) {
        case "user":
            return "user.login";
        case "company":
            return "company.name";
        case "today":
            return "today";
        case "event":
            return info.event_keys[0] || "";
        default:
            return "";
    }
}

/** Field types a condition cannot read (engine values are never binary or property bags). */
const UNREADABLE_TYPES = ["binary", "properties", "properties_definition", "json"];

export function isReadableField(fieldDef) {
    return !UNREADABLE_TYPES.includes(fieldDef.type);
}
