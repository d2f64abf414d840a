import ipaddress
import json
import logging
import re
import socket
from collections import defaultdict

import requests
from markupsafe import Markup

from odoo import api, fields, models, tools
from odoo.exceptions import AccessError, ValidationError
from odoo.tools.mail import email_normalize, email_split_and_format

from ..engine import actions as schemas
from ..engine import conditions as dsl
from ..engine import jsondoc, splits, steps, templates, timing, urls
from ..engine.events import ENTITY_MODELS
from ..engine.exceptions import ActionError, ConfigError, WorkflowError
from ..groups import ADMIN_GROUP, MANAGER_GROUP
from .record_context import field_name, shown_value

_logger = logging.getLogger(__name__)

WEBHOOK_TIMEOUT = 10
"""Seconds a webhook may take when its config sets no timeout."""
WEBHOOK_EXCERPT = 2000
"""Characters of a webhook's response body kept in the run log."""
WEBHOOK_ALLOWED_HOSTS_PARAM = "workflow_engine.webhook_allowed_hosts"
TEMPLATE_LIMIT_PARAMS = {
    "max_render_ms": "workflow_engine.template_max_render_ms",
    "max_output_chars": "workflow_engine.template_max_output_chars",
}
"""The system parameters that set each of engine.templates.Limits (a positive whole number)."""

ENTITY_DOMAINS = {
    "lead": [("type", "=", "lead")],
    "deal": [("type", "=", "opportunity")],
    "contact": [("is_company", "=", False)],
    "account": [("is_company", "=", True)],
}
"""What narrows a model to the entity type an export names."""

FILTER_DOMAIN_OPERATORS = {
    "eq": "=", "ne": "!=", "gt": ">", "gte": ">=", "lt": "<", "lte": "<=", "in": "in", "contains": "ilike",
}

ADMIN_ONLY_TYPES = frozenset({"call_webhook", "enqueue_export"})
"""Action types that reach outside the CRM: only Workflow Administrators may use them."""
SUB_WORKFLOW_FAILED_STATES = frozenset({"failed", "cancelled"})
"""The final states of a sub-workflow's run that fail the run_workflow action that started it."""
CONTACT_PLACEHOLDER = re.compile(
    r"\{\{\s*(?:(?:lead|deal|contact|account|record)\.(?:email|email_from|partner_id\.email|owner\.email"
    r"|user_id\.email)|user\.email)\s*\}\}"
)
"""The placeholders a Workflow Manager's e-mail may be sent to: the record's own contacts
(its e-mail, its partner's) and internal users (its salesperson, the run-as user)."""

RIGHTS_FIELDS = frozenset({
    "groups_id", "user_ids", "users", "login", "password", "new_password", "api_key_ids", "company_ids",
    "share", "totp_secret", "signup_token", "signup_type", "signup_expiration",
})
"""Fields that give rights or identity wherever they are: only a workflow that runs as a
Workflow Administrator may write them."""
RIGHTS_COMODELS = frozenset({"res.groups", "res.users.apikeys"})
USER_IDENTITY_FIELDS = {
    "res.partner": frozenset({"name", "email", "company_id"}),
    "crm.lead": frozenset({"email_from"}),
}
"""Fields that are, or write through to (a lead's e-mail updates its partner's), the name,
e-mail or company of a partner that belongs to an internal user: an identity."""

BATCHED_TYPES = frozenset({"update_field", "add_note"})
"""Action types that run on many records at once (one write, one batch of notes) when a
queue worker executes several runs of one workflow together."""

ACTION_TYPE_SELECTION = [(key, schema.label) for key, schema in schemas.ACTION_TYPES.items()]
"""The action types of engine.actions as a selection."""


class WorkflowAction(models.Model):
    _name = "workflow.action"
    _inherit = ["workflow.definition.mixin"]
    _description = "Workflow Action"
    _order = "ordering, id"
    _json_fields = {"config": ConfigError, "conditions": dsl.ConditionError}
    _json_text_fields = {"config_text": "config"}
    _sql_constraints = [
        ("workflow_key_unique", "unique(workflow_id, key)",
         "Each step key names one action of its workflow: another action of the workflow has this key."),
    ]

    workflow_id = fields.Many2one(
        "workflow.workflow", required=True, ondelete="cascade", index=True,
        help="The workflow that runs this action.",
    )
    name = fields.Char(
        required=True, help="What this step does, as shown in the run log."
    )
    action_type = fields.Selection(
        ACTION_TYPE_SELECTION, required=True, default="add_note",
        help="What the action does. Its configuration keys depend on the type.",
    )
    ordering = fields.Integer(
        default=10, help="Actions run one after the other, lowest ordering first."
    )
    config = fields.Json(
        string="Configuration",
        help="The action's parameters (JSON), as in the design's action schemas. Every "
        "string may use placeholders such as {{lead.email}}, {{user.email}} or {{today+2}}.",
    )
    config_text = fields.Text(
        string="Configuration (JSON)", compute="_compute_json_text",
        inverse="_inverse_json_text",
        help="The configuration as JSON text.",
    )
    allow_failure = fields.Boolean(
        help="When checked, a failure of this action is logged and the run goes on with the "
        "next action (the run ends as partial). Otherwise a failure stops the run.",
    )
    key = fields.Char(
        help="Names this step for the actions after it, whose configs and conditions read its "
        "state and output as steps.<key>.state and steps.<key>.output (e.g. "
        "{{steps.enrich.output.json.score}}). Lowercase letters, digits and _, starting with a "
        "letter; unique in the workflow. Empty: no later action reads this step.",
    )
    conditions = fields.Json(
        help="Condition DSL (JSON) checked right before this action runs, on the record as the "
        "earlier actions left it and the outputs of the earlier steps (steps.<key>...). When it "
        "does not hold, the action is skipped, with why, and the run goes on. Empty: the action "
        "always runs.",
    )
    company_id = fields.Many2one(related="workflow_id.company_id", store=True)

    @api.constrains("key")
    def _check_key(self):
        for action in self:
            problem = steps.key_error(action.key or None)
            if problem:
                raise ValidationError(self.env._(
                    "Invalid key %(key)r of action '%(name)s': %(error)s.", key=action.key, name=action.name,
                    error=problem,
                ))

    @api.constrains("conditions")
    def _check_conditions(self):
        self._check_condition_field("conditions")

    @api.constrains("key", "ordering", "config", "conditions")
    def _check_step_order(self):
        self.workflow_id._check_step_order()

    @api.constrains("action_type", "config")
    def _check_config(self):
        for action in self:
            try:
                schemas.validate_config(action.action_type, action.config or {})
            except WorkflowError as exc:
                raise ValidationError(
                    self.env._("Invalid configuration of action '%(name)s': %(error)s",
                      name=action.name, error=exc)
                ) from exc

    @api.constrains("action_type", "config", "workflow_id")
    def _check_sub_workflow(self):
        for action in self.filtered(lambda action: action.action_type == "run_workflow" and action.workflow_id):
            reference = (action.config or {}).get("workflow") if isinstance(action.config, dict) else None
            problem = action.workflow_id._sub_workflow_problem(reference, None if self.env.su else self.env.user)
            if problem:
                index = list(action.workflow_id.with_context(active_test=False).action_ids).index(action)
                raise ValidationError(self.env._(
                    "actions[%(index)s].config.workflow: %(problem)s", index=index, problem=problem
                ))

    @api.constrains("action_type", "config")
    def _check_saving_user_capability(self):
        if not self.env.su:
            for action in self:
                action._check_capability(self.env.user)

    def _check_capability(self, user):
        """Raise AccessError, naming this action and the group it needs, unless ``user``'s role allows it."""
        problem = self._capability_problem(user)
        if problem:
            raise AccessError(problem)

    def _capability_problem(self, user):
        """Why ``user``'s role does not allow this action, or None."""
        self.ensure_one()
        group = self._required_group()
        if user.has_group(group):
            return None
        return self.env._(
            "The action '%(name)s' (%(type)s) needs the group %(group)s.",
            name=self.name, type=self.action_type, group=self.env.ref(group).sudo().full_name,
        )

    def _required_group(self):
        if self.action_type in ADMIN_ONLY_TYPES:
            return ADMIN_GROUP
        if self.action_type == "send_email" and not all(
            self._is_internal_recipient(address) for address in self._configured_recipients()
        ):
            return ADMIN_GROUP
        return MANAGER_GROUP

    def _configured_recipients(self):
        config = self.config if isinstance(self.config, dict) else {}
        return [
            part.strip() for key in ("to", "cc") for part in str(config.get(key) or "").split(",") if part.strip()
        ]

    def _is_internal_recipient(self, address):
        """Whether a configured recipient stays inside the company: a placeholder of
        CONTACT_PLACEHOLDER, or the e-mail of an internal user."""
        if templates.is_template(address):
            return bool(CONTACT_PLACEHOLDER.fullmatch(address))
        return self._is_internal_user_email(address)

    @api.model
    def _is_internal_user_email(self, address):
        normalized = email_normalize(address)
        return bool(normalized) and bool(self.env["res.users"].sudo().search_count(
            [("share", "=", False), ("email_normalized", "=", normalized)], limit=1
        ))

    @api.model
    def _check_rendered_recipients(self, target, addresses):
        """At run time, a Workflow Manager's e-mail goes only to internal users and to the
        e-mail addresses of the records it is about (and of their partners)."""
        if target.env.user.has_group(ADMIN_GROUP):
            return
        contacts = set()
        for entity in target:
            for name in ("email_from", "email", "email_normalized"):
                if name in entity._fields and entity[name]:
                    contacts.add(email_normalize(entity[name]))
            if "partner_id" in entity._fields and entity.partner_id.email:
                contacts.add(email_normalize(entity.partner_id.email))
        outside = [
            address for address in addresses
            if email_normalize(address) not in contacts and not self._is_internal_user_email(address)
        ]
        if outside:
            raise ActionError(
                f"{target.env.user.login} may only e-mail internal users and the record's contacts, not "
                f"{', '.join(outside)}; other addresses need the group Workflow Engine / Administrator",
                path="config.to",
            )

    def _render_input(self, run, context):
        """This action's config rendered for ``run``, and the secret values it may hold.

        Only webhooks see the secret store, so no other action can copy a secret into a
        note or an e-mail; their Idempotency-Key header lets receivers drop retries.
        """
        self.ensure_one()
        rendered, secrets = self._render_config(context, run.company_id)
        if self.action_type == "call_webhook":
            rendered.setdefault("headers", {}).setdefault("Idempotency-Key", f"{run.uuid}:{self.id}")
        return rendered, secrets

    def _render_config(self, context, company):
        """This action's config rendered in ``context`` as a run of ``company`` renders it (a
        dry run too), and the secret values it may hold, to be masked wherever it is shown."""
        self.ensure_one()
        secrets = {}
        if self.action_type == "call_webhook":
            secrets = self.env["workflow.secret"]._values_for(company)
            context = context.new_child(secrets)
        rendered = templates.render(
            self.config or {}, context, today=context.get("today"), limits=self._template_limits()
        )
        return rendered, list(secrets.values())

    @api.model
    @tools.ormcache()
    def _template_limits(self):
        """The limits of a rendering, from their system parameters; a value that is not a
        positive whole number leaves its limit at the default, with a warning in the log.
        Cached: every action run renders, and a system parameter's change clears the cache."""
        parameters = self.env["ir.config_parameter"].sudo()
        defaults = templates.Limits()
        limits = {}
        for name, parameter in TEMPLATE_LIMIT_PARAMS.items():
            value = parameters.get_param(parameter)
            if not value:
                continue
            try:
                limits[name] = int(value)
            except ValueError:
                limits[name] = 0
            if limits[name] <= 0:
                _logger.warning("system parameter %s=%r is not a positive whole number: %s stays %s",
                                parameter, value, name, getattr(defaults, name))
                del limits[name]
        return templates.Limits(**limits)

    def _execute(self, record, config):
        """Run this action with its rendered ``config`` on ``record`` (in the run-as user's
        environment) and return what it produced, as a JSON-able dict."""
        self.ensure_one()
        schemas.check_rendered(self.action_type, config)
        handler = getattr(self, f"_execute_{self.action_type}", None)
        if handler is None:
            raise ActionError(
                f"action type '{self.action_type}' cannot run yet", path="action_type"
            )
        return handler(record, config)

    def _can_execute_many(self, records, configs):
        """Whether this action, rendered as ``configs`` (one per record of ``records``, in
        order), can run on all of them at once: its type has a batch form, each config acts
        on its own run's record, and no record comes twice (the second run would have to see
        what the first did)."""
        self.ensure_one()
        if self.action_type not in BATCHED_TYPES or len(set(records.ids)) != len(records):
            return False
        return all(
            (config.get("entity_type") or "record") == "record" and config.get("entity_id") in (None, "")
            and (self.action_type != "add_note" or config.get("visibility", "internal") == "internal")
            for config in configs
        )

    def _execute_many(self, records, configs):
        """Run this action on each of ``records`` (in the run-as user's environment) with its
        rendered config in ``configs`` and return their outputs, in order: what ``_execute``
        returns for each, from one write per distinct change or one batch of notes. Only for
        what ``_can_execute_many`` admits; a failure fails the whole batch."""
        self.ensure_one()
        for config in configs:
            schemas.check_rendered(self.action_type, config)
        return getattr(self, f"_execute_many_{self.action_type}")(records, configs)

    def _execute_wait(self, record, config):
        # The run loop stops the run here and the queue resumes it at this moment: the wait
        # itself changes nothing.
        moment = timing.resume_at(config, fields.Datetime.now(), record.env.user.tz, config.get("until"))
        return {"resume_at": jsondoc.iso(moment)}

    def _execute_split(self, record, config):
        # The variant hashes the workflow and the record: the same record takes the same one
        # on every run, and the later actions' conditions read it as steps.<key>.output.variant.
        variant = splits.choose_variant(config["variants"], self.workflow_id.id, f"{record._name},{record.id}")
        return {"variant": variant}

    def _execute_run_workflow(self, record, config):
        """Start the sub-workflow of ``config`` on the run's record (or the one ``record`` and
        ``entity_type`` name) as its ``execute`` would: its triggers' conditions, its run-as
        user, its execution mode; one level deeper in the chain (the run loop's
        ``workflow_depth``), as a child of the run in the context's ``workflow_parent_run_id``."""
        parent = self.env["workflow.run"].sudo().browse(self.env.context.get("workflow_parent_run_id"))
        workflow = self.workflow_id._find_sub_workflow(config["workflow"])
        problem = self.workflow_id._sub_workflow_problem(workflow or config["workflow"], record.env.user)
        if problem:
            raise ActionError(problem, path="config.workflow")
        target = record
        if config.get("record") not in (None, ""):
            model = ENTITY_MODELS.get(config.get("entity_type") or "record", record._name)
            if not model:
                raise ActionError("this run has no record: name the record's entity_type", path="config.entity_type")
            target = record.env[model].browse(int(config["record"])).exists()
            if not target:
                raise ActionError(f"{model} record {config['record']} does not exist", path="config.record")
        if target:
            target.check_access("read")
        payload = config.get("payload") or {}
        self.env["workflow.workflow"]._check_payload(payload)
        child = self.env["workflow.run"]._start_run(
            workflow.with_env(record.env), target, "manual", payload, parent_run_id=parent.id or False,
        )
        return child.sudo()._sub_workflow_output(with_steps=bool(config.get("wait")))

    def _execute_update_field(self, record, config):
        target = self._target_record(record, config)
        name, field = self._writable_field(target, config)
        value = self._convert_value(target, field, config["value"])
        old_value = shown_value(target, name, field.convert_to_write(target[name], target)) if target else None
        target.write({name: value})
        return {
            "model": target._name, "ids": target.ids, "field": name,
            "old_value": old_value, "new_value": value,
        }

    def _execute_many_update_field(self, records, configs):
        changes = defaultdict(list)
        for index, config in enumerate(configs):
            changes[config["field"], json.dumps(config["value"], sort_keys=True, default=str)].append(index)
        outputs = [None] * len(records)
        for indexes in changes.values():
            config = configs[indexes[0]]
            targets = records.browse([records.ids[index] for index in indexes])
            name, field = self._writable_field(targets, config)
            value = self._convert_value(targets, field, config["value"])
            old_values = [shown_value(target, name, field.convert_to_write(target[name], target)) for target in targets]
            targets.write({name: value})
            for index, target, old_value in zip(indexes, targets, old_values, strict=True):
                outputs[index] = {
                    "model": targets._name, "ids": target.ids, "field": name,
                    "old_value": old_value, "new_value": value,
                }
        return outputs

    def _execute_add_note(self, record, config):
        target = self._target_record(record, config)
        self._check_chatter(target)
        body = self._plain_text_html(config["note"])
        if config.get("visibility", "internal") == "internal":
            messages = self._log_notes(target, dict.fromkeys(target.ids, body))
        else:
            messages = target.env["mail.message"]
            for entity in target:
                messages |= entity.message_post(body=body, message_type="comment", subtype_xmlid="mail.mt_comment")
        return {"model": target._name, "ids": target.ids, "message_ids": messages.ids}

    def _execute_many_add_note(self, records, configs):
        self._check_chatter(records)
        messages = self._log_notes(records, {
            record.id: self._plain_text_html(config["note"]) for record, config in zip(records, configs, strict=True)
        })
        message_ids = {message.res_id: message.id for message in messages}
        return [
            {"model": records._name, "ids": record.ids, "message_ids": [message_ids[record.id]]}
            for record in records
        ]

    @api.model
    def _log_notes(self, targets, bodies):
        """Log the internal notes ``bodies`` (by record id) on ``targets``: a log note notifies
        nobody, so Odoo's batched log path serves, once access is checked."""
        targets.check_access(targets._mail_post_access)
        return targets._message_log_batch(bodies, message_type="comment")

    def _execute_send_email(self, record, config):
        target = self._target_record(record, config)
        addresses = [address for address in email_split_and_format(config["to"]) if address]
        invalid = [address for address in addresses if not email_normalize(address)]
        if not addresses or invalid:
            raise ActionError(
                f"not a valid e-mail address: {', '.join(invalid) or repr(config['to'])}",
                path="config.to",
            )
        self._check_rendered_recipients(target, addresses + [
            address for address in email_split_and_format(config.get("cc") or "") if address
        ])
        body = self._email_body(target, config)
        # A partner created for an address takes what the record knows of it (a lead's contact
        # name, ...), as the recipients Odoo suggests in the chatter do.
        partners = target.env["res.partner"].concat(*target.env["res.partner"]._find_or_create_from_emails(
            addresses, additional_values=target._get_customer_information(),
        ))
        messages = target.env["mail.message"]
        for entity in target.with_context(workflow_notify_channel=("email", partners.ids)):
            messages |= entity.message_post(
                body=body, subject=config["subject"], partner_ids=partners.ids,
                message_type="comment", subtype_xmlid="mail.mt_comment", notify_author=True,
                force_send=False,
            )
        mails = target.env["mail.mail"].sudo().search([("mail_message_id", "in", messages.ids)])
        return {
            "model": target._name, "ids": target.ids, "message_ids": messages.ids,
            "mail_ids": mails.ids, "recipients": addresses,
        }

    def _email_body(self, target, config):
        if not config.get("template"):
            return self._plain_text_html(config["body"])
        env = target.env
        reference = config["template"]
        template = env.ref(reference, raise_if_not_found=False) if "." in reference else None
        if not template or template._name != "mail.template":
            template = env["mail.template"].search([("name", "=", reference)], limit=1)
        if not template:
            raise ActionError(f"no mail template '{reference}'", path="config.template")
        if template.model != target._name:
            raise ActionError(
                f"mail template '{reference}' is for {template.model}, not {target._name}",
                path="config.template",
            )
        variables = config.get("variables") or {}
        rendered = template._render_field(
            "body_html", target[:1].ids, add_context=dict(variables, variables=variables)
        )
        return rendered[target[:1].id]

    def _execute_create_task(self, record, config):
        target = self._target_record(record, config)
        assignee = self._find_user(target.env, config.get("assignee"), "config.assignee")
        deadline = self._to_date(config.get("due_date"), "config.due_date")
        note = self._plain_text_html(config.get("description") or "")
        if config.get("priority"):
            note += Markup("<p>%s</p>") % self.env._("Priority: %s", config["priority"])
        activities = target.activity_schedule(
            "mail.mail_activity_data_todo", date_deadline=deadline, summary=config["title"],
            note=note, user_id=(assignee or target.env.user).id,
        )
        return {"model": target._name, "ids": target.ids, "activity_ids": activities.ids}

    def _execute_send_notification(self, record, config):
        target = self._target_record(record, config)
        recipient = self._find_user(target.env, config["recipient"], "config.recipient")
        body = self._plain_text_html(config["message"])
        if config.get("link"):
            body += Markup('<p><a href="%s">%s</a></p>') % (config["link"], config["link"])
        partner_ids = recipient.partner_id.ids
        messages = target.env["mail.message"]
        for entity in target.with_context(workflow_notify_channel=("inbox", partner_ids)):
            messages |= entity.message_notify(
                body=body, subject=self.name, partner_ids=partner_ids, notify_author=True,
            )
        return {
            "model": target._name, "ids": target.ids, "message_ids": messages.ids,
            "recipient": recipient.login,
        }

    def _execute_call_webhook(self, record, config):
        url = config["url"]
        target, addresses = self._check_webhook_host(url)
        method = config.get("method", "POST")
        timeout = config.get("timeout", WEBHOOK_TIMEOUT)
        try:
            response = urls.send(
                target, addresses, method, headers=config.get("headers"), json=config.get("body"),
                timeout=timeout, allow_redirects=False,
            )
        except requests.Timeout as exc:
            raise ActionError(f"{url} did not answer within {timeout} s", path="config.url", retryable=True) from exc
        except requests.RequestException as exc:
            raise ActionError(f"request to {url} failed: {exc}", path="config.url", retryable=True) from exc
        output = {
            "status": response.status_code, "body": response.text[:WEBHOOK_EXCERPT],
            "json": self._webhook_json(response),
        }
        if not 200 <= response.status_code < 300:
            raise ActionError(
                f"{url} answered HTTP {response.status_code}", path="config.url",
                retryable=response.status_code >= 500 or response.status_code == 429, output=output,
            )
        return output

    @api.model
    def _webhook_json(self, response):
        """The parsed body of a webhook's JSON answer, for the later steps to read; None for any
        other answer, and for a body longer than the excerpt kept of it (WEBHOOK_EXCERPT)."""
        if "json" not in response.headers.get("Content-Type", "") or len(response.text) > WEBHOOK_EXCERPT:
            return None
        try:
            # NaN and the infinities are no JSON that PostgreSQL stores: they read as null.
            return json.loads(response.text, parse_constant=lambda _name: None)
        except ValueError:
            return None

    def _execute_enqueue_export(self, record, config):
        entity_type = config["entity_type"]
        model = record.env[ENTITY_MODELS.get(entity_type, record._name)]
        model.check_access("read")
        domain = list(ENTITY_DOMAINS.get(entity_type, []))
        for key, value in (config.get("filters") or {}).items():
            name, operator = schemas.split_filter_key(key)
            column = self._readable_field(model, name, f"config.filters.{key}")
            domain.append((column, FILTER_DOMAIN_OPERATORS[operator], value))
        columns = [self._readable_field(model, name, "config.fields") for name in config.get("fields") or []]
        export = self.env["workflow.export"].sudo().create({
            "user_id": record.env.uid,
            "company_id": record.env.company.id,
            "res_model": model._name,
            "domain": domain,
            "field_names": columns or False,
            "email_to": config["email_to"],
        })
        self.env.ref("workflow_engine.ir_cron_workflow_export").sudo()._trigger()
        return {"export_id": export.id, "model": model._name, "domain": domain, "fields": export.field_names}

    @api.model
    def _readable_field(self, model, name, path):
        odoo_name = field_name(model._name, name)
        field = model._fields.get(odoo_name)
        if field is None or not field.is_accessible(model.env):
            raise ActionError(f"{model._name} has no field '{name}' that {model.env.user.login} may read", path=path)
        return odoo_name

    def _check_webhook_host(self, url):
        """The URL as it will be sent, and the addresses (``(ip, port)``, in the resolver's
        order) its request may connect to.

        Refuses a URL that the HTTP client and urllib.parse read differently, and a host that
        resolves to a loopback, private, link-local or other non-public address (cloud
        metadata included) unless an Administrator allowed the host. The name is looked up
        here only: the request goes to the addresses returned.
        """
        try:
            target = urls.parse(url, "config.url")
        except ConfigError as exc:
            raise ActionError(f"refused: {url!r} {exc.message}", path="config.url") from exc
        allowed = self.env["ir.config_parameter"].sudo().get_param(WEBHOOK_ALLOWED_HOSTS_PARAM, "")
        try:
            infos = socket.getaddrinfo(target.host, target.port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError) as exc:
            raise ActionError(
                f"cannot resolve the host '{target.host}': {exc}", path="config.url", retryable=True
            ) from exc
        addresses = list(dict.fromkeys(info[4][:2] for info in infos))
        if target.host not in urls.allowed_hosts(allowed):
            for address, _port in addresses:
                ip = ipaddress.ip_address(address.split("%")[0])
                ip = getattr(ip, "ipv4_mapped", None) or ip
                if not ip.is_global or ip.is_multicast:
                    raise ActionError(
                        f"refused: '{target.host}' resolves to {ip}, which is not a public address; an "
                        f"Administrator may allow the host in the system parameter {WEBHOOK_ALLOWED_HOSTS_PARAM}",
                        path="config.url",
                    )
        return target, addresses

    @api.model
    def _find_user(self, env, reference, path):
        """The active user whose login or e-mail is ``reference`` (None when not given)."""
        if reference in (None, ""):
            return None
        users = env["res.users"].search(
            ["|", ("login", "=", str(reference)), ("email", "=ilike", str(reference))], limit=2
        )
        if len(users) != 1:
            problem = "several users match" if users else "no active user has the login or e-mail"
            raise ActionError(f"{problem} {reference!r}", path=path)
        return users

    @api.model
    def _to_date(self, value, path):
        if value in (None, ""):
            return None
        try:
            return fields.Date.to_date(value)
        except (TypeError, ValueError) as exc:
            raise ActionError(f"not an ISO date: {value!r}", path=path) from exc

    @api.model
    def _plain_text_html(self, text):
        return Markup("<p>%s</p>") % Markup("<br/>").join(str(text).splitlines() or [""])

    def _target_record(self, record, config):
        """The record an action acts on: the run's record, or the entity the config names."""
        entity_type = config.get("entity_type") or "record"
        entity_id = config.get("entity_id")
        if not record and (entity_type == "record" or entity_id in (None, "")):
            raise ActionError(
                "this run has no record: name one with entity_type and entity_id", path="config.entity_id"
            )
        if entity_type == "record" and entity_id in (None, "", record.id):
            return record
        model = ENTITY_MODELS.get(entity_type, record._name)
        if entity_id in (None, ""):
            if model != record._name:
                raise ActionError(
                    f"entity_type '{entity_type}' needs an entity_id on a {record._name} run",
                    path="config.entity_id",
                )
            return record
        try:
            target = record.env[model].browse(int(entity_id)).exists()
        except (TypeError, ValueError) as exc:
            raise ActionError(
                f"entity_id must be a record id, got {entity_id!r}", path="config.entity_id"
            ) from exc
        if not target:
            raise ActionError(
                f"{model} record {entity_id} does not exist", path="config.entity_id"
            )
        return target

    @api.model
    def _check_chatter(self, targets):
        if not hasattr(targets, "message_post"):
            raise ActionError(f"{targets._name} has no chatter to post on", path="config.entity_type")

    @api.model
    def _writable_field(self, target, config):
        """The name and field that ``config`` updates on ``target``'s model, refused when
        missing or not writable by the run-as user."""
        name = field_name(target._name, config["field"])
        field = target._fields.get(name)
        if field is None:
            raise ActionError(
                f"{target._name} has no field '{config['field']}'", path="config.field"
            )
        if not self._is_writable(target, field):
            raise ActionError(
                f"field '{name}' of {target._name} cannot be written by "
                f"{target.env.user.login}", path="config.field",
            )
        if self._gives_rights(target, field) and not target.env.user.has_group(ADMIN_GROUP):
            raise ActionError(
                f"field '{name}' of {target._name} gives rights or identity: only a workflow that runs "
                f"as a Workflow Administrator may write it", path="config.field",
            )
        return name, field

    @api.model
    def _gives_rights(self, targets, field):
        """Whether writing ``field`` on ``targets`` changes rights or a user's identity."""
        if field.name in RIGHTS_FIELDS or field.comodel_name in RIGHTS_COMODELS:
            return True
        if field.name not in USER_IDENTITY_FIELDS.get(targets._name, ()):
            return False
        partners = targets.sudo().partner_id if targets._name == "crm.lead" else targets.sudo()
        return any(not user.share for user in partners.with_context(active_test=False).user_ids)

    @api.model
    def _is_writable(self, target, field):
        if field.name in models.MAGIC_COLUMNS or field.type == "one2many":
            return False
        if field.readonly and not field.inverse:
            return False
        return field.is_accessible(target.env)

    @api.model
    def _convert_value(self, target, field, value):
        """Turn a config value into what ``write`` expects, refusing what does not fit."""
        path = "config.value"
        if value is None or value is False:
            return False
        if field.type == "many2one":
            return self._resolve_relation(target.env[field.comodel_name], value, path).id
        if field.type == "many2many":
            values = value if isinstance(value, list) else [value]
            comodel = target.env[field.comodel_name]
            ids = [self._resolve_relation(comodel, item, path).id for item in values]
            return [fields.Command.set(ids)]
        if field.type == "selection":
            keys = [key for key, _label in field._description_selection(target.env)]
            if value not in keys:
                raise ActionError(
                    f"'{value}' is not a value of {field.name}; expected one of {keys}", path=path
                )
        elif field.type in ("integer", "float", "monetary"):
            try:
                return int(value) if field.type == "integer" else float(value)
            except (TypeError, ValueError) as exc:
                raise ActionError(f"{field.name} needs a number, got {value!r}", path=path) from exc
        elif field.type == "boolean":
            return value not in ("false", "False", "0", 0, False)
        return value

    @api.model
    def _resolve_relation(self, comodel, value, path):
        if isinstance(value, int) and not isinstance(value, bool):
            related = comodel.browse(value).exists()
        else:
            related = comodel.search([("display_name", "=", str(value))], limit=2)
            if len(related) > 1:
                raise ActionError(
                    f"'{value}' names several {comodel._name} records; give an id", path=path
                )
        if not related:
            raise ActionError(f"no {comodel._name} record matches {value!r}", path=path)
        return related
