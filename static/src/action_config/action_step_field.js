import { Component } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { standardFieldProps } from "@web/views/fields/standard_field_props";
import { describeCondition } from "../condition_builder/condition_tree";

/** Whether ``value`` (a config or conditions, as JSON) reads the step ``key`` (steps.<key>...). */
function readsStep(value, key) {
    return new RegExp(`\\bsteps\\.${key}\\b`).test(JSON.stringify(value ?? null));
}

/**
 * An action's name in the workflow's action list, with "if ..." under it when it has
 * conditions, and its key when another action of the workflow reads its outputs.
 */
export class ActionStepField extends Component {
    static template = "workflow_engine.ActionStepField";
    static props = { ...standardFieldProps };

    get data() {
        return this.props.record.data;
    }

    get conditionSummary() {
        return this.data.conditions ? _t("if %s", describeCondition(this.data.conditions)) : "";
    }

    /** The key, when the config or conditions of another action of the workflow read it. */
    get usedKey() {
        const key = this.data.key;
        const siblings = this.props.record._parentRecord?.data.action_ids?.records || [];
        const used = key && siblings.some((action) => action.id !== this.props.record.id
            && (readsStep(action.data.config, key) || readsStep(action.data.conditions, key)));
        return used ? key : "";
    }
}

registry.category("fields").add("workflow_action_step", {
    component: ActionStepField,
    displayName: _t("Workflow Action Step"),
    supportedTypes: ["char"],
});
