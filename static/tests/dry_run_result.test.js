import { expect, test } from "@odoo/hoot";
import { queryAllTexts } from "@odoo/hoot-dom";
import { defineModels, fields, models } from "@web/../tests/web_test_helpers";
import { defineWorkflowModels, showJsonField } from "./workflow_test_helpers";

class WorkflowDryRunWizard extends models.Model {
    _name = "workflow.dry.run.wizard";

    result = fields.Json();
}

defineWorkflowModels();
defineModels([WorkflowDryRunWizard]);

const EXPLAINED = {
    holds: false,
    trigger_id: 3,
    trigger_name: "Lead created",
    conditions: {
        and: [
            { field: "expected_revenue", operator: "gte", value: 50000 },
            { field: "email_from", operator: "ne", value: null },
        ],
    },
    explanation: {
        result: false,
        decisive: { path: "and[0]", field: "expected_revenue", operator: "gte", expected: 50000, actual: 10, result: false },
        leaves: [{ path: "and[0]", field: "expected_revenue", operator: "gte", expected: 50000, actual: 10, result: false }],
        summary: "and[0]: expected_revenue gte 50000 → actual 10 (false)",
    },
    actions: [
        { id: 1, name: "Qualify", action_type: "update_field", input: { field: "stage_id", value: "Qualified" } },
        { id: 2, name: "Notify", action_type: "send_notification", error: "message: undefined variable 'lead.typo'" },
    ],
};

function showResult(result) {
    return showJsonField(WorkflowDryRunWizard, "result", "workflow_dry_run_result", result);
}

test("shows which comparison decided, with the values compared, and what each action would get", async () => {
    await showResult(EXPLAINED);

    expect(".o_wf_dry_run_verdict").toHaveClass("o_wf_does_not_hold");
    expect(".o_wf_dry_run_summary").toHaveText("and[0]: expected_revenue gte 50000 → actual 10 (false)");
    expect(".o_wf_dry_run_leaf[data-path='and[0]']").toHaveAttribute("data-status", "failed");
    expect(".o_wf_dry_run_leaf[data-path='and[0]'] .o_wf_dry_run_actual").toHaveText("10");
    expect(".o_wf_dry_run_leaf[data-path='and[0]'] .o_wf_dry_run_decisive").toHaveCount(1);
    expect(".o_wf_dry_run_leaf[data-path='and[1]']").toHaveAttribute("data-status", "skipped");
    expect(queryAllTexts(".o_wf_dry_run_action[data-action-type=update_field] .o_wf_dry_run_input th")).toEqual([
        "field",
        "value",
    ]);
    expect(".o_wf_dry_run_action[data-action-type=send_notification] .o_wf_dry_run_action_error").toHaveText(
        "message: undefined variable 'lead.typo'"
    );
});

test("a workflow whose conditions hold, and one without conditions", async () => {
    await showResult({
        ...EXPLAINED,
        holds: true,
        conditions: null,
        explanation: { result: true, decisive: null, leaves: [], summary: "no condition (true)" },
        actions: [],
    });
    expect(".o_wf_dry_run_verdict").toHaveClass("o_wf_holds");
    expect(".o_wf_dry_run_leaf").toHaveCount(0);
    expect(".o_wf_dry_run").toHaveText(/No condition: the workflow always runs/);
});

test("an error of the test itself, and no record picked yet", async () => {
    await showResult({ error: "The payload must be a JSON object." });
    expect(".o_wf_dry_run_error").toHaveText("The payload must be a JSON object.");
});

test("asks for a record first", async () => {
    await showResult(false);
    expect(".o_wf_dry_run_empty").toHaveCount(1);
});

test("says whether the workflow's exit conditions hold for the record", async () => {
    await showResult({
        ...EXPLAINED,
        exit_conditions: { field: "stage_id.is_won", operator: "eq", value: true },
        exits: true,
        exit_explanation: { result: true, summary: "stage_id.is_won eq true → actual true (true)" },
    });
    expect(".o_wf_dry_run_exit").toHaveClass("o_wf_exits");
    expect(".o_wf_dry_run_exit").toHaveText(/They hold: a run of this record would exit after its next wait./);
    expect(".o_wf_dry_run_exit .small").toHaveText("stage_id.is_won eq true → actual true (true)");
});

test("shows no exit section for a workflow without exit conditions", async () => {
    await showResult({ ...EXPLAINED, exit_conditions: null, exits: false, exit_explanation: null });
    expect(".o_wf_dry_run_exit").toHaveCount(0);
});

test("shows each action's conditions, a split's variant and the values known only at run time", async () => {
    await showResult({
        ...EXPLAINED,
        holds: true,
        actions: [
            { id: 1, name: "Split", action_type: "split", input: { variants: { A: 50, B: 50 } }, variant: "B" },
            {
                id: 2, name: "Cold", action_type: "add_note", input: { note: "cold" },
                condition: { holds: false, summary: "probability gte 50 → actual 10 (false)" },
            },
            {
                id: 3, name: "Branch", action_type: "add_note", input: { note: "variant B" },
                condition: { holds: true, summary: "steps.ab.output.variant eq 'B' → actual 'B' (true)" },
            },
            {
                id: 4, name: "Later", action_type: "update_field",
                input: { field: "probability", value: "(known at run time)" },
                condition: { holds: null, summary: "known at run time: the conditions read steps.raise" },
                known_at_run_time: ["config.value"],
            },
        ],
    });
    expect(".o_wf_dry_run_action:eq(0) .o_wf_dry_run_variant").toHaveText("variant B");
    expect(".o_wf_dry_run_action:eq(0) .o_wf_dry_run_action_condition").toHaveCount(0);
    expect(".o_wf_dry_run_action:eq(1) .o_wf_dry_run_action_condition").toHaveAttribute("data-status", "does_not_hold");
    expect(".o_wf_dry_run_action:eq(1) .o_wf_dry_run_action_condition").toHaveText(
        /do not hold.*probability gte 50 → actual 10 \(false\)/
    );
    expect(".o_wf_dry_run_action:eq(2) .o_wf_dry_run_action_condition").toHaveAttribute("data-status", "holds");
    expect(".o_wf_dry_run_action:eq(3) .o_wf_dry_run_action_condition").toHaveAttribute("data-status", "run_time");
    expect(".o_wf_dry_run_action:eq(3) .o_wf_known_at_run_time th").toHaveText("value");
    expect(".o_wf_dry_run_action:eq(3) .o_wf_known_at_run_time td").toHaveText(/known at run time/);
    expect(".o_wf_dry_run_action:eq(3) .o_wf_dry_run_input tr:not(.o_wf_known_at_run_time) td").toHaveText(
        "probability"
    );
});
