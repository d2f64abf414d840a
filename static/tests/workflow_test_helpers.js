import { defineMailModels } from "@mail/../tests/mail_test_helpers";
import { defineModels, fields, models, mountView, onRpc } from "@web/../tests/web_test_helpers";

export const EVENT_TYPES = [
    ["lead.created", "Lead created"],
    ["deal.stage_changed", "Deal stage changed"],
    ["custom", "Custom event"],
];

/** What workflow.workflow.get_condition_builder_info answers for an event on a lead. */
export const LEAD_CONTEXT = {
    res_model: "crm.lead",
    model_name: "Lead/Opportunity",
    entity_names: ["lead", "deal", "record"],
    entity_models: { lead: "crm.lead", deal: "crm.lead", contact: "res.partner", account: "res.partner" },
    aliases: { amount: "expected_revenue", email: "email_from", stage: "stage_id", owner: "user_id" },
    named_by_text: ["stage"],
    roots: { user: "res.users", company: "res.company" },
    event_keys: [],
};

export class CrmStage extends models.Model {
    _name = "crm.stage";

    name = fields.Char();

    _records = [
        { id: 1, name: "New" },
        { id: 2, name: "Qualified" },
    ];
}

export class CrmLead extends models.Model {
    _name = "crm.lead";

    name = fields.Char({ string: "Name" });
    email_from = fields.Char({ string: "Email" });
    expected_revenue = fields.Float({ string: "Expected Revenue" });
    priority = fields.Selection({
        string: "Priority",
        selection: [
            ["0", "Low"],
            ["1", "Medium"],
            ["2", "High"],
            ["3", "Very High"],
        ],
    });
    date_deadline = fields.Date({ string: "Expected Closing" });
    stage_id = fields.Many2one({ string: "Stage", relation: "crm.stage" });
    active = fields.Boolean({ string: "Active" });
}

export class WorkflowTrigger extends models.Model {
    _name = "workflow.trigger";

    event_type = fields.Selection({ string: "Event Type", selection: EVENT_TYPES, default: "lead.created" });
    conditions = fields.Json({ string: "Conditions" });
}

export class WorkflowAction extends models.Model {
    _name = "workflow.action";

    name = fields.Char({ string: "Name" });
    action_type = fields.Selection({
        string: "Action Type",
        selection: [
            ["add_note", "Add Note"],
            ["update_field", "Update Field"],
            ["send_notification", "Send Notification"],
            ["call_webhook", "Call Webhook"],
            ["split", "A/B Split"],
        ],
    });
    config = fields.Json({ string: "Configuration" });
    ordering = fields.Integer({ string: "Ordering" });
    key = fields.Char({ string: "Key" });
    conditions = fields.Json({ string: "Conditions" });
    workflow_id = fields.Many2one({ string: "Workflow", relation: "workflow.workflow" });
}

export class WorkflowWorkflow extends models.Model {
    _name = "workflow.workflow";

    name = fields.Char({ string: "Name" });
    action_ids = fields.One2many({ string: "Actions", relation: "workflow.action", relation_field: "workflow_id" });
}

/** The keys of a few action types, as workflow.workflow.get_action_schemas describes them. */
export const ACTION_SCHEMAS = {
    add_note: {
        required: { note: { kind: "str", choices: [], default: null } },
        optional: {
            entity_type: { kind: "str", choices: ["lead", "deal", "contact", "account", "record"], default: null },
            entity_id: { kind: "id", choices: [], default: null },
            visibility: { kind: "str", choices: ["internal", "public"], default: "internal" },
        },
        one_of: [],
    },
    update_field: {
        required: { field: { kind: "str", choices: [], default: null }, value: { kind: "any", choices: [], default: null } },
        optional: {
            entity_type: { kind: "str", choices: ["lead", "deal", "contact", "account", "record"], default: null },
            entity_id: { kind: "id", choices: [], default: null },
        },
        one_of: [],
    },
    send_notification: {
        required: {
            recipient: { kind: "str", choices: [], default: null },
            message: { kind: "str", choices: [], default: null },
        },
        optional: {
            notification_type: { kind: "str", choices: ["in_app"], default: "in_app" },
            link: { kind: "str", choices: [], default: null },
        },
        one_of: [],
    },
};

export function defineWorkflowModels() {
    defineMailModels();
    defineModels([CrmStage, CrmLead, WorkflowTrigger, WorkflowAction, WorkflowWorkflow]);
}

/**
 * Lets the records of ``modelName`` hold JSON objects in ``fieldName``, as the server
 * sends them: the mock server only stores JSON fields as text.
 */
export function mockJsonField(modelName, fieldName) {
    const parsed = (records) => {
        for (const record of records) {
            if (typeof record[fieldName] === "string") {
                record[fieldName] = JSON.parse(record[fieldName]);
            }
        }
        return records;
    };
    onRpc(modelName, "web_read", ({ parent }) => parsed(parent()));
    onRpc(modelName, "web_save", ({ args, parent }) => {
        if (args[1][fieldName]) {
            args[1][fieldName] = JSON.stringify(args[1][fieldName]);
        }
        return parsed(parent());
    });
}

/**
 * Shows ``value`` in the JSON field ``fieldName`` of a record of ``ModelClass``, in a form
 * where the field has the widget ``widget``.
 */
export async function showJsonField(ModelClass, fieldName, widget, value) {
    ModelClass._records = [{ id: 1, [fieldName]: JSON.stringify(value) }];
    mockJsonField(ModelClass._name, fieldName);
    await mountView({
        type: "form",
        resModel: ModelClass._name,
        resId: 1,
        arch: `<form><field name="${fieldName}" widget="${widget}"/></form>`,
    });
}

/**
 * Answers the workflow.workflow calls of the editors. ``check`` stands for the server's
 * validation: it gets what the editor sends (and the action type, for an action's
 * configuration) and returns the refusal message or false.
 */
export function mockWorkflowServer({ check = () => false } = {}) {
    mockJsonField("workflow.trigger", "conditions");
    mockJsonField("workflow.action", "config");
    onRpc("workflow.workflow", "get_condition_builder_info", () => LEAD_CONTEXT);
    onRpc("workflow.workflow", "get_action_schemas", () => ACTION_SCHEMAS);
    onRpc("workflow.workflow", "check_conditions", ({ args }) => check(args[0]));
    onRpc("workflow.workflow", "check_action_config", ({ args }) => check(args[1], args[0]));
}
