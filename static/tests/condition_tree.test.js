import { beforeEach, describe, expect, test } from "@odoo/hoot";
import { patchTranslations } from "@web/../tests/web_test_helpers";
import { locate, locationKind, odooPath } from "@workflow_engine/condition_builder/condition_context";
import {
    addCondition,
    describeCondition,
    leafOperator,
    negate,
    newLeaf,
    operatorChoices,
    replaceNode,
    switchGroup,
    withField,
    withOperator,
} from "@workflow_engine/condition_builder/condition_tree";
import { formatLiteral, parseLiteral } from "@workflow_engine/condition_builder/condition_value_input";
import { LEAD_CONTEXT } from "./workflow_test_helpers";

beforeEach(() => patchTranslations());

const EXAMPLE_1 = {
    and: [
        { field: "expected_revenue", operator: "gte", value: 50000 },
        { field: "email_from", operator: "ne", value: null },
    ],
};

describe("condition tree", () => {
    test("adding conditions builds an 'and' and keeps the nodes it does not touch", () => {
        const first = { field: "expected_revenue", operator: "gte", value: 50000 };
        const root = addCondition(addCondition(null, first), newLeaf());
        expect(root).toEqual({ and: [first, { field: "", operator: "eq", value: "" }] });
        expect(root.and[0]).toBe(first);
        const grown = addCondition(root, newLeaf("stage"));
        expect(grown.and).toHaveLength(3);
        expect(grown.and[1]).toBe(root.and[1]);
    });

    test("a node is replaced where it is, whatever was built around it since", () => {
        const leaf = EXAMPLE_1.and[0];
        const wrapped = { or: [negate(EXAMPLE_1), newLeaf()] };
        const changed = { ...leaf, value: 80000 };
        const result = replaceNode(wrapped, leaf, changed);
        expect(result.or[0].not.and[0]).toEqual(changed);
        expect(result.or[0].not.and[1]).toBe(EXAMPLE_1.and[1]);
        expect(result.or[1]).toBe(wrapped.or[1]);
        expect(replaceNode(wrapped, { field: "x" }, changed)).toBe(wrapped);
    });

    test("removing the last child of a group removes the group, up to the root", () => {
        const single = { and: [{ not: newLeaf("name") }] };
        expect(replaceNode(single, single.and[0].not, null)).toBe(null);
        expect(replaceNode(EXAMPLE_1, EXAMPLE_1.and[1], null)).toEqual({ and: [EXAMPLE_1.and[0]] });
    });

    test("switching a group keeps its children", () => {
        const switched = switchGroup(EXAMPLE_1, "or");
        expect(switched).toEqual({ or: EXAMPLE_1.and });
        expect(switchGroup(switched, "or")).toBe(switched);
    });

    test("'is set' and 'is not set' stand for a comparison with null", () => {
        const leaf = { field: "email_from", operator: "eq", value: "a@b.example.com" };
        const set = withOperator(leaf, "set", "text");
        expect(set).toEqual({ field: "email_from", operator: "ne", value: null });
        expect(leafOperator(set)).toBe("set");
        expect(leafOperator(withOperator(leaf, "not_set", "text"))).toBe("not_set");
        expect(withOperator(set, "contains", "text")).toEqual({ field: "email_from", operator: "contains", value: "" });
    });

    test("list operators get a list value, and back", () => {
        const leaf = { field: "priority", operator: "eq", value: "3" };
        const listed = withOperator(leaf, "in", "selection");
        expect(listed.value).toEqual(["3"]);
        expect(withOperator(listed, "ne", "selection").value).toBe("3");
        expect(withOperator({ ...leaf, value: "" }, "not_in", "selection").value).toEqual([]);
    });

    test("operators fit the kind of field, and a leaf always keeps its own", () => {
        const names = (kind, leaf = newLeaf()) => operatorChoices(kind, leaf).map((choice) => choice.name);
        expect(names("number")).toEqual(["eq", "ne", "gt", "gte", "lt", "lte", "in", "not_in", "set", "not_set"]);
        expect(names("boolean")).toEqual(["eq", "ne"]);
        expect(names("records", { field: "tag_ids", operator: "contains", value: "vip" })).not.toInclude("eq");
        expect(names("boolean", { field: "active", operator: "startswith", value: "x" })).toInclude("startswith");
    });

    test("another field of the same kind keeps operator and value", () => {
        const leaf = { field: "expected_revenue", operator: "gte", value: 50000 };
        expect(withField(leaf, "probability", "number", null, "number")).toEqual({ ...leaf, field: "probability" });
        expect(withField(leaf, "name", "text", null, "number")).toEqual({ field: "name", operator: "eq", value: "" });
        expect(withField(leaf, "active", "boolean", null, "number")).toEqual({
            field: "active",
            operator: "eq",
            value: true,
        });
    });

    test("conditions read as one line", () => {
        expect(describeCondition(EXAMPLE_1)).toBe("expected_revenue ≥ 50000 and email_from is set");
        expect(describeCondition(null)).toBe("Always");
        expect(
            describeCondition({ or: [negate({ field: "stage", operator: "eq", value: "New" }), EXAMPLE_1] })
        ).toBe('not (stage = "New") or (expected_revenue ≥ 50000 and email_from is set)');
    });
});

describe("context of the conditions", () => {
    const info = {
        ...LEAD_CONTEXT,
        event_keys: ["new_stage"],
        fieldNames: new Set(["name", "user_id", "stage_id"]),
    };

    test("paths are located as the record context reads them", () => {
        expect(locate("new_stage", info)).toEqual({ scope: "event", prefix: "", modelPath: "new_stage", model: null });
        expect(locate("user.login", info)).toEqual({
            scope: "user",
            prefix: "user.",
            modelPath: "login",
            model: "res.users",
        });
        expect(locate("lead.user_id.email", info)).toEqual({
            scope: "record",
            prefix: "lead.",
            modelPath: "user_id.email",
            model: "crm.lead",
        });
        expect(locate("user_id.email", info)).toEqual({
            scope: "record",
            prefix: "",
            modelPath: "user_id.email",
            model: "crm.lead",
        });
        expect(locate("today", info).scope).toBe("today");
        expect(locate("payload_key", info).scope).toBe("event");
        expect(locate("", info).scope).toBe("record");
    });

    test("the design's aliases are read as Odoo's fields, and stage compares a name", () => {
        expect(odooPath(locate("amount", info), info)).toBe("expected_revenue");
        expect(odooPath(locate("lead.owner.email", info), info)).toBe("user_id.email");
        expect(locationKind(locate("stage", info), info, { type: "many2one" })).toBe("text");
        expect(locationKind(locate("stage_id", info), info, { type: "many2one" })).toBe("record");
        expect(locationKind(locate("today", info), info, null)).toBe("date");
    });

    test("typed values read as JSON when they are, as text otherwise", () => {
        expect(parseLiteral("42")).toBe(42);
        expect(parseLiteral("null")).toBe(null);
        expect(parseLiteral("Won")).toBe("Won");
        expect(parseLiteral('"42"')).toBe("42");
        expect(formatLiteral("42")).toBe('"42"');
        expect(formatLiteral("Won")).toBe("Won");
        expect(formatLiteral([1, "a"])).toBe('[1,"a"]');
    });
});
