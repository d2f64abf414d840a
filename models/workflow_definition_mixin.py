from odoo import api, models

from ..engine import jsondoc


class WorkflowDefinitionMixin(models.AbstractModel):
    """What the models that define a workflow (workflows, triggers, actions) share.

    Changing a definition invalidates the cache of active triggers that the CRM hooks read,
    and the JSON fields listed in ``_json_fields`` also accept JSON text, as forms and
    XML-RPC clients send it.
    """

    _name = "workflow.definition.mixin"
    _description = "Workflow Definition"

    _json_fields = {}
    """JSON field name -> the engine error class that reports its syntax errors."""

    @api.model_create_multi
    def create(self, vals_list):
        self.env.registry.clear_cache()
        return super().create([self._parse_json_vals(vals) for vals in vals_list])

    def write(self, vals):
        self.env.registry.clear_cache()
        return super().write(self._parse_json_vals(vals))

    def unlink(self):
        self.env.registry.clear_cache()
        return super().unlink()

    @api.model
    def _parse_json_vals(self, vals):
        parsed = {name: self._parse_json(name, vals[name]) for name in self._json_fields if name in vals}
        return dict(vals, **parsed) if parsed else vals

    @api.model
    def _parse_json(self, name, value):
        """``value`` of the JSON field ``name``, parsed when it is text."""
        return jsondoc.load(value, name, self._json_fields[name])
