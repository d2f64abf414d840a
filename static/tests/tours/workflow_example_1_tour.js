/**
 * Builds the design's Example 1 (auto-qualify high-value leads) in the backend UI, tests
 * it on a lead without running it, then creates a matching lead and finds its run.
 *
 * Odoo's lead form has no expected revenue (only opportunities show one), so a lead is
 * also high-value when its score is, as in the design's nested example: the conditions
 * are "an e-mail, and an expected revenue of 50,000 or a lead score of 80".
 *
 * The test that starts it (tests/test_ui_tour.py) creates the lead "Acme big deal" and
 * the user "Senior Rep", and takes a screenshot at each step that logs
 * "workflow_engine screenshot <name>", waiting for it before the tour goes on.
 */

import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_service/tour_utils";

const SCREENSHOT_SIGNAL = "workflow_engine screenshot";

function screenshot(name) {
    return [
        {
            content: `Screenshot ${name}`,
            trigger: "body",
            run() {
                console.log(`${SCREENSHOT_SIGNAL} ${name}`);
            },
        },
        {
            content: `Wait for the screenshot ${name}`,
            trigger: `body[data-workflow-screenshot="${name}"]`,
        },
    ];
}

function pickField(name) {
    return [
        {
            content: `Search the field ${name}`,
            trigger: ".o_model_field_selector_popover_search input",
            run: `edit ${name}`,
        },
        {
            content: `Pick the field ${name}`,
            trigger: `.o_model_field_selector_popover_item[data-name="${name}"] .o_model_field_selector_popover_item_name`,
            run: "click",
        },
    ];
}

function addAction(name, actionType, steps) {
    return [
        {
            content: "Add an action",
            trigger: ".o_field_widget[name=action_ids] .o_field_x2many_list_row_add a",
            run: "click",
        },
        {
            content: "Name the action",
            trigger: ".modal .o_field_widget[name=name] input",
            run: `edit ${name}`,
        },
        {
            content: "Choose its type",
            trigger: ".modal .o_field_widget[name=action_type] select",
            run: `select "${actionType}"`,
        },
        {
            content: "The form shows the keys of the action type",
            trigger: `.modal .o_wf_action_config .o_wf_config_key[data-key]`,
        },
        ...steps,
        {
            content: "Save the action",
            trigger: ".modal .o_form_button_save",
            run: "click",
        },
        {
            content: "The action is in the list",
            trigger: `.o_field_widget[name=action_ids] .o_data_row:contains("${name}")`,
        },
    ];
}

function configKey(key) {
    return `.modal .o_wf_config_key[data-key="${key}"]`;
}

registry.category("web_tour.tours").add("workflow_engine_example_1", {
    url: "/odoo/action-workflow_engine.workflow_workflow_action",
    steps: () => [
        {
            content: "Create a workflow",
            trigger: ".o_list_button_add",
            run: "click",
        },
        {
            content: "Name it",
            trigger: ".o_field_widget[name=name] input",
            run: "edit Auto-qualify high-value leads",
        },
        {
            content: "Run it at once, in the transaction that creates the lead",
            trigger: ".o_field_widget[name=execution_mode] input[data-value=immediate]",
            run: "click",
        },
        {
            content: "Add a trigger",
            trigger: ".o_field_widget[name=trigger_ids] .o_field_x2many_list_row_add a",
            run: "click",
        },
        {
            content: "Add a first condition",
            trigger: ".modal .o_wf_condition_builder .o_wf_add_condition",
            run: "click",
        },
        {
            content: "Open the field picker of the condition",
            trigger: ".modal .o_wf_condition_leaf[data-path='<root>'] .o_model_field_selector",
            run: "click",
        },
        ...pickField("email_from"),
        {
            content: "The lead must have an e-mail address",
            trigger: ".modal .o_wf_condition_leaf[data-path='<root>'] .o_wf_leaf_operator",
            run: "select set",
        },
        {
            content: "Add a group of alternatives: both the e-mail and one of them must hold",
            trigger: ".modal .o_wf_condition_builder > .d-flex > .o_wf_add_group",
            run: "click",
        },
        {
            content: "The alternatives are an 'or' group",
            trigger: ".modal .o_wf_condition_group[data-path='and[1]'][data-kind=or]",
        },
        {
            content: "Open the field picker of the first alternative",
            trigger: ".modal .o_wf_condition_leaf[data-path='and[1].or[0]'] .o_model_field_selector",
            run: "click",
        },
        ...pickField("expected_revenue"),
        {
            content: "Compare with ≥",
            trigger: ".modal .o_wf_condition_leaf[data-path='and[1].or[0]'] .o_wf_leaf_operator",
            run: "select gte",
        },
        {
            content: "Type the amount",
            trigger: ".modal .o_wf_condition_leaf[data-path='and[1].or[0]'] input.o_wf_value_number",
            run: "edit 50000 && press Tab",
        },
        {
            content: "Add the second alternative",
            trigger: ".modal .o_wf_condition_group[data-path='and[1]'] > .d-flex > .o_wf_add_condition",
            run: "click",
        },
        {
            content: "Open the field picker of the second alternative",
            trigger: ".modal .o_wf_condition_leaf[data-path='and[1].or[1]'] .o_model_field_selector",
            run: "click",
        },
        ...pickField("probability"),
        {
            content: "A high lead score",
            trigger: ".modal .o_wf_condition_leaf[data-path='and[1].or[1]'] .o_wf_leaf_operator",
            run: "select gte",
        },
        {
            content: "Type the score",
            trigger: ".modal .o_wf_condition_leaf[data-path='and[1].or[1]'] input.o_wf_value_number",
            run: "edit 80 && press Tab",
        },
        {
            content: "The amount is kept",
            trigger: ".modal .o_wf_condition_leaf[data-path='and[1].or[0]'] input.o_wf_value_number",
            run() {
                if (this.anchor.value !== "50000") {
                    throw new Error(`the amount is ${this.anchor.value}`);
                }
            },
        },
        ...screenshot("condition_builder"),
        {
            content: "Save the trigger",
            trigger: ".modal .o_form_button_save",
            run: "click",
        },
        {
            content: "The trigger lists its conditions",
            trigger: ".o_field_widget[name=trigger_ids] .o_wf_condition_summary:contains(email_from is set and (expected_revenue ≥ 50000 or probability ≥ 80))",
        },
        {
            content: "Go to the actions",
            trigger: ".o_notebook .nav-link[name=actions]",
            run: "click",
        },
        ...addAction("Move to Qualified", "update_field", [
            {
                content: "Pick the field to write",
                trigger: `${configKey("field")} .o_model_field_selector`,
                run: "click",
            },
            ...pickField("stage_id"),
            {
                content: "Name the stage",
                trigger: `${configKey("value")} input`,
                run: "edit Qualified && press Tab",
            },
        ]),
        ...addAction("Assign to the senior rep", "update_field", [
            {
                content: "Pick the salesperson field",
                trigger: `${configKey("field")} .o_model_field_selector`,
                run: "click",
            },
            ...pickField("user_id"),
            {
                content: "Name the senior rep",
                trigger: `${configKey("value")} input`,
                run: "edit Senior Rep && press Tab",
            },
        ]),
        ...addAction("Tell the sales manager", "send_notification", [
            {
                content: "Notify the administrator",
                trigger: `${configKey("recipient")} input`,
                run: "edit admin && press Tab",
            },
            {
                content: "Write the message",
                trigger: `${configKey("message")} textarea`,
                run: "edit New qualified lead: && press Tab",
            },
            {
                content: "Offer the lead's fields as placeholders",
                trigger: `${configKey("message")} .o_wf_placeholder_button`,
                run: "click",
            },
            ...pickField("name"),
            {
                content: "The placeholder is in the message",
                trigger: `${configKey("message")} textarea:value(New qualified lead: {{lead.name}})`,
            },
            ...screenshot("action_editor"),
        ]),
        ...addAction("Follow-up task", "create_task", [
            {
                content: "Title the task",
                trigger: `${configKey("title")} input`,
                run: "edit Follow up with {{lead.name}} && press Tab",
            },
            {
                content: "Offer placeholders for the due date",
                trigger: `${configKey("due_date")} .o_wf_placeholder_button`,
                run: "click",
            },
            {
                content: "Due in two days",
                trigger: ".o_wf_placeholder_shortcut:contains({{today+2}})",
                run: "click",
            },
            {
                content: "A high priority",
                trigger: `${configKey("priority")} select`,
                run: "select high",
            },
        ]),
        ...stepUtils.saveForm(),
        {
            content: "Back to the triggers",
            trigger: ".o_notebook .nav-link[name=triggers]",
            run: "click",
        },
        ...screenshot("workflow_form"),
        {
            content: "Test the workflow",
            trigger: ".o_form_statusbar button:contains(Test)",
            run: "click",
        },
        {
            content: "Test it on a lead",
            trigger: ".modal .o_field_widget[name=record_ref] select",
            run: "select crm.lead",
        },
        {
            content: "Search the lead",
            trigger: ".modal .o_field_widget[name=record_ref] input",
            run: "edit Acme big deal",
        },
        {
            content: "Pick it",
            trigger: ".o-autocomplete--dropdown-item:contains(Acme big deal)",
            run: "click",
        },
        {
            content: "The conditions hold on it",
            trigger: ".modal .o_wf_dry_run_verdict.o_wf_holds",
        },
        {
            content: "The amount compared is the lead's",
            trigger: ".modal .o_wf_dry_run_leaf[data-status=passed][data-path='and[1].or[0]'] .o_wf_dry_run_actual:contains(120000)",
        },
        {
            content: "The message is rendered for the lead",
            trigger: ".modal .o_wf_dry_run_action[data-action-type=send_notification] td:contains(New qualified lead: Acme big deal)",
        },
        ...screenshot("dry_run"),
        {
            content: "Close the test",
            trigger: ".modal .modal-footer button:contains(Close)",
            run: "click",
        },
        {
            content: "Nothing ran",
            trigger: ".o_form_view:not(:has(.modal)) .o_field_widget[name=run_count]:contains(0)",
        },
        ...stepUtils.goToAppSteps("crm.crm_menu_root", "Open CRM"),
        {
            content: "Open the leads",
            trigger: ".o_menu_sections [data-menu-xmlid='crm.crm_menu_leads']",
            run: "click",
        },
        {
            content: "Create a lead",
            trigger: ".o_list_button_add",
            run: "click",
        },
        {
            content: "Name it",
            trigger: ".o_field_widget[name=name] textarea",
            run: "edit Globex expansion",
        },
        {
            content: "Give its e-mail",
            trigger: ".o_field_widget[name=email_from] input",
            run: "edit buyer@globex.example.com",
        },
        {
            content: "Score it high",
            trigger: ".o_field_widget[name=probability] input",
            run: "edit 90",
        },
        ...stepUtils.saveForm(),
        stepUtils.autoExpandMoreButtons(),
        {
            content: "The workflow ran on it",
            trigger: ".o_form_view button[name=action_view_workflow_runs]:contains(1)",
            run: "click",
        },
        {
            content: "Its run succeeded",
            trigger: ".o_list_view .o_data_row:contains(Auto-qualify high-value leads) .o_field_widget[name=state]:contains(Success)",
        },
        {
            content: "Open the run",
            trigger: ".o_list_view .o_data_row:contains(Auto-qualify high-value leads) .o_data_cell[name=workflow_id]",
            run: "click",
        },
        {
            content: "Each action succeeded",
            trigger: ".o_form_view .o_field_widget[name=action_run_ids] .o_data_row:eq(3):contains(Follow-up task)",
        },
        ...stepUtils.goToAppSteps("workflow_engine.workflow_menu_root", "Open Workflows"),
        {
            content: "Open the runs",
            trigger: ".o_menu_sections [data-menu-xmlid='workflow_engine.workflow_menu_runs']",
            run: "click",
        },
        {
            content: "See them as a graph",
            trigger: ".o_switch_view.o_graph",
            run: "click",
        },
        {
            content: "Runs by day and state",
            trigger: ".o_graph_renderer canvas",
        },
        ...screenshot("runs_graph"),
    ],
});
