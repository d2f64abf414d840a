import { Component, toRaw, useRef, useState } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { KeepLast } from "@web/core/utils/concurrency";
import { useService } from "@web/core/utils/hooks";
import { useRecordObserver } from "@web/model/relational_model/utils";
import { standardFieldProps } from "@web/views/fields/standard_field_props";
import { useJsonEditing } from "../json_editing";
import { ConditionNode } from "./condition_node";
import { addCondition, describeCondition, newLeaf, nodeKind, replaceNode } from "./condition_tree";

/**
 * The conditions of a workflow trigger as a tree of groups and comparisons, or as raw
 * JSON; both are checked by the server as saving would check them.
 */
export class ConditionBuilderField extends Component {
    static template = "workflow_engine.ConditionBuilderField";
    static components = { ConditionNode };
    static props = { ...standardFieldProps };

    setup() {
        this.workflowEngine = useService("workflow_engine");
        this.fieldService = useService("field");
        this.editing = useJsonEditing(
            (conditions) => this.workflowEngine.checkConditions(conditions), useRef("root")
        );
        this.state = useState({ info: null });
        this.keepLast = new KeepLast();
        // What each changed node became, for changes made before the tree was rendered again.
        this.successors = new WeakMap();
        useRecordObserver(async (record) => {
            const eventType = record.data.event_type || false;
            // A date trigger's conditions read the records of its entity.
            const entityType = (eventType === "date.reached" && record.data.entity_type) || false;
            if (this.state.info === null || eventType !== this.eventType || entityType !== this.entityType) {
                this.eventType = eventType;
                this.entityType = entityType;
                this.state.info = await this.keepLast.add(this.loadInfo(eventType, entityType));
            }
        });
    }

    get root() {
        return this.editing.value;
    }

    get rootKind() {
        return nodeKind(this.root);
    }

    get summary() {
        return describeCondition(this.root);
    }

    async loadInfo(eventType, entityType) {
        const info = await this.workflowEngine.conditionContext(eventType, entityType);
        const fieldDefs = await this.fieldService.loadFields(info.res_model);
        return { ...info, fieldNames: new Set(Object.keys(fieldDefs)) };
    }

    /**
     * Replace ``node`` by ``transform(node)`` in the tree being edited. A change made
     * before the tree is rendered again (a value typed just before a click elsewhere)
     * finds its node where it is by then, or the node that a change made of it.
     */
    edit(node, transform, { modifies = false } = {}) {
        // Nodes are compared by identity: reactive proxies of one node differ, their target does not.
        let current = toRaw(node);
        while (this.successors.has(current)) {
            current = this.successors.get(current);
        }
        const replacement = transform(current);
        if (modifies && current && replacement) {
            this.successors.set(current, replacement);
        }
        return this.editing.update(replaceNode(toRaw(this.editing.value), current, replacement));
    }

    addLeaf() {
        return this.edit(this.root, (root) => addCondition(root, newLeaf()));
    }

    addGroup() {
        return this.edit(this.root, (root) => addCondition(root, { or: [newLeaf()] }));
    }
}

export const conditionBuilderField = {
    component: ConditionBuilderField,
    displayName: _t("Workflow Condition Builder"),
    supportedTypes: ["json"],
};

registry.category("fields").add("workflow_condition_builder", conditionBuilderField);
