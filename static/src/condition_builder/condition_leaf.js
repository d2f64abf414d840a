import { Component, onWillStart, onWillUpdateProps, useState } from "@odoo/owl";
import { ModelFieldSelector } from "@web/core/model_field_selector/model_field_selector";
import { useService } from "@web/core/utils/hooks";
import {
    isReadableField,
    locate,
    locationKind,
    odooPath,
    scopeChoices,
    scopeDefaultPath,
} from "./condition_context";
import { leafOperator, negate, operatorChoices, withField, withOperator } from "./condition_tree";
import { ConditionValueInput } from "./condition_value_input";

let nextLeafId = 1;

/** One comparison of a condition: where the value comes from, the operator, the value. */
export class ConditionLeaf extends Component {
    static template = "workflow_engine.ConditionLeaf";
    static components = { ConditionValueInput, ModelFieldSelector };
    static props = {
        leaf: Object,
        path: String,
        info: Object,
        edit: Function,
    };

    setup() {
        this.fieldService = useService("field");
        this.eventKeysId = `o_wf_event_keys_${nextLeafId++}`;
        this.state = useState({ fieldDef: null });
        onWillStart(() => this.loadFieldDef(this.props));
        onWillUpdateProps((nextProps) => {
            if (nextProps.leaf.field !== this.props.leaf.field || nextProps.info !== this.props.info) {
                return this.loadFieldDef(nextProps);
            }
        });
    }

    get location() {
        return locate(this.props.leaf.field, this.props.info);
    }

    get pickedPath() {
        return odooPath(this.location, this.props.info);
    }

    get kind() {
        return locationKind(this.location, this.props.info, this.state.fieldDef);
    }

    get scopes() {
        return scopeChoices(this.props.info);
    }

    get operator() {
        return leafOperator(this.props.leaf);
    }

    get operators() {
        return operatorChoices(this.kind, this.props.leaf);
    }

    get hasValue() {
        return !["set", "not_set"].includes(this.operator);
    }

    isPickable(fieldDef) {
        return isReadableField(fieldDef);
    }

    async loadFieldDef(props) {
        this.state.fieldDef = await this.fieldDefOf(props.leaf.field, props.info);
    }

    async fieldDefOf(field, info) {
        const location = locate(field, info);
        const path = odooPath(location, info);
        if (!location.model || !path) {
            return null;
        }
        const { isInvalid, names, modelsInfo } = await this.fieldService.loadPath(location.model, path);
        return isInvalid ? null : modelsInfo.at(-1).fieldDefs[names.at(-1)];
    }

    /** Change this leaf, as it is when the change applies. */
    editLeaf(transform) {
        this.props.edit(this.props.leaf, transform, { modifies: true });
    }

    onScopeChange(scope) {
        const field = scopeDefaultPath(scope, this.props.info);
        const previousKind = this.kind;
        this.editLeaf((leaf) => withField(leaf, field, "any", null, previousKind));
    }

    onFieldPicked(path, fieldInfo) {
        const field = this.location.prefix + path;
        const fieldDef = fieldInfo?.fieldDef || null;
        const kind = locationKind(locate(field, this.props.info), this.props.info, fieldDef);
        const previousKind = this.kind;
        this.state.fieldDef = fieldDef;
        this.editLeaf((leaf) => withField(leaf, field, kind, fieldDef, previousKind));
    }

    onEventKeyChange(key) {
        this.editLeaf((leaf) => ({ ...leaf, field: key.trim() }));
    }

    onOperatorChange(operator) {
        const { kind } = this;
        const { fieldDef } = this.state;
        this.editLeaf((leaf) => withOperator(leaf, operator, kind, fieldDef));
    }

    onValueChange(value) {
        this.editLeaf((leaf) => ({ ...leaf, value }));
    }

    negate() {
        this.props.edit(this.props.leaf, negate);
    }

    remove() {
        this.props.edit(this.props.leaf, () => null);
    }
}
