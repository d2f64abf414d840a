import { beforeEach, expect, test } from "@odoo/hoot";
import { queryAllTexts, queryOne } from "@odoo/hoot-dom";
import { animationFrame } from "@odoo/hoot-mock";
import { clickSave, contains, mountView, onRpc } from "@web/../tests/web_test_helpers";
import { WorkflowTrigger, defineWorkflowModels, mockWorkflowServer } from "./workflow_test_helpers";

defineWorkflowModels();

const FORM = `
    <form>
        <field name="event_type"/>
        <field name="conditions" widget="workflow_condition_builder"/>
    </form>`;

/** The server's refusals, as workflow.workflow.check_conditions words them. */
function checkConditions(conditions) {
    if (typeof conditions === "string") {
        try {
            conditions = conditions.trim() ? JSON.parse(conditions) : null;
        } catch {
            return "Invalid conditions: conditions: invalid JSON at line 1 column 38: Expecting ',' delimiter";
        }
    }
    if (JSON.stringify(conditions).includes('"equals"')) {
        return "Invalid conditions: <root>: unknown operator 'equals'";
    }
    return false;
}

async function pickField(leafPath, fieldName) {
    await contains(`.o_wf_condition_leaf[data-path='${leafPath}'] .o_model_field_selector`).click();
    await contains(
        `.o_model_field_selector_popover_item[data-name='${fieldName}'] .o_model_field_selector_popover_item_name`
    ).click();
}

function savedConditions() {
    onRpc("workflow.trigger", "web_save", ({ args }) => {
        expect.step(JSON.stringify(args[1].conditions));
    });
}

beforeEach(() => {
    mockWorkflowServer({ check: checkConditions });
    WorkflowTrigger._records = [{ id: 1, event_type: "lead.created", conditions: false }];
});

test("builds the design's Example 1 and saves exactly the conditions it shows", async () => {
    savedConditions();
    await mountView({ type: "form", resModel: "workflow.trigger", resId: 1, arch: FORM });
    expect(".o_wf_condition_empty").toHaveCount(1);

    await contains(".o_wf_add_condition").click();
    await pickField("<root>", "expected_revenue");
    await contains(".o_wf_leaf_operator").select("gte");
    await contains(".o_wf_value_number").edit("50000");
    await contains(".o_wf_condition_builder > .d-flex > .o_wf_add_condition").click();
    await pickField("and[1]", "email_from");
    await contains(".o_wf_condition_leaf[data-path='and[1]'] .o_wf_leaf_operator").select("set");

    expect(".o_wf_condition_group[data-kind=and] > .o_wf_condition_leaf").toHaveCount(2);
    expect(".o_wf_condition_leaf[data-path='and[1]'] .o_wf_value").toHaveCount(0);
    expect(".o_wf_json_error").toHaveCount(0);
    await clickSave();
    expect.verifySteps([
        JSON.stringify({
            and: [
                { field: "expected_revenue", operator: "gte", value: 50000 },
                { field: "email_from", operator: "ne", value: null },
            ],
        }),
    ]);
});

test("conditions round-trip: what the builder shows is what the JSON holds", async () => {
    const conditions = {
        or: [
            { not: { field: "lead.stage", operator: "in", value: ["Won", "Lost"] } },
            {
                and: [
                    { field: "amount", operator: "gte", value: 1000.5 },
                    { field: "email_from", operator: "endswith", value: ".example.com" },
                    { field: "new_stage", operator: "eq", value: "Proposition" },
                ],
            },
        ],
    };
    WorkflowTrigger._records[0].conditions = JSON.stringify(conditions);
    savedConditions();
    await mountView({ type: "form", resModel: "workflow.trigger", resId: 1, arch: FORM });

    expect(".o_wf_condition_group[data-kind=or] > .o_wf_condition_not .o_wf_condition_leaf").toHaveCount(1);
    expect(".o_wf_condition_leaf[data-path='or[1].and[1]'] .o_wf_leaf_operator").toHaveValue("endswith");
    expect(".o_wf_condition_leaf[data-path='or[1].and[2]'] .o_wf_leaf_scope").toHaveValue("event");
    expect(queryAllTexts(".o_wf_condition_leaf[data-path='or[0].not'] .o_wf_value_item")).toEqual(["Won", "Lost"]);

    await contains(".o_wf_mode_raw").click();
    expect(".o_wf_json_text").toHaveValue(JSON.stringify(conditions, null, 2));
    await contains(".o_wf_mode_structured").click();

    await contains(".o_wf_condition_leaf[data-path='or[1].and[0]'] .o_wf_value_number").edit("2000");
    await clickSave();
    const changed = structuredClone(conditions);
    changed.or[1].and[0].value = 2000;
    expect.verifySteps([JSON.stringify(changed)]);
});

test("invalid JSON typed by hand is refused with the validation message before saving", async () => {
    onRpc("workflow.trigger", "web_save", () => expect.step("web_save"));
    await mountView({ type: "form", resModel: "workflow.trigger", resId: 1, arch: FORM });
    await contains(".o_wf_mode_raw").click();

    await contains(".o_wf_json_text").edit('{"field": "amount", "operator": "gte" "value": 1}');
    expect(".o_wf_json_error").toHaveText(
        "Invalid conditions: conditions: invalid JSON at line 1 column 38: Expecting ',' delimiter"
    );
    expect(".o_field_widget[name=conditions]").toHaveClass("o_field_invalid");
    expect(".o_form_button_save").not.toBeEnabled();

    await contains(".o_wf_json_text").edit('{"field": "amount", "operator": "equals", "value": 1}');
    expect(".o_wf_json_error").toHaveText("Invalid conditions: <root>: unknown operator 'equals'");
    await contains(".o_wf_mode_structured").click();
    expect(".o_wf_json_text").toHaveCount(1);
    expect(".o_form_button_save").not.toBeEnabled();

    await contains(".o_wf_json_text").edit('{"field": "amount", "operator": "gte", "value": 1}');
    await contains(".o_wf_mode_structured").click();
    expect(".o_wf_json_error").toHaveCount(0);
    expect(".o_wf_condition_leaf .o_wf_leaf_operator").toHaveValue("gte");
    expect.verifySteps([]);
    await clickSave();
    expect.verifySteps(["web_save"]);
});

test("raw JSON still being typed is checked when the record is saved", async () => {
    onRpc("workflow.trigger", "web_save", ({ args }) => expect.step(JSON.stringify(args[1].conditions)));
    await mountView({ type: "form", resModel: "workflow.trigger", resId: 1, arch: FORM });
    await contains(".o_wf_mode_raw").click();

    await contains(".o_wf_json_text").fill('{"field": "name", "operator": "eq", "value": "x"}', { confirm: false });
    await clickSave();
    expect.verifySteps([JSON.stringify({ field: "name", operator: "eq", value: "x" })]);
});

test("operators and values fit the field's type", async () => {
    WorkflowTrigger._records[0].conditions = JSON.stringify({ field: "priority", operator: "eq", value: "3" });
    await mountView({ type: "form", resModel: "workflow.trigger", resId: 1, arch: FORM });

    expect(queryAllTexts(".o_wf_leaf_operator option")).toEqual(["=", "≠", "is in", "is not in", "is set", "is not set"]);
    expect(".o_wf_value[data-input=selection] select").toHaveValue("3");
    await contains(".o_wf_leaf_operator").select("in");
    expect(".o_wf_value[data-input=checkboxes] input:checked").toHaveCount(1);

    await pickField("<root>", "stage_id");
    expect(".o_wf_leaf_operator").toHaveValue("in");
    expect(".o_wf_value[data-input=records] .o_multi_record_selector").toHaveCount(1);
    await contains(".o_wf_leaf_operator").select("eq");
    expect(".o_wf_value[data-input=record] .o_record_selector").toHaveCount(1);
    await pickField("<root>", "date_deadline");
    expect(".o_wf_value[data-input=date] .o_datetime_input").toHaveCount(1);
    expect(queryAllTexts(".o_wf_leaf_operator option")).toInclude("≥");
    await pickField("<root>", "name");
    expect(queryAllTexts(".o_wf_leaf_operator option")).toInclude("starts with");
});

test("a value typed just before a click elsewhere lands in its condition", async () => {
    savedConditions();
    WorkflowTrigger._records[0].conditions = JSON.stringify({ field: "expected_revenue", operator: "gte", value: 10 });
    await mountView({ type: "form", resModel: "workflow.trigger", resId: 1, arch: FORM });

    const input = queryOne(".o_wf_value_number");
    input.value = "75000";
    // The group is added before the value's "change" arrives, and neither is rendered yet.
    queryOne(".o_wf_condition_builder > .d-flex > .o_wf_add_group").click();
    input.dispatchEvent(new Event("change"));
    await animationFrame();
    await pickField("and[1].or[0]", "name");
    await clickSave();
    expect.verifySteps([
        JSON.stringify({
            and: [
                { field: "expected_revenue", operator: "gte", value: 75000 },
                { or: [{ field: "name", operator: "eq", value: "" }] },
            ],
        }),
    ]);
});

test("removing and negating conditions", async () => {
    savedConditions();
    WorkflowTrigger._records[0].conditions = JSON.stringify({
        and: [
            { field: "name", operator: "contains", value: "Acme" },
            { field: "email_from", operator: "ne", value: null },
        ],
    });
    await mountView({ type: "form", resModel: "workflow.trigger", resId: 1, arch: FORM });

    await contains(".o_wf_condition_leaf[data-path='and[0]'] .o_wf_negate").click();
    expect(".o_wf_condition_not[data-path='and[0]']").toHaveCount(1);
    await contains(".o_wf_condition_leaf[data-path='and[1]'] .o_wf_remove").click();
    await contains(".o_wf_group_kind").select("or");
    await clickSave();
    expect.verifySteps([
        JSON.stringify({ or: [{ not: { field: "name", operator: "contains", value: "Acme" } }] }),
    ]);
});
