import json

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..engine import snapshots


class WorkflowVersion(models.Model):
    _name = "workflow.version"
    _description = "Workflow Version"
    _order = "workflow_id, version desc"
    _rec_name = "version"

    workflow_id = fields.Many2one(
        "workflow.workflow", required=True, ondelete="cascade", index=True, readonly=True,
        help="The workflow whose definition this version records.",
    )
    version = fields.Integer(
        required=True, readonly=True,
        help="1 for the definition the workflow was created with, then one more per change.",
    )
    snapshot = fields.Json(
        readonly=True,
        help="The definition as it was saved: the workflow, its triggers and actions, as the REST API "
        "documents it, without ids and run counters.",
    )
    snapshot_text = fields.Text(
        compute="_compute_snapshot_text", string="Definition (JSON)", help="The snapshot as indented JSON."
    )
    author_id = fields.Many2one(
        "res.users", readonly=True, help="The user whose save created this version."
    )
    changes = fields.Text(
        readonly=True, help="What this version changed, one path per line with its value before and after."
    )

    _sql_constraints = [
        ("workflow_version_unique", "UNIQUE(workflow_id, version)", "A workflow has one version of each number."),
    ]

    @api.depends("snapshot")
    def _compute_snapshot_text(self):
        for version in self:
            version.snapshot_text = json.dumps(version.snapshot, indent=2, ensure_ascii=False)

    def _compute_display_name(self):
        for version in self:
            version.display_name = self.env._("%(workflow)s v%(version)s", workflow=version.workflow_id.name,
                                              version=version.version)

    def write(self, vals):
        if self:
            self.check_access("write")
            raise UserError(self.env._("Workflow versions cannot be changed: restore one to make it current again."))
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_audit_trail(self):
        # The versions of a deleted workflow go with it, by the database's cascade.
        raise UserError(self.env._("Workflow versions cannot be deleted: they are the workflow's audit trail."))

    def action_restore(self):
        """Make this version's definition the current one again, which saves it as a new version."""
        self.ensure_one()
        workflow = self.workflow_id.sudo(False)
        workflow.check_access("write")
        workflow._write_document(self.snapshot)
        return True

    @api.model
    def _record(self, workflows):
        """Save the definition of each of ``workflows`` as a new version when it differs from
        their last one, and post the changes on the workflow's chatter as the current user."""
        author = self.env.user
        for workflow in workflows.sudo().with_context(active_test=False).exists():
            snapshot = self._snapshot_of(workflow)
            last = self.sudo().search([("workflow_id", "=", workflow.id)], limit=1)
            if last and last.snapshot == snapshot:
                continue
            found = snapshots.changes(last.snapshot, snapshot) if last else []
            number = last.version + 1 if last else 1
            self.sudo().create({
                "workflow_id": workflow.id,
                "version": number,
                "snapshot": snapshot,
                "author_id": author.id,
                "changes": "\n".join(
                    f"{path}: {snapshots.shown(before)} → {snapshots.shown(after)}" for path, before, after in found
                ) or False,
            })
            workflow.message_post(
                body=self._message_body(number, found), author_id=author.partner_id.id,
                message_type="notification", subtype_xmlid="mail.mt_note",
            )

    @api.model
    def _snapshot_of(self, workflow):
        return json.loads(json.dumps(workflow._to_document(read_only=False)))

    @api.model
    def _message_body(self, number, found):
        if not found:
            return Markup("<p>%s</p>") % self.env._("Version %s: the workflow's first definition.", number)
        lines = Markup("").join(
            Markup("<li><code>%s</code>: %s → %s</li>") % (path, snapshots.shown(before), snapshots.shown(after))
            for path, before, after in found
        )
        return Markup("<p>%s</p><ul>%s</ul>") % (self.env._("Version %s changed:", number), lines)
