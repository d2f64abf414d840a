from . import (
    mail_thread,
    workflow_action,
    workflow_action_run,
    workflow_run,
    workflow_trigger,
    workflow_workflow,
)
