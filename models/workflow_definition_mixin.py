import json

from odoo import api, models
from odoo.exceptions import AccessError, ValidationError

from ..engine import conditions as dsl
from ..engine import jsondoc
from ..engine.exceptions import WorkflowError
from ..groups import ADMIN_GROUP


class WorkflowDefinitionMixin(models.AbstractModel):
    """What the models that define a workflow (workflows, triggers, actions) share.

    Changing a definition invalidates the cache of active triggers that the CRM hooks read and
    saves a new version of the workflows it changed (see workflow.version), and the JSON
    fields listed in ``_json_fields`` also accept JSON text, as forms and XML-RPC clients
    send it.

    A workflow's actions run with its run-as user's rights, so changing any part of a workflow
    lends those rights: only a Workflow Administrator, or the run-as user in person, may
    change a workflow that runs as somebody else.
    """

    _name = "workflow.definition.mixin"
    _description = "Workflow Definition"

    _json_fields = {}
    """JSON field name -> the engine error class that reports its syntax errors."""
    _json_text_fields = {}
    """Text field name -> the JSON field it shows and edits as indented JSON text (computed
    by ``_compute_json_text``, written back by ``_inverse_json_text``)."""

    @api.depends(lambda self: tuple(self._json_text_fields.values()))
    def _compute_json_text(self):
        for text_name, json_name in self._json_text_fields.items():
            for record in self:
                value = record[json_name]
                record[text_name] = json.dumps(value, indent=2) if value else False

    def _inverse_json_text(self):
        # The text is parsed by write() (see _json_fields), as any JSON text sent to the field.
        for text_name, json_name in self._json_text_fields.items():
            for record in self:
                record[json_name] = record[text_name]

    @api.model_create_multi
    def create(self, vals_list):
        self._check_may_change(self._workflows_of_vals(vals_list))
        self._check_vals(vals_list)
        self.env.registry.clear_cache()
        records = super(WorkflowDefinitionMixin, self._deferring_versions()).create(
            [self._parse_json_vals(vals) for vals in vals_list]
        ).with_env(self.env)
        records._save_versions(records._definition_workflows())
        return records

    def write(self, vals):
        self._check_may_change(self._definition_workflows() | self._workflows_of_vals([vals]))
        self._check_vals([vals])
        self.env.registry.clear_cache()
        result = super(WorkflowDefinitionMixin, self._deferring_versions()).write(self._parse_json_vals(vals))
        self._save_versions(self._definition_workflows())
        return result

    def unlink(self):
        workflows = self._definition_workflows()
        self._check_may_change(workflows)
        self.env.registry.clear_cache()
        result = super().unlink()
        self._save_versions(workflows)
        return result

    def _definition_workflows(self):
        """The workflows whose definition these records are part of."""
        return self.workflow_id

    @api.model
    def _workflows_of_vals(self, vals_list):
        """The workflows that triggers or actions created or moved with ``vals_list`` join."""
        if "workflow_id" not in self._fields:
            return self.env["workflow.workflow"]
        return self.env["workflow.workflow"].browse(
            {vals["workflow_id"] for vals in vals_list if vals.get("workflow_id")}
        )

    @api.model
    def _check_may_change(self, workflows):
        """Raise AccessError, naming the run-as user, unless the current user may change
        ``workflows``: a Workflow Administrator may change any, anybody else only those that
        run as themselves."""
        if self.env.su or self.env.user.has_group(ADMIN_GROUP):
            return
        for workflow in workflows.sudo():
            if workflow.run_as_user_id != self.env.user:
                raise AccessError(self.env._(
                    "The workflow '%(workflow)s' runs as %(user)s: only a Workflow Administrator or "
                    "%(user)s may change it.",
                    workflow=workflow.name, user=workflow.run_as_user_id.name,
                ))

    def _check_condition_field(self, name):
        """Raise ValidationError, naming the field, unless the conditions in the field ``name``
        of each of these records fit the condition DSL."""
        for record in self:
            try:
                dsl.validate(record[name] or None)
            except dsl.ConditionError as exc:
                raise ValidationError(self.env._(
                    "Invalid %(field)s: %(error)s", field=self._fields[name].string.lower(), error=exc
                )) from exc

    @api.model
    def _check_vals(self, vals_list):
        """Refuse values that the current user, who may change these workflows, may not save
        (checked before anything is written, once _check_may_change allowed the change)."""

    def _deferring_versions(self):
        # A form saves a workflow with its triggers and actions in one write: the nested
        # writes of the triggers and actions leave the one version to the outermost write.
        return self.with_context(workflow_versions_deferred=True)

    def _save_versions(self, workflows):
        if not self.env.context.get("workflow_versions_deferred"):
            self.env["workflow.version"]._record(workflows)

    @api.model
    def _parse_json_vals(self, vals):
        parsed = {name: self._parse_json(name, vals[name]) for name in self._json_fields if name in vals}
        return dict(vals, **parsed) if parsed else vals

    @api.model
    def _parse_json(self, name, value):
        """``value`` of the JSON field ``name``, parsed when it is text; a ValidationError naming
        the field when the text is no JSON."""
        try:
            return jsondoc.load(value, name, self._json_fields[name])
        except WorkflowError as exc:
            raise ValidationError(self.env._(
                "Invalid %(field)s: %(error)s", field=self._fields[name].string.lower(), error=exc
            )) from exc
