import { Component, useState } from "@odoo/owl";
import { ModelFieldSelectorPopover } from "@web/core/model_field_selector/model_field_selector_popover";
import { isReadableField } from "../condition_builder/condition_context";

/**
 * Offers the placeholders of an action's templates: a field of the record, of the
 * run-as user or of the company, picked through its relations, and shortcuts such as
 * {{today+2}} and the event's values.
 */
export class PlaceholderPopover extends Component {
    static template = "workflow_engine.PlaceholderPopover";
    static components = { ModelFieldSelectorPopover };
    static props = {
        roots: Array,
        shortcuts: Array,
        onPick: Function,
        close: Function,
    };

    setup() {
        this.state = useState({ rootName: this.props.roots[0].name });
        this.pickedPath = "";
    }

    get root() {
        return this.props.roots.find((root) => root.name === this.state.rootName);
    }

    isPickable(fieldDef) {
        return isReadableField(fieldDef);
    }

    onPathChange(path) {
        this.pickedPath = path;
    }

    onFieldSelectorClose(picked) {
        if (picked && this.pickedPath) {
            this.pick(`{{${this.root.name}.${this.pickedPath}}}`);
        } else {
            this.props.close();
        }
    }

    pick(placeholder) {
        this.props.onPick(placeholder);
        this.props.close();
    }
}
