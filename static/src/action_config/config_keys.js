/**
 * How the action editor presents each config key of engine.actions.ACTION_TYPES.
 * Keys it does not know are shown with their name and edited as JSON values.
 */

import { _t } from "@web/core/l10n/translation";

export const KEY_LABELS = {
    to: _t("To"),
    cc: _t("Cc"),
    subject: _t("Subject"),
    template: _t("Template"),
    body: _t("Body"),
    variables: _t("Template variables"),
    note: _t("Note"),
    entity_type: _t("Acts on"),
    entity_id: _t("Record ID"),
    visibility: _t("Visibility"),
    field: _t("Field"),
    value: _t("New value"),
    export_type: _t("Format"),
    email_to: _t("Send to"),
    filters: _t("Filters"),
    fields: _t("Columns"),
    title: _t("Title"),
    description: _t("Description"),
    assignee: _t("Assignee"),
    due_date: _t("Due date"),
    priority: _t("Priority"),
    recipient: _t("Recipient"),
    message: _t("Message"),
    notification_type: _t("Channel"),
    link: _t("Link"),
    url: _t("URL"),
    method: _t("Method"),
    headers: _t("Headers"),
    timeout: _t("Timeout (seconds)"),
    duration: _t("Wait for"),
    until: _t("Wait until"),
    time_of_day: _t("At time of day"),
    variants: _t("Variants"),
};

const KEY_HELPS = {
    to: _t("E-mail addresses, separated by commas, e.g. {{lead.email_from}}."),
    template: _t("A mail template of the record's model, by name or XML ID. Without one, the body is sent."),
    "send_email.body": _t("The text of the e-mail, when no template is given."),
    "call_webhook.body": _t("The JSON sent as the request's body."),
    variables: _t("Values the template reads as variables."),
    entity_type: _t("The run's record, or a lead, deal, contact or account named by its ID."),
    entity_id: _t("The ID of the record to act on, e.g. {{lead.id}}. Empty: the run's record."),
    visibility: _t("Internal: a note for employees. Public: a message followers receive."),
    field: _t("The field to write on the record."),
    value: _t("A name or ID for a relation, a key for a selection, e.g. {{today+30}} for a date."),
    email_to: _t("Who receives the export by e-mail."),
    filters: _t("Which records to export: keys such as stage or expected_revenue__gte."),
    fields: _t("The fields exported as columns."),
    assignee: _t("The login or e-mail of the user who gets the task; empty: the run-as user."),
    due_date: _t("An ISO date, e.g. {{today+2}}."),
    recipient: _t("The login or e-mail of the user notified in their inbox."),
    link: _t("A link shown under the message."),
    headers: _t("HTTP headers sent with the request."),
    duration: _t('How long to wait, e.g. {"days": 3}; keys minutes, hours, days, weeks, combinable.'),
    until: _t("The date or datetime to wait until, e.g. {{lead.date_deadline}}."),
    time_of_day: _t("Resume at this local time (HH:MM, the run-as user's time zone), e.g. 09:00."),
    variants: _t('Each variant\'s name and weight, the weights summing to 100, e.g. {"A": 50, "B": 50}.'),
};

/** The help of ``key`` in the config of ``actionType``, or "". */
export function keyHelp(actionType, key) {
    return KEY_HELPS[`${actionType}.${key}`] || KEY_HELPS[key] || "";
}

/**
 * The outputs each action type gives the later steps (workflow.action._execute_<type>), as
 * paths under steps.<key>.output; a type not listed offers its whole output.
 */
export const STEP_OUTPUTS = {
    update_field: ["new_value", "old_value", "field", "ids"],
    add_note: ["message_ids", "ids"],
    send_email: ["mail_ids", "message_ids", "recipients"],
    create_task: ["activity_ids", "ids"],
    send_notification: ["message_ids", "recipient"],
    call_webhook: ["json", "status", "body"],
    enqueue_export: ["export_id"],
    wait: ["resume_at"],
    split: ["variant"],
    run_workflow: ["state", "uuid", "run_id", "steps"],
};

/** Keys holding text long enough for several lines. */
export const MULTILINE_KEYS = ["body", "note", "description", "message"];

/** Keys naming a user by login or e-mail. */
export const USER_KEYS = ["recipient", "assignee"];
