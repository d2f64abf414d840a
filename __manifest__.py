{
    "name": "Workflow Engine",
    "summary": "Automate CRM leads, deals and contacts with auditable "
    "trigger / condition / action workflows",
    "version": "18.0.1.0.0",
    "category": "Sales/CRM",
    "website": "https://github.com/workflow-engine/workflow_engine",
    "author": "Workflow Engine developers",
    "license": "LGPL-3",
    "depends": ["crm", "mail"],
    "external_dependencies": {"python": ["jinja2"]},
    "data": [
        "security/workflow_security.xml",
        "security/ir.model.access.csv",
        "wizard/workflow_execute_wizard_views.xml",
        "views/workflow_run_views.xml",
        "views/workflow_action_run_views.xml",
        "views/workflow_workflow_views.xml",
        "views/workflow_menus.xml",
        "views/workflow_secret_views.xml",
    ],
    "demo": ["demo/workflow_demo.xml"],
    "application": True,
}
