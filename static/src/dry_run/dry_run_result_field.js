import { Component } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { standardFieldProps } from "@web/views/fields/standard_field_props";
import { ROOT_PATH, childPath, leafOperator, nodeKind, OPERATOR_LABELS } from "../condition_builder/condition_tree";
import { formatLiteral } from "../condition_builder/condition_value_input";

/** One node of the explained conditions, each leaf with the values it compared. */
export class DryRunCondition extends Component {
    static template = "workflow_engine.DryRunCondition";
    static props = {
        node: Object,
        path: String,
        leaves: Object,
        decisivePath: { type: [String, { value: null }] },
    };

    get kind() {
        return nodeKind(this.props.node);
    }

    get leafPath() {
        return this.props.path || ROOT_PATH;
    }

    /** The engine's result for this leaf, or undefined when evaluation stopped before it. */
    get outcome() {
        return this.props.leaves[this.leafPath];
    }

    get status() {
        if (!this.outcome) {
            return "skipped";
        }
        return this.outcome.result ? "passed" : "failed";
    }

    get operatorLabel() {
        const operator = leafOperator(this.props.node);
        return OPERATOR_LABELS[operator] || operator;
    }

    get hasExpected() {
        return !["set", "not_set"].includes(leafOperator(this.props.node));
    }

    childPathAt(step) {
        return childPath(this.props.path, step);
    }

    shown(value) {
        return formatLiteral(value);
    }
}

DryRunCondition.components = { DryRunCondition };

/**
 * The result of ``workflow.workflow.dry_run``: whether the conditions hold, which
 * comparison decided and the values compared, then each action's rendered input, whether its
 * own conditions hold, a split's variant and the values known only at run time.
 */
export class DryRunResultField extends Component {
    static template = "workflow_engine.DryRunResultField";
    static components = { DryRunCondition };
    static props = { ...standardFieldProps };

    get result() {
        return this.props.record.data[this.props.name] || null;
    }

    get leaves() {
        return Object.fromEntries(this.result.explanation.leaves.map((leaf) => [leaf.path, leaf]));
    }

    get decisivePath() {
        return this.result.explanation.decisive?.path || null;
    }

    /** "holds", "does_not_hold" or "run_time" (the conditions read a step only a run knows). */
    conditionStatus(action) {
        const holds = action.condition.holds;
        return holds === true ? "holds" : holds === false ? "does_not_hold" : "run_time";
    }

    /** Whether the input key ``key`` (or a value inside it) reads a step known only at run time. */
    isKnownAtRunTime(action, key) {
        return (action.known_at_run_time || []).some(
            (path) => path === `config.${key}` || path.startsWith(`config.${key}.`) || path.startsWith(`config.${key}[`)
        );
    }

    inputEntries(action) {
        return Object.entries(action.input || {}).map(([key, value]) => [
            key,
            typeof value === "string" ? value : JSON.stringify(value, null, 2),
        ]);
    }
}

registry.category("fields").add("workflow_dry_run_result", {
    component: DryRunResultField,
    displayName: _t("Workflow Dry Run Result"),
    supportedTypes: ["json"],
});
