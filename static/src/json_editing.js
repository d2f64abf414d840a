import { useComponent, useState } from "@odoo/owl";
import { useBus } from "@web/core/utils/hooks";
import { debounce } from "@web/core/utils/timing";

/**
 * Editing a JSON field both with a structured editor and as raw JSON text.
 *
 * Every change is checked by ``check(valueOrText)``, the server's own validation, which
 * resolves to the message that saving would refuse the value with, or false. The message
 * is shown under the editor and the field is marked invalid, so that the record cannot
 * be saved until the JSON is fixed. Raw text reaches the record only once it is valid.
 *
 * When the record is about to be saved, an input of the editor (``rootRef``) that still
 * has the focus gives up its change first, as Odoo's own fields do.
 */
export function useJsonEditing(check, rootRef) {
    const component = useComponent();
    const state = useState({ mode: "structured", text: "", textDirty: false, error: false, pending: null });
    let latestCheck = 0;
    let latestUpdate = 0;
    let pendingCheck = Promise.resolve();

    const record = () => component.props.record;
    const fieldName = () => component.props.name;

    async function runCheck(input) {
        const ticket = ++latestCheck;
        const message = await check(input);
        // An answer to an earlier edit says nothing about the current value.
        if (ticket === latestCheck) {
            state.error = message || false;
            if (message) {
                await record().setInvalidField(fieldName());
            }
        }
        return message;
    }

    function checked(input) {
        pendingCheck = runCheck(input);
        return pendingCheck;
    }

    const checkTextSoon = debounce(() => checked(state.text), 300);

    async function writeText() {
        const text = state.text;
        if (await checked(text)) {
            return false;
        }
        let value = false;
        try {
            value = text.trim() ? JSON.parse(text) : false;
        } catch (error) {
            // Python reads NaN and Infinity, which JSON (and so JavaScript) does not know.
            state.error = error.message;
            await record().setInvalidField(fieldName());
            return false;
        }
        state.textDirty = false;
        record().model.bus.trigger("FIELD_IS_DIRTY", false);
        await record().update({ [fieldName()]: value });
        return true;
    }

    let committing = null;
    /** Write the raw text when it is valid; resolves to whether the record has it. */
    function commitText() {
        if (!state.textDirty) {
            return Promise.resolve(true);
        }
        committing ||= writeText().finally(() => (committing = null));
        return committing;
    }

    useBus(record().model.bus, "NEED_LOCAL_CHANGES", ({ detail }) => {
        const focused = document.activeElement;
        if (rootRef.el?.contains(focused) && focused.matches("input, textarea")) {
            // Blurring an edited input dispatches its "change" now, so the edit is made first.
            focused.blur();
        }
        detail.proms.push(state.textDirty ? commitText() : pendingCheck);
    });

    return {
        state,
        /**
         * The value being edited: the last one written, even while the record is still
         * applying it, so that quick successive edits build on each other.
         */
        get value() {
            return state.pending ? state.pending.value : record().data[fieldName()] || null;
        },
        get text() {
            if (state.textDirty) {
                return state.text;
            }
            const value = this.value;
            return value === null ? "" : JSON.stringify(value, null, 2);
        },
        /** Write ``value``, built by the structured editor, then check it. */
        update(value) {
            const ticket = ++latestUpdate;
            state.pending = { value };
            pendingCheck = (async () => {
                await record().update({ [fieldName()]: value === null ? false : value });
                if (ticket === latestUpdate) {
                    state.pending = null;
                }
                return runCheck(value);
            })();
            return pendingCheck;
        },
        onTextInput(text) {
            state.text = text;
            state.textDirty = true;
            // The form shows that there are changes to save, as for Odoo's own inputs.
            record().model.bus.trigger("FIELD_IS_DIRTY", true);
            checkTextSoon();
        },
        commitText,
        async setMode(mode) {
            if (mode === "structured" && !(await commitText())) {
                return;
            }
            state.mode = mode;
        },
    };
}
