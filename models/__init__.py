# isort: off
# Odoo builds models in import order: the mixin must exist before the models using it.
from . import workflow_definition_mixin
from . import workflow_event_mixin
from . import workflow_log_access_mixin
from . import crm_lead
from . import ir_http
from . import mail_message
from . import mail_thread
from . import res_company
from . import res_config_settings
from . import res_partner
from . import workflow_action
from . import workflow_action_run
from . import workflow_enrollment
from . import workflow_export
from . import workflow_run
from . import workflow_run_access
from . import workflow_run_execute
from . import workflow_run_queue
from . import workflow_run_queue_job
# After the queue: its hooks extend the queue's methods.
from . import workflow_run_enrollment
from . import workflow_run_retention
from . import workflow_secret
from . import workflow_trigger
from . import workflow_trigger_fire
from . import workflow_trigger_date
from . import workflow_version
from . import workflow_workflow
from . import workflow_workflow_enroll
from . import workflow_workflow_splits
