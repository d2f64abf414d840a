/**
 * The condition DSL of engine.conditions, as plain data the builder edits.
 *
 * Every edit returns a new tree and reuses the nodes it does not touch, so what the
 * builder saves is exactly what it was given, except for the node the user changed.
 */

import { _t } from "@web/core/l10n/translation";

export const ROOT_PATH = "<root>";
const GROUP_KEYS = ["and", "or"];

/** "empty" (no condition), "and", "or", "not" or "leaf". */
export function nodeKind(node) {
    if (node === null || node === undefined || node === false) {
        return "empty";
    }
    for (const key of [...GROUP_KEYS, "not"]) {
        if (typeof node === "object" && key in node) {
            return key;
        }
    }
    return "leaf";
}

/** The path engine.conditions gives a child node, e.g. "and[1].or[0]". */
export function childPath(parentPath, step) {
    return parentPath ? `${parentPath}.${step}` : step;
}

export function newLeaf(field = "") {
    return { field, operator: "eq", value: "" };
}

/** ``node`` with ``addition`` added: a group grows, anything else becomes an "and". */
export function addCondition(node, addition) {
    const kind = nodeKind(node);
    if (kind === "empty") {
        return addition;
    }
    if (GROUP_KEYS.includes(kind)) {
        return { ...node, [kind]: [...node[kind], addition] };
    }
    return { and: [node, addition] };
}

/**
 * ``group`` with its child at ``index`` replaced, or removed when ``child`` is null; a
 * group left without children is removed too (null), as the DSL forbids empty groups.
 */
export function replaceChild(group, index, child) {
    const kind = nodeKind(group);
    const children = [...group[kind]];
    if (child === null) {
        children.splice(index, 1);
    } else {
        children[index] = child;
    }
    return children.length ? { ...group, [kind]: children } : null;
}

/**
 * ``tree`` with the node ``target`` (found by identity, as edits keep the nodes they do
 * not touch) replaced by ``replacement``, or removed when it is null; ``tree`` itself
 * when ``target`` is not in it.
 */
export function replaceNode(tree, target, replacement) {
    if (tree === target) {
        return replacement;
    }
    const kind = nodeKind(tree);
    if (kind === "not") {
        const child = replaceNode(tree.not, target, replacement);
        if (child === tree.not) {
            return tree;
        }
        return child === null ? null : { ...tree, not: child };
    }
    if (GROUP_KEYS.includes(kind)) {
        for (const [index, child] of tree[kind].entries()) {
            const replaced = replaceNode(child, target, replacement);
            if (replaced !== child) {
                return replaceChild(tree, index, replaced);
            }
        }
    }
    return tree;
}

/** An "and" group as an "or" group or back, keeping its children. */
export function switchGroup(group, kind) {
    const current = nodeKind(group);
    if (current === kind) {
        return group;
    }
    const { [current]: children, ...others } = group;
    return { ...others, [kind]: children };
}

export function negate(node) {
    return { not: node };
}

/** Operator labels, as the builder shows them; "set" and "not_set" stand for ne / eq null. */
export const OPERATOR_LABELS = {
    eq: "=",
    ne: "≠",
    gt: ">",
    gte: "≥",
    lt: "<",
    lte: "≤",
    in: _t("is in"),
    not_in: _t("is not in"),
    contains: _t("contains"),
    icontains: _t("contains (any case)"),
    startswith: _t("starts with"),
    endswith: _t("ends with"),
    set: _t("is set"),
    not_set: _t("is not set"),
};

const ALL_OPERATORS = Object.keys(OPERATOR_LABELS);
const ORDERED = ["eq", "ne", "gt", "gte", "lt", "lte"];
const MEMBERSHIP = ["in", "not_in"];
const PRESENCE = ["set", "not_set"];
const TEXT_TESTS = ["contains", "icontains", "startswith", "endswith"];

/** Which operators make sense for each kind of value. */
export const OPERATORS_BY_KIND = {
    text: ["eq", "ne", ...TEXT_TESTS, ...MEMBERSHIP, ...PRESENCE],
    selection: ["eq", "ne", ...MEMBERSHIP, ...PRESENCE],
    number: [...ORDERED, ...MEMBERSHIP, ...PRESENCE],
    date: [...ORDERED, ...PRESENCE],
    datetime: [...ORDERED, ...PRESENCE],
    boolean: ["eq", "ne"],
    record: ["eq", "ne", ...MEMBERSHIP, ...PRESENCE],
    // x2many fields read as lists of names: membership and "contains a name".
    records: ["contains", "icontains", ...MEMBERSHIP],
    any: ALL_OPERATORS,
};

const KIND_BY_FIELD_TYPE = {
    char: "text",
    text: "text",
    html: "text",
    selection: "selection",
    integer: "number",
    float: "number",
    monetary: "number",
    date: "date",
    datetime: "datetime",
    boolean: "boolean",
    many2one: "record",
    one2many: "records",
    many2many: "records",
};

/** The kind of value a field holds in a condition's context ("any" when unknown). */
export function valueKind(fieldDef) {
    return (fieldDef && KIND_BY_FIELD_TYPE[fieldDef.type]) || "any";
}

/** The builder's operator for a leaf: "set" / "not_set" for a comparison with null. */
export function leafOperator(leaf) {
    if (leaf.value === null && leaf.operator === "ne") {
        return "set";
    }
    if (leaf.value === null && leaf.operator === "eq") {
        return "not_set";
    }
    return leaf.operator;
}

/** The operators offered for a leaf: those of its kind, and always its own. */
export function operatorChoices(kind, leaf) {
    const choices = [...(OPERATORS_BY_KIND[kind] || ALL_OPERATORS)];
    const current = leafOperator(leaf);
    if (!choices.includes(current)) {
        choices.push(current);
    }
    return choices.map((name) => ({ name, label: OPERATOR_LABELS[name] || name }));
}

/** A value that fits ``kind`` for a leaf just created or given a field of another kind. */
export function defaultValue(kind, fieldDef) {
    switch (kind) {
        case "number":
            return 0;
        case "boolean":
            return true;
        case "selection":
            return fieldDef?.selection?.[0]?.[0] ?? "";
        default:
            return "";
    }
}

export function isListOperator(operator) {
    return MEMBERSHIP.includes(operator);
}

/** ``leaf`` with the builder's ``operator``, its value carried over when it still fits. */
export function withOperator(leaf, operator, kind, fieldDef) {
    if (operator === "set" || operator === "not_set") {
        return { ...leaf, operator: operator === "set" ? "ne" : "eq", value: null };
    }
    let value = leaf.value;
    if (isListOperator(operator)) {
        if (!Array.isArray(value)) {
            value = value === null || value === "" ? [] : [value];
        }
    } else if (Array.isArray(value)) {
        value = value.length ? value[0] : defaultValue(kind, fieldDef);
    } else if (value === null) {
        value = defaultValue(kind, fieldDef);
    }
    return { ...leaf, operator, value };
}

/** ``leaf`` on another field; operator and value are reset when they no longer fit. */
export function withField(leaf, field, kind, fieldDef, previousKind) {
    if (kind === previousKind) {
        return { ...leaf, field };
    }
    const operator = leafOperator(leaf);
    const fitting = (OPERATORS_BY_KIND[kind] || ALL_OPERATORS).includes(operator) ? operator : "eq";
    const reset = { ...leaf, field, operator: "eq", value: defaultValue(kind, fieldDef) };
    return withOperator(reset, fitting, kind, fieldDef);
}

function shownValue(value) {
    if (typeof value === "string") {
        return `"${value}"`;
    }
    return JSON.stringify(value);
}

/** One line for humans, e.g. `expected_revenue ≥ 50000 and (email_from is set or …)`. */
export function describeCondition(node) {
    const kind = nodeKind(node);
    switch (kind) {
        case "empty":
            return _t("Always");
        case "not":
            return _t("not (%s)", describeCondition(node.not));
        case "and":
        case "or": {
            const joiner = kind === "and" ? _t(" and ") : _t(" or ");
            return node[kind]
                .map((child) => {
                    const text = describeCondition(child);
                    return GROUP_KEYS.includes(nodeKind(child)) ? `(${text})` : text;
                })
                .join(joiner);
        }
        default: {
            const operator = leafOperator(node);
            const label = OPERATOR_LABELS[operator] || operator;
            if (operator === "set" || operator === "not_set") {
                return `${node.field} ${label}`;
            }
            return `${node.field} ${label} ${shownValue(node.value)}`;
        }
    }
}
