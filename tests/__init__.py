from . import test_workflow_definition, test_workflow_demo, test_workflow_execute, test_workflow_rpc
from . import test_workflow_actions, test_workflow_events, test_workflow_queue, test_workflow_queue_workers
from . import test_rest_api, test_rest_openapi, test_rest_rpc
from . import test_ui_backend, test_ui_dry_run, test_ui_tour
from . import test_workflow_versions
from . import test_workflow_capabilities
from . import test_rest_versions
from . import test_workflow_masking
from . import test_workflow_queue_job
from . import test_workflow_security
from . import test_rest_concurrency
from . import test_rest_malformed, test_rest_access, test_rest_schemathesis
from . import test_migrations
from . import test_workflow_run_insert
from . import test_workflow_waits
from . import test_rest_waits
from . import test_workflow_date_triggers
from . import test_workflow_steps
from . import test_rest_steps
from . import test_condition_domains
from . import test_workflow_sub
from . import test_workflow_enroll
from . import test_workflow_enroll_wizard
from . import test_rest_enroll
from . import test_workflow_one_pass
