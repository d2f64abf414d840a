from . import workflow_execute_wizard
