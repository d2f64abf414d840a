import { Component } from "@odoo/owl";
import { DateTimeInput } from "@web/core/datetime/datetime_input";
import {
    deserializeDate,
    deserializeDateTime,
    serializeDate,
    serializeDateTime,
} from "@web/core/l10n/dates";
import { MultiRecordSelector } from "@web/core/record_selectors/multi_record_selector";
import { RecordSelector } from "@web/core/record_selectors/record_selector";
import { parseFloat } from "@web/views/fields/parsers";
import { ValueListInput } from "../value_list_input";
import { isListOperator } from "./condition_tree";

/**
 * A JSON value typed as text: numbers, true, false, null, lists and objects are read as
 * JSON, anything else is a string (type "42" with its quotes for the string "42").
 */
export function parseLiteral(text) {
    try {
        return JSON.parse(text);
    } catch {
        return text;
    }
}

export function formatLiteral(value) {
    if (typeof value === "string" && parseLiteral(value) === value) {
        return value;
    }
    return JSON.stringify(value);
}

function parseDateValue(kind, value) {
    if (typeof value !== "string" || !value) {
        return false;
    }
    const moment = kind === "date" ? deserializeDate(value) : deserializeDateTime(value);
    return moment.isValid ? moment : null;
}

/** The value input of a condition leaf, fitting the kind of value it compares. */
export class ConditionValueInput extends Component {
    static template = "workflow_engine.ConditionValueInput";
    static components = { DateTimeInput, MultiRecordSelector, RecordSelector, ValueListInput };
    static props = {
        kind: String,
        operator: String,
        value: { optional: true },
        fieldDef: { type: [Object, { value: null }], optional: true },
        onChange: Function,
    };

    get isList() {
        return isListOperator(this.props.operator);
    }

    /** Which input fits the value: its kind first, then the value itself (a template, a name...). */
    get inputKind() {
        const { kind, value } = this.props;
        if (this.isList) {
            if (kind === "selection") {
                return "checkboxes";
            }
            return this.usesRecordSelector ? "records" : "list";
        }
        if (kind === "selection" || kind === "boolean") {
            return kind;
        }
        if (kind === "number") {
            return typeof value === "number" ? "number" : "literal";
        }
        if (["date", "datetime"].includes(kind) && this.dateValue !== null) {
            return "date";
        }
        if (this.usesRecordSelector) {
            return "record";
        }
        return kind === "any" ? "literal" : "text";
    }

    get items() {
        return Array.isArray(this.props.value) ? this.props.value : [];
    }

    get selection() {
        return this.props.fieldDef?.selection || [];
    }

    get selectionChoices() {
        const choices = [...this.selection];
        const value = this.props.value;
        if (!this.isList && !choices.some(([key]) => key === value)) {
            choices.push([value, formatLiteral(value)]);
        }
        return choices;
    }

    get usesRecordSelector() {
        const value = this.props.value;
        if (this.props.kind !== "record" || !this.props.fieldDef?.relation) {
            return false;
        }
        if (this.isList) {
            return this.items.every(Number.isInteger);
        }
        return value === "" || value === false || Number.isInteger(value);
    }

    get dateValue() {
        return parseDateValue(this.props.kind, this.props.value);
    }

    get literal() {
        return formatLiteral(this.props.value);
    }

    parseItem(text) {
        if (this.props.kind === "number") {
            try {
                return parseFloat(text);
            } catch {
                return text;
            }
        }
        return this.props.kind === "any" ? parseLiteral(text) : text;
    }

    formatItem(item) {
        const selected = this.selection.find(([key]) => key === item);
        return selected ? selected[1] : formatLiteral(item);
    }

    toggleSelectionItem(key, checked) {
        const items = this.items.filter((item) => item !== key);
        this.props.onChange(checked ? [...items, key] : items);
    }

    onSelectionChange(ev) {
        const [key] = this.selectionChoices[ev.target.selectedIndex];
        this.props.onChange(key);
    }

    onNumberChange(ev) {
        // An empty or unreadable number keeps the last one: null would mean "is not set".
        try {
            if (ev.target.value.trim()) {
                this.props.onChange(parseFloat(ev.target.value));
                return;
            }
        } catch {
            // The input shows the last number again below.
        }
        ev.target.value = this.props.value;
    }

    onDateChange(moment) {
        if (moment) {
            this.props.onChange(this.props.kind === "date" ? serializeDate(moment) : serializeDateTime(moment));
        }
    }

    onLiteralChange(ev) {
        this.props.onChange(parseLiteral(ev.target.value));
    }

    onRecordChange(resId) {
        this.props.onChange(resId || "");
    }
}
