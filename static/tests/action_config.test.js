import { beforeEach, expect, test } from "@odoo/hoot";
import { queryAllTexts, waitFor } from "@odoo/hoot-dom";
import { clickSave, contains, mountView, onRpc } from "@web/../tests/web_test_helpers";
import { WorkflowAction, defineWorkflowModels, mockWorkflowServer } from "./workflow_test_helpers";

defineWorkflowModels();

const FORM = `
    <form>
        <field name="name"/>
        <field name="action_type"/>
        <field name="config" widget="workflow_action_config"/>
    </form>`;

function checkConfig(config, actionType) {
    if (typeof config === "string") {
        try {
            config = JSON.parse(config);
        } catch {
            return "Invalid configuration: config: invalid JSON at line 1 column 2: Expecting property name";
        }
    }
    if (actionType === "add_note" && !config?.note) {
        return "Invalid configuration of action 'Note': config: missing required key 'note'";
    }
    return false;
}

function savedConfig() {
    onRpc("workflow.action", "web_save", ({ args }) => {
        expect.step(JSON.stringify(args[1].config));
    });
}

beforeEach(() => {
    mockWorkflowServer({ check: checkConfig });
    WorkflowAction._records = [{ id: 1, name: "Note", action_type: "add_note", config: JSON.stringify({ note: "Hello" }) }];
});

test("an action's configuration is a form of its type's keys", async () => {
    savedConfig();
    await mountView({ type: "form", resModel: "workflow.action", resId: 1, arch: FORM });

    expect(queryAllTexts(".o_wf_config_key label")).toEqual(["Note *", "Acts on", "Record ID", "Visibility"]);
    expect(".o_wf_config_key[data-key=note] textarea").toHaveValue("Hello");
    expect(".o_wf_config_key[data-key=visibility] select option:first").toHaveText("(internal)");

    await contains(".o_wf_config_key[data-key=visibility] select").select("public");
    await contains(".o_wf_config_key[data-key=entity_id] input").edit("{{lead.id}}");
    await contains(".o_wf_config_key[data-key=entity_id] input").clear();
    await clickSave();
    expect.verifySteps([JSON.stringify({ note: "Hello", visibility: "public" })]);
});

test("placeholders of the trigger's context are offered in texts, inserted where the cursor is", async () => {
    savedConfig();
    await mountView({ type: "form", resModel: "workflow.action", resId: 1, arch: FORM });

    await contains(".o_wf_config_key[data-key=note] .o_wf_placeholder_button").click();
    expect(queryAllTexts(".o_wf_placeholder_root option")).toEqual(["Lead/Opportunity", "Run-as user", "Company"]);
    expect(".o_wf_placeholder_shortcut:contains({{today+2}})").toHaveCount(1);
    await contains(".o_model_field_selector_popover_item[data-name=name] .o_model_field_selector_popover_item_name").click();
    expect(".o_wf_config_key[data-key=note] textarea").toHaveValue("Hello {{lead.name}}");

    await contains(".o_wf_config_key[data-key=entity_id] .o_wf_placeholder_button").click();
    await contains(".o_wf_placeholder_shortcut:contains({{lead.id}})").click();
    await clickSave();
    expect.verifySteps([JSON.stringify({ note: "Hello {{lead.name}}", entity_id: "{{lead.id}}" })]);
});

test("update_field picks the field to write and offers the values it takes", async () => {
    savedConfig();
    WorkflowAction._records[0] = { id: 1, name: "Qualify", action_type: "update_field", config: JSON.stringify({ field: "", value: "" }) };
    await mountView({ type: "form", resModel: "workflow.action", resId: 1, arch: FORM });

    await contains(".o_wf_config_key[data-key=field] .o_model_field_selector").click();
    expect(".o_model_field_selector_popover_item_relation").toHaveCount(0);
    await contains(".o_model_field_selector_popover_item[data-name=priority] .o_model_field_selector_popover_item_name").click();
    await waitFor(".o_wf_config_key[data-key=value] select");
    expect(queryAllTexts(".o_wf_config_key[data-key=value] select option")).toEqual([
        "",
        "Low",
        "Medium",
        "High",
        "Very High",
    ]);
    await contains(".o_wf_config_key[data-key=value] select").select("3");
    await clickSave();
    expect.verifySteps([JSON.stringify({ field: "priority", value: "3" })]);
});

test("the raw JSON is refused with the validation message until it is valid", async () => {
    onRpc("workflow.action", "web_save", () => expect.step("web_save"));
    await mountView({ type: "form", resModel: "workflow.action", resId: 1, arch: FORM });
    await contains(".o_wf_mode_raw").click();
    expect(".o_wf_json_text").toHaveValue(JSON.stringify({ note: "Hello" }, null, 2));

    await contains(".o_wf_json_text").edit('{"visibility": "public"}');
    expect(".o_wf_json_error").toHaveText("Invalid configuration of action 'Note': config: missing required key 'note'");
    expect(".o_form_button_save").not.toBeEnabled();
    expect.verifySteps([]);

    await contains(".o_wf_json_text").edit('{"note": "Bye"}');
    await contains(".o_wf_mode_structured").click();
    expect(".o_wf_config_key[data-key=note] textarea").toHaveValue("Bye");
    await clickSave();
    expect.verifySteps(["web_save"]);
});
