import { Component, useState } from "@odoo/owl";

/** A list of values edited as removable chips, with an input that adds one on Enter. */
export class ValueListInput extends Component {
    static template = "workflow_engine.ValueListInput";
    static props = {
        items: Array,
        onChange: Function,
        parseItem: { type: Function, optional: true },
        formatItem: { type: Function, optional: true },
        placeholder: { type: String, optional: true },
    };
    static defaultProps = {
        parseItem: (text) => text,
        formatItem: (item) => String(item),
    };

    setup() {
        this.state = useState({ newItem: "" });
    }

    addItem() {
        const text = this.state.newItem;
        if (!text.trim()) {
            return;
        }
        this.state.newItem = "";
        this.props.onChange([...this.props.items, this.props.parseItem(text)]);
    }

    removeItem(index) {
        this.props.onChange(this.props.items.filter((_item, position) => position !== index));
    }

    onKeydown(ev) {
        if (ev.key === "Enter") {
            ev.preventDefault();
            ev.stopPropagation();
            this.addItem();
        }
    }
}
