from . import test_workflow_definition, test_workflow_demo, test_workflow_execute, test_workflow_rpc
from . import test_workflow_actions, test_workflow_events
