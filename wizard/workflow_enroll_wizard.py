import ast
import json

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..engine.events import ENTITY_MODELS, ENTITY_TYPES, WORKFLOW_MODELS, workflow_model_problem


class WorkflowEnrollWizard(models.TransientModel):
    """Enrolls existing records in a workflow (workflow.workflow.enroll): those a domain selects,
    from the workflow's form, or those selected in a list of leads or contacts. What the
    workflow's conditions would accept is shown first, as soon as the choices change."""

    _name = "workflow.enroll.wizard"
    _description = "Enroll Existing Records in a Workflow"

    workflow_id = fields.Many2one(
        "workflow.workflow", required=True, ondelete="cascade",
        domain="[('id', 'in', allowed_workflow_ids)]",
        help="The workflow to enroll the records in: each record its conditions accept gets a queued run.",
    )
    allowed_workflow_ids = fields.Many2many(
        "workflow.workflow", compute="_compute_allowed_workflow_ids",
        help="The active workflows of the current company whose triggers act on the records to enroll.",
    )
    entity_type = fields.Selection(
        ENTITY_TYPES, string="Records", compute="_compute_entity_type", store=True, readonly=False,
        help="Which records to enroll, when the workflow's triggers act on several kinds: the "
        "conditions of the triggers of that kind select them.",
    )
    several_entities = fields.Boolean(
        compute="_compute_several_entities",
        help="Whether the workflow's triggers act on several kinds of records: the wizard then asks which.",
    )
    res_model = fields.Char(
        string="Record Model", compute="_compute_res_model",
        help="The model of the records to enroll, on which the domain filters.",
    )
    domain = fields.Char(
        default="[]",
        help="Narrows the records the workflow's conditions select; empty for all of them.",
    )
    selected_model = fields.Char(
        help="The model of the records selected in a list, when the wizard enrolls them.",
    )
    selected_ids = fields.Json(
        help="The ids of the records selected in a list, when the wizard enrolls them; the domain is then not used.",
    )
    preview = fields.Json(
        compute="_compute_preview",
        help="What enrolling would do, without doing it: how many records the conditions accept, the "
        "first of them and a few they reject, each with the comparison that decided.",
    )

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        model, active_ids = self.env.context.get("active_model"), self.env.context.get("active_ids")
        if model in WORKFLOW_MODELS and active_ids and "default_workflow_id" not in self.env.context:
            values.setdefault("selected_model", model)
            values.setdefault("selected_ids", list(active_ids))
        return values

    @api.depends("selected_model")
    def _compute_allowed_workflow_ids(self):
        workflows = self.env["workflow.workflow"].search([
            ("company_id", "in", [self.env.company.id, False]),
        ])
        for wizard in self:
            wizard.allowed_workflow_ids = workflows.filtered(wizard._offers)

    @api.depends("workflow_id", "selected_model")
    def _compute_entity_type(self):
        for wizard in self:
            entities = wizard._workflow_entities()
            if wizard.entity_type not in entities:
                wizard.entity_type = wizard._default_entity(entities)

    @api.depends("workflow_id", "selected_model")
    def _compute_several_entities(self):
        for wizard in self:
            wizard.several_entities = len(wizard._workflow_entities()) > 1

    @api.depends("entity_type")
    def _compute_res_model(self):
        for wizard in self:
            wizard.res_model = ENTITY_MODELS.get(wizard.entity_type, False)

    @api.depends("workflow_id", "entity_type", "domain", "selected_ids")
    def _compute_preview(self):
        for wizard in self:
            if not wizard.workflow_id:
                wizard.preview = False
                continue
            try:
                wizard.preview = wizard._enroll(dry_run=True)
            except UserError as exc:
                wizard.preview = {"error": exc.args[0]}

    def action_enroll(self):
        """Enroll the records and open the new enrollment, whose progress follows its runs."""
        self.ensure_one()
        result = self._enroll(dry_run=False)
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Enrollment"),
            "res_model": "workflow.enrollment",
            "res_id": result["enrollment_id"],
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "current",
        }

    def _enroll(self, dry_run):
        """workflow.workflow.enroll with the wizard's choices: the records selected in a list, else
        those of the domain."""
        selected = self._selected()
        domain = None if selected is not None else self._domain()
        result = self.workflow_id.enroll(
            domain=domain, res_ids=selected, dry_run=dry_run, entity_type=self.entity_type or None,
        )
        if selected is not None:
            # Those the workflow may not take at all: of another kind or company, or hidden from the user.
            result["left_out_count"] = len(set(selected)) - result["count"] - result["rejected_count"]
        return result

    def _domain(self):
        """The domain widget's text as the list of terms enroll takes (JSON: lists, not tuples)."""
        try:
            return json.loads(json.dumps(ast.literal_eval(self.domain or "[]")))
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError) as exc:
            raise UserError(self.env._(
                "domain: %(domain)s is not a domain of literal values (%(error)s).", domain=self.domain, error=exc,
            )) from exc

    def _selected(self):
        """The ids of the records selected in a list, or None when the wizard enrolls those of its
        domain; what no list could have sent is refused, naming the field."""
        if not self.selected_model:
            return None
        problem = workflow_model_problem(self.selected_model)
        if problem:
            raise UserError(self.env._("selected_model: %s", problem))
        return self.env["workflow.workflow"]._check_enroll_ids(self.selected_ids) or []

    def _workflow_entities(self):
        """The kinds of records the wizard's workflow may enroll here."""
        return [entity for entity in self._entities(self.workflow_id) if self._acts_on(entity)]

    @api.model
    def _entities(self, workflow):
        """The kinds of records ``workflow``'s active triggers act on, in their order; all kinds
        when one of them acts on any record (a custom or timeline event)."""
        entities = [workflow._trigger_entity(trigger) for trigger in workflow.trigger_ids.filtered("active")]
        if None in entities:
            return list(ENTITY_MODELS)
        return list(dict.fromkeys(entities))

    def _offers(self, workflow):
        """Whether the wizard offers ``workflow``: one of its triggers acts on the records to enroll."""
        return any(self._acts_on(entity) for entity in self._entities(workflow))

    def _acts_on(self, entity):
        """Whether records of ``entity`` may be enrolled here: any, unless records of a list were selected."""
        return not self.selected_model or ENTITY_MODELS[entity] == self.selected_model

    def _default_entity(self, entities):
        """The kind of the first record selected in a list, when the workflow acts on it; else the first one."""
        selected = self._selected()
        if selected:
            record = self.env[self.selected_model].browse(selected[0]).exists()._filtered_access("read")
            if record._name == "crm.lead":
                kind = "deal" if record.type == "opportunity" else "lead"
            else:
                kind = "account" if record.is_company else "contact"
            if kind in entities:
                return kind
        return entities[0] if entities else False
