from . import crm_lead_lost
from . import workflow_execute_wizard
