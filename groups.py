"""The xml ids of the addon's security groups, which models and controllers both check."""

ADMIN_GROUP = "workflow_engine.group_workflow_admin"
MANAGER_GROUP = "workflow_engine.group_workflow_manager"
