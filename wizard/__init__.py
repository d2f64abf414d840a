from . import crm_lead_lost
from . import workflow_execute_wizard
from . import workflow_dry_run_wizard
from . import workflow_export_wizard
from . import workflow_import_wizard
from . import workflow_enroll_wizard
