import { Component } from "@odoo/owl";
import { ConditionLeaf } from "./condition_leaf";
import { ROOT_PATH, addCondition, childPath, negate, newLeaf, nodeKind, switchGroup } from "./condition_tree";

/**
 * A node of the condition tree: an "and" / "or" group, a "not", or a leaf.
 *
 * Nodes change the tree through ``edit(node, transform, {modifies})``, which replaces
 * ``node`` by ``transform(node)`` wherever the node is in the tree by then (see
 * ConditionBuilderField.edit); ``modifies`` tells that the result is the same node,
 * changed, rather than a node that wraps it.
 */
export class ConditionNode extends Component {
    static template = "workflow_engine.ConditionNode";
    static props = {
        node: Object,
        path: String,
        info: Object,
        edit: Function,
    };

    get kind() {
        return nodeKind(this.props.node);
    }

    get children() {
        return this.props.node[this.kind];
    }

    get leafPath() {
        return this.props.path || ROOT_PATH;
    }

    get negatedPath() {
        return childPath(this.props.path, "not");
    }

    childPathAt(index) {
        return childPath(this.props.path, `${this.kind}[${index}]`);
    }

    setGroupKind(kind) {
        this.props.edit(this.props.node, (group) => switchGroup(group, kind), { modifies: true });
    }

    addLeaf() {
        this.props.edit(this.props.node, (group) => addCondition(group, newLeaf()), { modifies: true });
    }

    addGroup() {
        // A group inside an "and" is most often an alternative, and the other way round.
        const kind = this.kind === "and" ? "or" : "and";
        this.props.edit(this.props.node, (group) => addCondition(group, { [kind]: [newLeaf()] }), {
            modifies: true,
        });
    }

    negate() {
        this.props.edit(this.props.node, negate);
    }

    removeNegation() {
        this.props.edit(this.props.node, (node) => node.not);
    }

    remove() {
        this.props.edit(this.props.node, () => null);
    }
}

ConditionNode.components = { ConditionLeaf, ConditionNode };
