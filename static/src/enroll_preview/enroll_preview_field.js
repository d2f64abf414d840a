import { Component } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { standardFieldProps } from "@web/views/fields/standard_field_props";

/**
 * What enrolling records would do (``workflow.workflow.enroll`` with ``dry_run``): how many
 * records the workflow's conditions accept, the first of them and a few they reject, each with
 * the comparison that decided, or why the enrollment is refused.
 */
export class EnrollPreviewField extends Component {
    static template = "workflow_engine.EnrollPreviewField";
    static props = { ...standardFieldProps };

    get preview() {
        return this.props.record.data[this.props.name] || null;
    }
}

registry.category("fields").add("workflow_enroll_preview", {
    component: EnrollPreviewField,
    displayName: _t("Workflow Enrollment Preview"),
    supportedTypes: ["json"],
});
