import { Component } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { standardFieldProps } from "@web/views/fields/standard_field_props";
import { formatLiteral } from "../condition_builder/condition_value_input";

/** The configuration of an action in one line, for lists: ``key: value · key: value``. */
export class ConfigSummaryField extends Component {
    static template = "workflow_engine.ConfigSummaryField";
    static props = { ...standardFieldProps };

    get summary() {
        const config = this.props.record.data[this.props.name] || {};
        return Object.entries(config)
            .map(([key, value]) => `${key}: ${formatLiteral(value)}`)
            .join(" · ");
    }
}

registry.category("fields").add("workflow_config_summary", {
    component: ConfigSummaryField,
    displayName: _t("Workflow Action Configuration Summary"),
    supportedTypes: ["json"],
});
