import { Component, onWillDestroy, onWillUpdateProps, useState } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";
import { standardFieldProps } from "@web/views/fields/standard_field_props";

export const PROGRESS_NOTIFICATION = "workflow_enrollment_progress";
const COUNTERS = ["total", "queued", "done", "failed", "state"];

/**
 * The progress of an enrollment: its runs that ended well (done) and those that failed, in red,
 * over the records it selected (total).
 * The server sends ``workflow_enrollment_progress`` on the bus at each settled batch, so the bar
 * follows the runs as they drain without reloading the page; once the enrollment is done the
 * record is read again (its state, end date and buttons change) and the user is told.
 */
export class EnrollmentProgressField extends Component {
    static template = "workflow_engine.EnrollmentProgressField";
    static props = { ...standardFieldProps };

    setup() {
        this.notification = useService("notification");
        this.busService = useService("bus_service");
        this.counters = useState(this.countersOf(this.props.record.data));
        onWillUpdateProps((nextProps) => Object.assign(this.counters, this.countersOf(nextProps.record.data)));
        const onProgress = (payload) => this.onProgress(payload);
        this.busService.subscribe(PROGRESS_NOTIFICATION, onProgress);
        onWillDestroy(() => this.busService.unsubscribe(PROGRESS_NOTIFICATION, onProgress));
    }

    countersOf(values) {
        return Object.fromEntries(COUNTERS.map((key) => [key, values[key]]));
    }

    /** Width of a part of the bar, in percent of the total. */
    share(count) {
        return this.counters.total ? Math.min(100, (100 * count) / this.counters.total) : 0;
    }

    async onProgress(payload) {
        const record = this.props.record;
        if (payload.id !== record.resId) {
            return;
        }
        const wasRunning = this.counters.state === "running";
        Object.assign(this.counters, this.countersOf(payload));
        if (!wasRunning || payload.state === "running") {
            return;
        }
        if (payload.state === "done") {
            this.notification.add(
                _t("%(total)s records: %(done)s done, %(failed)s failed.", payload),
                { title: _t("Enrollment finished"), type: payload.failed ? "warning" : "success" }
            );
        }
        if (!record.dirty) {
            await record.load();
        }
    }
}

registry.category("fields").add("workflow_enrollment_progress", {
    component: EnrollmentProgressField,
    displayName: _t("Workflow Enrollment Progress"),
    supportedTypes: ["float"],
    fieldDependencies: [
        { name: "total", type: "integer" },
        { name: "queued", type: "integer" },
        { name: "done", type: "integer" },
        { name: "failed", type: "integer" },
        { name: "state", type: "selection" },
    ],
});
