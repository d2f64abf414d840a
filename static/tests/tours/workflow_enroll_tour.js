/**
 * Enrolls leads selected in the list of leads in a workflow: the action Run a Workflow, its
 * preview of what the workflow's conditions accept and reject, and the enrollment's form; then
 * opens the wizard from the workflow's form, with its domain on leads, and closes it.
 *
 * The test that starts it (tests/test_ui_tour.py) creates the workflow "Enroll high-value
 * leads" and the leads "Tour: Initech" (high-value) and "Tour: Tiny" (not).
 */

import { registry } from "@web/core/registry";

function selectRow(name) {
    return {
        content: `Select the lead ${name}`,
        trigger: `.o_list_view .o_data_row:contains(${name}) .o_list_record_selector input`,
        run: "click",
    };
}

registry.category("web_tour.tours").add("workflow_engine_enroll", {
    url: "/odoo/action-crm.crm_lead_all_leads",
    steps: () => [
        {
            content: "Narrow the list to the leads of the tour",
            trigger: ".o_searchview_input",
            run: "edit Tour: && press Enter",
        },
        selectRow("Tour: Initech"),
        selectRow("Tour: Tiny"),
        {
            content: "Open the action menu",
            trigger: ".o_cp_action_menus i.fa-cog",
            run: "click",
        },
        {
            content: "Run a Workflow on the selection",
            trigger: ".o-dropdown--menu .o-dropdown-item:contains(Run a Workflow)",
            run: "click",
        },
        {
            content: "Pick the workflow",
            trigger: ".modal .o_field_widget[name=workflow_id] input",
            run: "edit Enroll high-value",
        },
        {
            trigger: ".o-autocomplete--dropdown-item:contains(Enroll high-value leads)",
            run: "click",
        },
        {
            content: "The preview counts the lead the conditions accept",
            trigger: ".modal .o_wf_enroll_preview_count:contains(1 records would be enrolled)",
        },
        {
            content: "and says why they reject the other",
            trigger: ".modal .o_wf_enroll_preview_rejected tr:contains(Tour: Tiny) .o_wf_enroll_explanation:contains(actual 5)",
        },
        {
            trigger: ".modal .o_wf_enroll_preview_accepted tr:contains(Tour: Initech)",
        },
        {
            content: "Enroll",
            trigger: ".modal-footer button[name=action_enroll]",
            run: "click",
        },
        {
            content: "The enrollment's form shows its progress",
            trigger: ".o_form_view .o_wf_enrollment_progress .o_wf_enrollment_done:contains(/ 1 done)",
        },
        {
            trigger: ".o_form_view .o_field_widget[name=workflow_id]:contains(Enroll high-value leads)",
        },
        {
            content: "Its runs are a click away",
            trigger: ".o_form_view button[name=action_view_runs]",
        },
        {
            content: "Open the workflow",
            trigger: ".o_form_view .o_field_widget[name=workflow_id] a",
            run: "click",
        },
        {
            content: "Enroll existing records from the workflow's form",
            trigger: ".o_form_view .o_form_statusbar button:contains(Enroll Existing Records)",
            run: "click",
        },
        {
            content: "The wizard offers a domain on leads",
            trigger: ".modal .o_field_widget[name=domain] .o_field_domain_dialog_button",
        },
        {
            content: "and counts the leads the conditions accept among all of them",
            trigger: ".modal .o_wf_enroll_preview_accepted tr:contains(Tour: Initech)",
        },
        {
            trigger: ".modal .o_wf_enroll_preview_count:contains(records would be enrolled)",
        },
        {
            content: "Close without enrolling",
            trigger: ".modal-footer button:contains(Cancel)",
            run: "click",
        },
        {
            trigger: "body:not(:has(.modal))",
        },
    ],
});
