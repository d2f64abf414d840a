import { expect, test } from "@odoo/hoot";
import { queryAllTexts } from "@odoo/hoot-dom";
import { defineModels, fields, models } from "@web/../tests/web_test_helpers";
import { defineWorkflowModels, showJsonField } from "./workflow_test_helpers";

class WorkflowEnrollWizard extends models.Model {
    _name = "workflow.enroll.wizard";

    preview = fields.Json();
}

defineWorkflowModels();
defineModels([WorkflowEnrollWizard]);

const PREVIEW = {
    count: 42,
    records: [
        { id: 7, display_name: "Acme", accepted: true, explanation: "and: all held (true)" },
        { id: 9, display_name: "Globex", accepted: true, explanation: "and: all held (true)" },
    ],
    rejected_count: 3,
    rejected: [
        {
            id: 8,
            display_name: "Small shop",
            accepted: false,
            explanation: "and[0]: expected_revenue gte 50000 → actual 10.0 (false)",
        },
    ],
};

function showPreview(preview) {
    return showJsonField(WorkflowEnrollWizard, "preview", "workflow_enroll_preview", preview);
}

test("counts the records the conditions accept and shows why the conditions reject the others", async () => {
    await showPreview({ ...PREVIEW, left_out_count: 2 });
    expect(".o_wf_enroll_preview_count").toHaveText(/^42 records would be enrolled/);
    expect(".o_wf_enroll_preview_rejected_count").toHaveText(/^3 records are left out/);
    expect(".o_wf_enroll_preview_left_out").toHaveText(/^2 of the selected records/);
    expect(queryAllTexts(".o_wf_enroll_preview_accepted .o_wf_enroll_name")).toEqual(["Acme", "Globex"]);
    expect(".o_wf_enroll_preview_rejected tr[data-id='8'] .o_wf_enroll_explanation").toHaveText(
        "and[0]: expected_revenue gte 50000 → actual 10.0 (false)"
    );
    expect(".o_wf_enroll_preview").toHaveText(/Accepted \(the first 2\)/);
    expect(".o_wf_enroll_preview").toHaveText(/Rejected \(the first 1\), and why/);
});

test("nothing accepted, nothing rejected", async () => {
    await showPreview({ count: 0, records: [], rejected_count: 0, rejected: [] });
    expect(".o_wf_enroll_preview_verdict").toHaveClass("alert-warning");
    expect(".o_wf_enroll_preview_rejected_count").toHaveCount(0);
    expect(".o_wf_enroll_preview_left_out").toHaveCount(0);
    expect(".o_wf_enroll_preview_accepted, .o_wf_enroll_preview_rejected").toHaveCount(0);
});

test("shows why the enrollment is refused", async () => {
    await showPreview({ error: "domain[0]: unknown field 'nope' on crm.lead." });
    expect(".o_wf_enroll_preview_error").toHaveText("domain[0]: unknown field 'nope' on crm.lead.");
});

test("asks for a workflow first", async () => {
    await showPreview(false);
    expect(".o_wf_enroll_preview_empty").toHaveCount(1);
});
