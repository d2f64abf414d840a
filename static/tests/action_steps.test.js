import { beforeEach, expect, test } from "@odoo/hoot";
import { queryAllTexts } from "@odoo/hoot-dom";
import { contains, mountView, onRpc } from "@web/../tests/web_test_helpers";
import { WorkflowAction, WorkflowWorkflow, defineWorkflowModels, mockWorkflowServer } from "./workflow_test_helpers";

defineWorkflowModels();

const FORM = `
    <form>
        <field name="name"/>
        <field name="action_ids">
            <list>
                <field name="ordering" widget="handle"/>
                <field name="name" widget="workflow_action_step"/>
                <field name="key" column_invisible="1"/>
                <field name="conditions" column_invisible="1"/>
                <field name="action_type"/>
                <field name="config" column_invisible="1"/>
            </list>
            <form>
                <field name="name"/>
                <field name="action_type"/>
                <field name="key"/>
                <field name="ordering"/>
                <field name="config" widget="workflow_action_config"/>
            </form>
        </field>
    </form>`;

/** A split and a webhook that the note reads, the note, and a notification no step reads. */
beforeEach(() => {
    mockWorkflowServer();
    // The mock server stores JSON fields as text: the workflow's actions are read as the server sends them.
    onRpc("workflow.workflow", "web_read", ({ parent }) => {
        const workflows = parent();
        for (const action of workflows.flatMap((workflow) => workflow.action_ids)) {
            for (const name of ["config", "conditions"]) {
                if (typeof action[name] === "string") {
                    action[name] = JSON.parse(action[name]);
                }
            }
        }
        return workflows;
    });
    WorkflowWorkflow._records = [{ id: 1, name: "Score and split", action_ids: [1, 2, 3, 4] }];
    WorkflowAction._records = [
        { id: 1, workflow_id: 1, ordering: 1, name: "Split", action_type: "split", key: "ab",
          config: JSON.stringify({ variants: { A: 50, B: 50 } }), conditions: false },
        { id: 2, workflow_id: 1, ordering: 2, name: "Score", action_type: "call_webhook", key: "enrich",
          config: JSON.stringify({ url: "https://score.example.com/" }), conditions: false },
        { id: 3, workflow_id: 1, ordering: 3, name: "Note", action_type: "add_note", key: false,
          config: JSON.stringify({ note: "Score {{steps.enrich.output.json.score}}" }),
          conditions: JSON.stringify({ field: "steps.ab.output.variant", operator: "eq", value: "B" }) },
        { id: 4, workflow_id: 1, ordering: 4, name: "Tell", action_type: "send_notification", key: "tell",
          config: JSON.stringify({ recipient: "admin", message: "Done" }), conditions: false },
    ];
});

async function mountWorkflow() {
    await mountView({ type: "form", resModel: "workflow.workflow", resId: 1, arch: FORM });
}

test("the action list shows 'if ...' under a conditional action and the keys other steps read", async () => {
    await mountWorkflow();
    expect(queryAllTexts(".o_wf_action_step_name")).toEqual(["Split", "Score", "Note", "Tell"]);
    // "ab" and "enrich" are read by the note; "tell" by no other step.
    expect(queryAllTexts(".o_wf_action_step_key")).toEqual(["ab", "enrich"]);
    expect(".o_data_row:eq(3) .o_wf_action_step_key").toHaveCount(0);
    expect(queryAllTexts(".o_wf_action_step_if")).toEqual(['if steps.ab.output.variant = "B"']);
    expect(".o_data_row:eq(2) .o_wf_action_step_if").toHaveCount(1);
});

test("placeholders offer the state and outputs of the earlier steps with a key only", async () => {
    await mountWorkflow();
    await contains(".o_data_row:eq(2) .o_data_cell:eq(1)").click();
    await contains(".modal .o_wf_config_key[data-key=note] .o_wf_placeholder_button").click();
    const steps = queryAllTexts(".o_wf_placeholder_shortcut").filter((text) => text.startsWith("{{steps."));
    expect(steps).toEqual([
        "{{steps.ab.state}}",
        "{{steps.ab.output.variant}}",
        "{{steps.enrich.state}}",
        "{{steps.enrich.output.json}}",
        "{{steps.enrich.output.status}}",
        "{{steps.enrich.output.body}}",
    ]);
    await contains(".o_wf_placeholder_shortcut:contains({{steps.enrich.output.json}})").click();
    expect(".modal .o_wf_config_key[data-key=note] textarea").toHaveValue(
        "Score {{steps.enrich.output.json.score}} {{steps.enrich.output.json}}"
    );
    await contains(".modal .o_form_button_cancel").click();

    // The last step: not its own key either.
    await contains(".o_data_row:eq(3) .o_data_cell:eq(1)").click();
    await contains(".modal .o_wf_config_key[data-key=message] .o_wf_placeholder_button").click();
    const last = queryAllTexts(".o_wf_placeholder_shortcut").filter((text) => text.startsWith("{{steps."));
    expect(last).not.toInclude("{{steps.tell.state}}");
    expect(last).toInclude("{{steps.ab.output.variant}}");
});
