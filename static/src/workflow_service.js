import { registry } from "@web/core/registry";

/**
 * What the editors ask the server about workflows: the engine's descriptions (the
 * context a trigger's conditions read, the config keys of each action type), kept for
 * the session, and the validation that saving would apply, so that the editors refuse
 * exactly what saving would refuse, with the same message.
 */
export const workflowEngineService = {
    dependencies: ["orm"],
    start(env, { orm }) {
        const cache = new Map();
        const remembered = (key, load) => {
            if (!cache.has(key)) {
                cache.set(
                    key,
                    load().catch((error) => {
                        cache.delete(key);
                        throw error;
                    })
                );
            }
            return cache.get(key);
        };
        const call = (method, args) => orm.call("workflow.workflow", method, args);
        return {
            conditionContext: (eventType, entityType) =>
                remembered(`conditions:${eventType}:${entityType}`, () =>
                    call("get_condition_builder_info", [eventType, entityType || false])
                ),
            actionSchemas: () => remembered("action_schemas", () => call("get_action_schemas", [])),
            checkConditions: (conditions) => call("check_conditions", [conditions]),
            checkActionConfig: (actionType, config, name) =>
                call("check_action_config", [actionType, config, name || ""]),
        };
    },
};

registry.category("services").add("workflow_engine", workflowEngineService);
