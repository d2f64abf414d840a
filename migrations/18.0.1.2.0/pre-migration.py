"""18.0.1.2.0, before the module's data is loaded:

- views and actions carry XML ids named after their model (``workflow_workflow_view_form``,
  the window action of workflows ``workflow_workflow_action``): the records saved under the
  old ids take the new ones, so that the update changes them in place instead of creating
  new records beside the old ones (which it would then delete, with what refers to them).
"""

RENAMED_XMLIDS = {
    "workflow_view_list": "workflow_workflow_view_list",
    "workflow_view_form": "workflow_workflow_view_form",
    "workflow_view_search": "workflow_workflow_view_search",
    "workflow_action": "workflow_workflow_action",
    "view_partner_form_inherit_workflow_engine": "res_partner_view_form_inherit_workflow_engine",
    "res_config_settings_view_form": "res_config_settings_view_form_inherit_workflow_engine",
}
"""Old XML id -> new XML id, in the module workflow_engine."""


def migrate(cr, version):
    for old, new in RENAMED_XMLIDS.items():
        cr.execute(
            """
            UPDATE ir_model_data
               SET name = %(new)s
             WHERE module = 'workflow_engine'
               AND name = %(old)s
               AND NOT EXISTS (SELECT 1 FROM ir_model_data WHERE module = 'workflow_engine' AND name = %(new)s)
            """,
            {"old": old, "new": new},
        )
