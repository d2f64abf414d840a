import { Component, useRef, useState } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { ModelFieldSelector } from "@web/core/model_field_selector/model_field_selector";
import { usePopover } from "@web/core/popover/popover_hook";
import { registry } from "@web/core/registry";
import { KeepLast } from "@web/core/utils/concurrency";
import { useService } from "@web/core/utils/hooks";
import { useRecordObserver } from "@web/model/relational_model/utils";
import { standardFieldProps } from "@web/views/fields/standard_field_props";
import { formatLiteral, parseLiteral } from "../condition_builder/condition_value_input";
import { useJsonEditing } from "../json_editing";
import { ValueListInput } from "../value_list_input";
import { KEY_LABELS, MULTILINE_KEYS, STEP_OUTPUTS, USER_KEYS, keyHelp } from "./config_keys";
import { PlaceholderPopover } from "./placeholder_popover";

/** Field types ``update_field`` cannot write. */
const UNWRITABLE_TYPES = ["one2many", "binary", "properties", "properties_definition", "json"];

/**
 * The configuration of a workflow action as a form of its type's keys (engine.actions),
 * with placeholders of the trigger's context offered in every text, or as raw JSON;
 * both are checked by the server as saving would check them.
 */
export class ActionConfigField extends Component {
    static template = "workflow_engine.ActionConfigField";
    static components = { ModelFieldSelector, ValueListInput };
    static props = { ...standardFieldProps };

    setup() {
        this.workflowEngine = useService("workflow_engine");
        this.fieldService = useService("field");
        this.orm = useService("orm");
        this.editing = useJsonEditing(
            (config) => this.workflowEngine.checkActionConfig(this.actionType, config, this.props.record.data.name),
            useRef("root")
        );
        this.placeholders = usePopover(PlaceholderPopover, { popoverClass: "o_wf_placeholder_popover_wrapper" });
        this.state = useState({ schemas: null, info: null, eventKeys: [], suggestions: {}, targetField: null });
        this.caret = null;
        this.keepLast = new KeepLast();
        useRecordObserver(async (record) => {
            if (!this.state.schemas) {
                await this.loadContext();
            }
            const config = record.data[this.props.name] || {};
            await this.loadSuggestions(record.data.action_type);
            this.state.targetField = await this.keepLast.add(this.loadTargetField(record.data.action_type, config));
        });
    }

    get actionType() {
        return this.props.record.data.action_type;
    }

    get config() {
        return this.editing.value || {};
    }

    get schema() {
        return this.state.schemas?.[this.actionType] || null;
    }

    /** The event types of the workflow's triggers, when the action is edited inside its workflow. */
    get eventTypes() {
        const triggers = this.props.record._parentRecord?.data.trigger_ids;
        return triggers ? [...new Set(triggers.records.map((trigger) => trigger.data.event_type))] : [];
    }

    get keys() {
        const schema = this.schema;
        if (!schema) {
            return [];
        }
        const entries = [
            ...Object.entries(schema.required).map(([name, spec]) => ({ name, spec, required: true })),
            ...Object.entries(schema.optional).map(([name, spec]) => ({ name, spec, required: false })),
        ];
        return entries.map((key) => ({
            ...key,
            label: KEY_LABELS[key.name] || key.name,
            help: keyHelp(this.actionType, key.name),
            editor: this.editorOf(key),
        }));
    }

    get unknownKeys() {
        const known = this.schema ? { ...this.schema.required, ...this.schema.optional } : {};
        return Object.keys(this.config).filter((name) => !(name in known));
    }

    get oneOfHint() {
        const oneOf = this.schema?.one_of || [];
        return oneOf.length ? _t("Fill in one of: %s.", oneOf.map((name) => KEY_LABELS[name] || name).join(", ")) : "";
    }

    /** The model ``update_field`` writes on: the entity the config names, or the trigger's record. */
    get targetModel() {
        const info = this.state.info;
        return info.entity_models[this.config.entity_type] || info.res_model;
    }

    get targetFieldPath() {
        const field = this.config.field || "";
        const aliases = this.targetModel === this.state.info.res_model ? this.state.info.aliases : {};
        return aliases[field] || field;
    }

    get placeholderRoots() {
        const info = this.state.info;
        return [
            { name: info.entity_names[0], model: info.res_model, label: info.model_name },
            { name: "user", model: info.roots.user, label: _t("Run-as user") },
            { name: "company", model: info.roots.company, label: _t("Company") },
        ];
    }

    get placeholderShortcuts() {
        const entity = this.state.info.entity_names[0];
        return [
            { placeholder: `{{${entity}.id}}`, label: _t("The record's ID") },
            { placeholder: "{{today}}", label: _t("Today's date") },
            { placeholder: "{{today+2}}", label: _t("The date in two days") },
            { placeholder: "{{today+7}}", label: _t("The date in a week") },
            { placeholder: "{{now}}", label: _t("The date and time of the run") },
            { placeholder: "{{user.email}}", label: _t("The run-as user's e-mail") },
            ...this.state.eventKeys.map((key) => ({ placeholder: `{{${key}}}`, label: _t("A value of the event") })),
            ...this.earlierSteps.flatMap((step) => this.stepShortcuts(step)),
        ];
    }

    /**
     * The actions with a key that run before this one in its workflow (by ordering, then as
     * the list shows them, as the server orders them): only their outputs may be read.
     */
    get earlierSteps() {
        const siblings = this.props.record._parentRecord?.data.action_ids?.records || [];
        const ordering = this.props.record.data.ordering;
        const ordered = [...siblings].sort((a, b) => a.data.ordering - b.data.ordering);
        const position = ordered.findIndex((action) => action.id === this.props.record.id);
        // A new action not in the list yet comes after those of its ordering.
        const earlier = position >= 0 ? ordered.slice(0, position) : ordered.filter((action) => action.data.ordering <= ordering);
        return earlier.filter((action) => action.data.key).map((action) => action.data);
    }

    stepShortcuts({ key, name, action_type }) {
        const outputs = STEP_OUTPUTS[action_type];
        return [
            { placeholder: `{{steps.${key}.state}}`, label: _t("How the step %s ended", name) },
            ...(outputs ? outputs.map((path) => `output.${path}`) : ["output"]).map((path) => ({
                placeholder: `{{steps.${key}.${path}}}`,
                label: _t("The output of the step %s", name),
            })),
        ];
    }

    editorOf({ name, spec }) {
        if (this.actionType === "update_field" && name === "field") {
            return "field";
        }
        if (this.actionType === "update_field" && name === "value") {
            return ["selection", "boolean"].includes(this.state.targetField?.type) ? "field_value" : "literal";
        }
        if (this.actionType === "send_email" && name === "template") {
            return "suggested";
        }
        if (spec.choices.length) {
            return "choice";
        }
        switch (spec.kind) {
            case "str":
                if (USER_KEYS.includes(name)) {
                    return "suggested";
                }
                return MULTILINE_KEYS.includes(name) ? "multiline" : "text";
            case "id":
                return "text";
            case "number":
                return "number";
            case "dict":
                return "mapping";
            case "list":
                return "list";
            default: {
                const value = this.config[name];
                return value !== null && typeof value === "object" ? "json" : "literal";
            }
        }
    }

    async loadContext() {
        const eventTypes = this.eventTypes.length ? this.eventTypes : [false];
        const [schemas, ...infos] = await Promise.all([
            this.workflowEngine.actionSchemas(),
            ...eventTypes.map((eventType) => this.workflowEngine.conditionContext(eventType)),
        ]);
        this.state.schemas = schemas;
        this.state.info = infos[0];
        this.state.eventKeys = [...new Set(infos.flatMap((info) => info.event_keys))];
    }

    /** Values worth suggesting: the mail templates of the record's model, the users' logins. */
    async loadSuggestions(actionType) {
        const suggestions = this.state.suggestions;
        if (actionType === "send_email" && !suggestions.template) {
            const templates = await this.orm.searchRead(
                "mail.template", [["model", "=", this.state.info.res_model]], ["name"]
            );
            suggestions.template = templates.map((template) => template.name);
        }
        if (["send_notification", "create_task"].includes(actionType) && !suggestions.users) {
            const users = await this.orm.searchRead("res.users", [["share", "=", false]], ["login"], { limit: 200 });
            suggestions.users = users.map((user) => user.login);
        }
    }

    suggestionsOf(name) {
        return (USER_KEYS.includes(name) ? this.state.suggestions.users : this.state.suggestions[name]) || [];
    }

    async loadTargetField(actionType, config) {
        if (actionType !== "update_field" || !config.field || typeof config.field !== "string") {
            return null;
        }
        const { isInvalid, names, modelsInfo } = await this.fieldService.loadPath(
            this.targetModel, this.targetFieldPath
        );
        return isInvalid ? null : modelsInfo.at(-1).fieldDefs[names.at(-1)];
    }

    isWritable(fieldDef) {
        return !fieldDef.readonly && !UNWRITABLE_TYPES.includes(fieldDef.type);
    }

    textOf(name) {
        const value = this.config[name];
        if (value === undefined || value === null) {
            return "";
        }
        return typeof value === "string" ? value : formatLiteral(value);
    }

    jsonOf(name) {
        return JSON.stringify(this.config[name], null, 2);
    }

    /** Set a key; an optional key left empty is removed rather than saved empty. */
    setKey(name, value, required) {
        const config = { ...this.config };
        if (!required && (value === "" || value === undefined)) {
            delete config[name];
        } else {
            config[name] = value;
        }
        return this.editing.update(config);
    }

    setNumber(name, text, required) {
        const number = Number(text);
        this.setKey(name, text.trim() && !Number.isNaN(number) ? number : text.trim(), required);
    }

    setJson(name, text, required) {
        this.setKey(name, text.trim() ? parseLiteral(text) : "", required);
    }

    setLiteral(name, text, required) {
        this.setKey(name, parseLiteral(text), required);
    }

    /** The value of ``update_field`` picked among the selection keys or booleans of its field. */
    setFieldValue(text) {
        this.setKey("value", this.state.targetField.type === "boolean" ? text === "true" : text, true);
    }

    onTextChange(key, text) {
        return key.editor === "literal" ? this.setLiteral(key.name, text, key.required) : this.setKey(key.name, text, key.required);
    }

    literalText(value) {
        return formatLiteral(value);
    }

    entriesOf(name) {
        const value = this.config[name];
        return value && typeof value === "object" && !Array.isArray(value) ? Object.entries(value) : [];
    }

    setEntries(name, entries, required) {
        return this.setKey(name, entries.length ? Object.fromEntries(entries) : "", required);
    }

    setEntryKey(name, index, key, required) {
        const entries = this.entriesOf(name);
        entries[index] = [key.trim(), entries[index][1]];
        return this.setEntries(name, entries, required);
    }

    setEntryValue(name, index, text, required) {
        const entries = this.entriesOf(name);
        entries[index] = [entries[index][0], parseLiteral(text)];
        return this.setEntries(name, entries, required);
    }

    addEntry(name, required) {
        const entries = this.entriesOf(name);
        const taken = new Set(entries.map(([key]) => key));
        let key = "key";
        for (let count = 2; taken.has(key); count++) {
            key = `key_${count}`;
        }
        return this.setEntries(name, [...entries, [key, ""]], required);
    }

    removeEntry(name, index, required) {
        return this.setEntries(name, this.entriesOf(name).filter((_entry, position) => position !== index), required);
    }

    /** Remember where the cursor is, so that a placeholder goes where the user was typing. */
    rememberCaret(target, ev) {
        this.caret = { target, start: ev.target.selectionStart, end: ev.target.selectionEnd };
    }

    openPlaceholders(ev, target, read, write) {
        this.placeholders.open(ev.currentTarget, {
            roots: this.placeholderRoots,
            shortcuts: this.placeholderShortcuts,
            onPick: (placeholder) => {
                const text = read();
                const caret = this.caret?.target === target ? this.caret : { start: text.length, end: text.length };
                const before = text.slice(0, caret.start);
                const separator = before && !/\s$/.test(before) ? " " : "";
                write(before + separator + placeholder + text.slice(caret.end));
            },
        });
    }

    /** The click handler of the placeholder button of ``key``, bound while the template renders. */
    keyPlaceholderOpener(key) {
        return (ev) => this.openKeyPlaceholders(ev, key);
    }

    entryPlaceholderOpener(key, index) {
        return (ev) => this.openEntryPlaceholders(ev, key, index);
    }

    openKeyPlaceholders(ev, key) {
        this.openPlaceholders(
            ev,
            key.name,
            () => this.textOf(key.name),
            (text) => this.onTextChange(key, text)
        );
    }

    openEntryPlaceholders(ev, key, index) {
        this.openPlaceholders(
            ev,
            `${key.name}[${index}]`,
            () => formatLiteral(this.entriesOf(key.name)[index][1]),
            (text) => this.setEntryValue(key.name, index, text, key.required)
        );
    }
}

export const actionConfigField = {
    component: ActionConfigField,
    displayName: _t("Workflow Action Configuration"),
    supportedTypes: ["json"],
};

registry.category("fields").add("workflow_action_config", actionConfigField);
