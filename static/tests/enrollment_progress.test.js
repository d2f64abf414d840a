import { expect, test } from "@odoo/hoot";
import { waitFor } from "@odoo/hoot-dom";
import { animationFrame } from "@odoo/hoot-mock";
import {
    MockServer,
    authenticate,
    defineModels,
    fields,
    makeMockServer,
    models,
    mountView,
    onRpc,
    serverState,
} from "@web/../tests/web_test_helpers";
import { defineWorkflowModels } from "./workflow_test_helpers";

class WorkflowEnrollment extends models.Model {
    _name = "workflow.enrollment";

    total = fields.Integer();
    queued = fields.Integer();
    done = fields.Integer();
    failed = fields.Integer();
    state = fields.Selection({
        selection: [
            ["running", "Running"],
            ["done", "Done"],
            ["cancelled", "Cancelled"],
        ],
    });
    progress = fields.Float();
}

const ENROLLMENTS = [
    { id: 1, total: 10, queued: 6, done: 4, failed: 1, state: "running", progress: 40 },
    { id: 2, total: 5, queued: 5, done: 0, failed: 0, state: "running", progress: 0 },
];

defineWorkflowModels();
defineModels([WorkflowEnrollment]);

async function showEnrollment(resId, records = ENROLLMENTS) {
    WorkflowEnrollment._records = records.map((record) => ({ ...record }));
    // The bus delivers to the partner of the user logged in.
    const { env } = await makeMockServer();
    const [user] = env["res.users"].search_read([["id", "=", serverState.userId]]);
    authenticate(user.login, user.password);
    await mountView({
        type: "form",
        resModel: "workflow.enrollment",
        resId,
        arch: `<form><field name="state" readonly="1"/><field name="progress" widget="workflow_enrollment_progress"/></form>`,
    });
}

/** What the server sends on the bus to the enrolling user's partner after a settled batch. */
function sendProgress(payload) {
    const env = MockServer.env;
    const [partner] = env["res.partner"].read(serverState.partnerId);
    env["bus.bus"]._sendone(partner, "workflow_enrollment_progress", payload);
}

function widthOf(selector) {
    return document.querySelector(selector).style.width;
}

test("the bar shows the done runs over the total, the failed ones in red", async () => {
    await showEnrollment(1);
    expect(".o_wf_enrollment_done").toHaveText("4 / 10 done");
    expect(".o_wf_enrollment_failed_count").toHaveText("1 failed");
    expect(".o_wf_enrollment_failed_count").toHaveClass("text-danger");
    expect(".o_wf_enrollment_queued").toHaveText("6 queued");
    expect(widthOf(".o_wf_enrollment_done_bar")).toBe("40%");
    expect(".o_wf_enrollment_failed_bar").toHaveClass("bg-danger");
    expect(widthOf(".o_wf_enrollment_failed_bar")).toBe("10%");
});

test("no failed run: nothing red; an empty enrollment draws an empty bar", async () => {
    await showEnrollment(1, [{ id: 1, total: 0, queued: 0, done: 0, failed: 0, state: "done", progress: 100 }]);
    expect(".o_wf_enrollment_done").toHaveText("0 / 0 done");
    expect(".o_wf_enrollment_failed_count").not.toHaveClass("text-danger");
    expect(".o_wf_enrollment_queued").toHaveCount(0);
    expect(widthOf(".o_wf_enrollment_done_bar")).toBe("0%");
});

test("follows the bus notifications of its own enrollment, without reading the record again", async () => {
    const reads = [];
    onRpc("workflow.enrollment", "web_read", ({ args }) => {
        reads.push(args[0]);
    });
    await showEnrollment(1);
    expect(reads).toEqual([[1]]);

    sendProgress({ id: 2, total: 5, queued: 0, done: 5, failed: 5, state: "done", progress: 100 });
    sendProgress({ id: 1, total: 10, queued: 2, done: 5, failed: 3, state: "running", progress: 80 });
    await waitFor(".o_wf_enrollment_done:contains('5 / 10 done')");
    expect(".o_wf_enrollment_failed_count").toHaveText("3 failed");
    expect(".o_wf_enrollment_queued").toHaveText("2 queued");
    expect(widthOf(".o_wf_enrollment_done_bar")).toBe("50%");
    expect(widthOf(".o_wf_enrollment_failed_bar")).toBe("30%");
    expect(reads).toEqual([[1]]);
    expect(".o_notification").toHaveCount(0);
});

test("when its enrollment is done, tells the user and reads the record again", async () => {
    const reads = [];
    onRpc("workflow.enrollment", "web_read", ({ args }) => {
        reads.push(args[0]);
    });
    await showEnrollment(1);
    // The server has settled the last batch: the record read again says so too.
    MockServer.env["workflow.enrollment"].write([1], { queued: 0, done: 8, failed: 2, state: "done", progress: 100 });
    sendProgress({ id: 1, total: 10, queued: 0, done: 8, failed: 2, state: "done", progress: 100 });
    await waitFor(".o_notification:contains('Enrollment finished')");
    expect(".o_notification").toHaveText(/10 records: 8 done, 2 failed\./);
    await animationFrame();
    expect(reads).toEqual([[1], [1]]);
    expect(".o_field_widget[name=state]").toHaveText("Done");
    expect(".o_wf_enrollment_progress").toHaveAttribute("data-state", "done");
    expect(widthOf(".o_wf_enrollment_done_bar")).toBe("80%");
    expect(widthOf(".o_wf_enrollment_failed_bar")).toBe("20%");

    // A late duplicate of the last notification says nothing more.
    sendProgress({ id: 1, total: 10, queued: 0, done: 8, failed: 2, state: "done", progress: 100 });
    await animationFrame();
    expect(".o_notification").toHaveCount(1);
});
