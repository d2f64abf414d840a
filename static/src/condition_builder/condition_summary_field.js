import { Component } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { standardFieldProps } from "@web/views/fields/standard_field_props";
import { describeCondition } from "./condition_tree";

/** The conditions of a trigger in one line, for lists. */
export class ConditionSummaryField extends Component {
    static template = "workflow_engine.ConditionSummaryField";
    static props = { ...standardFieldProps };

    get summary() {
        return describeCondition(this.props.record.data[this.props.name] || null);
    }
}

registry.category("fields").add("workflow_condition_summary", {
    component: ConditionSummaryField,
    displayName: _t("Workflow Condition Summary"),
    supportedTypes: ["json"],
});
