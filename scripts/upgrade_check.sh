#!/usr/bin/env bash
# Proves that a database of the previous release upgrades in place with -u workflow_engine:
#   1. the addon as of WORKFLOW_UPGRADE_BASE (a commit of this repository, default 35aec8e, the
#      last commit of 18.0.1.0.0, whose data migrations/18.0.1.1.0 converts) is extracted with
#      git archive and installed, with crm and without demo data, in a fresh database;
#   2. scripts/upgrade_check.py creates data of every kind there (odoo shell) and dumps every row;
#   3. -u workflow_engine with this checkout, then the rows are dumped again and compared: nothing
#      lost or changed but what the migrations document, and the pending, waiting and failed runs
#      still execute (the failed one after action_retry).
# Prints one line "upgrade check: PASSED|FAILED ..." and exits non-zero on any difference.
# WORKFLOW_UPGRADE_DB names the database (dropped at the end), WORKFLOW_TEST_HTTP_PORT Odoo's port.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ADDON_DIR" || exit 1

BASE=${WORKFLOW_UPGRADE_BASE:-35aec8e}
DB=${WORKFLOW_UPGRADE_DB:-wf_upgrade_check_$$}
HTTP_PORT=${WORKFLOW_TEST_HTTP_PORT:-8169}

fail() {
    echo "upgrade check: FAILED: $*"
    exit 1
}

if ! git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    fail "$ADDON_DIR is not a git checkout: the earlier version is taken from the repository's history"
fi
if ! git cat-file -e "$BASE^{commit}" 2>/dev/null; then
    shallow=""
    [ "$(git rev-parse --is-shallow-repository 2>/dev/null)" = true ] \
        && shallow=" (this clone is shallow: 'git fetch --unshallow' brings the history)"
    fail "the base commit $BASE is not in this clone$shallow; set WORKFLOW_UPGRADE_BASE to a commit it has"
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/workflow_upgrade_check.XXXXXX")
cleanup() {
    dropdb --if-exists -h "$DB_HOST" -p "$DB_PORT" -U "$DB_USER" "$DB" 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT

mkdir -p "$WORK/base/workflow_engine"
git archive "$BASE" | tar -x -C "$WORK/base/workflow_engine" || fail "git archive $BASE could not be extracted"
# The base tree as the only workflow_engine of its addons path, then this checkout for the upgrade.
ADDON_DIR=$WORK/base/workflow_engine RUN_DIR=$WORK/base-run prepare_addons_path
BASE_ADDONS_PATH=$ADDONS_PATH
prepare_addons_path
CURRENT_ADDONS_PATH=$ADDONS_PATH

odoo_with() {
    local addons_path=$1
    shift
    "$PYTHON" -m odoo "$@" --db_host="$DB_HOST" --db_port="$DB_PORT" --db_user="$DB_USER" \
        --addons-path="$addons_path" -d "$DB" --http-port="$HTTP_PORT"
}
# check_log LOG STEP: the step's Odoo log shows no error.
check_log() {
    if grep -qE " (ERROR|CRITICAL) |^Traceback" "$1"; then
        grep -E " (ERROR|CRITICAL) |^Traceback" -A 5 "$1" | head -60
        fail "$2 logged errors (log $1)"
    fi
}
shell_phase() {
    local addons_path=$1 phase=$2 log=$WORK/$2.log
    UPGRADE_CHECK_PHASE=$phase UPGRADE_CHECK_DIR=$WORK odoo_with "$addons_path" shell --no-http \
        <"$ADDON_DIR/scripts/upgrade_check.py" >"$log" 2>&1
    local rc=$?
    grep "^upgrade check:" "$log"
    if [ "$rc" -ne 0 ]; then
        grep -qE "^upgrade check: FAILED" "$log" || { tail -n 40 "$log"; fail "the $phase phase exited with $rc"; }
        exit 1
    fi
    check_log "$log" "the $phase phase"
}

say "Upgrade check: workflow_engine as of $(git log -1 --format='%h (%s)' "$BASE" | cut -c1-100)"
dropdb --if-exists -h "$DB_HOST" -p "$DB_PORT" -U "$DB_USER" "$DB" 2>/dev/null
odoo_with "$BASE_ADDONS_PATH" -i workflow_engine,crm --without-demo=all --stop-after-init \
    >"$WORK/install.log" 2>&1 || { tail -n 40 "$WORK/install.log"; fail "installing $BASE failed"; }
check_log "$WORK/install.log" "installing $BASE"
shell_phase "$BASE_ADDONS_PATH" create

say "Upgrade check: -u workflow_engine with $ADDON_DIR"
odoo_with "$CURRENT_ADDONS_PATH" -u workflow_engine --stop-after-init >"$WORK/upgrade.log" 2>&1 \
    || { tail -n 40 "$WORK/upgrade.log"; fail "-u workflow_engine failed"; }
check_log "$WORK/upgrade.log" "-u workflow_engine"
grep -E "module workflow_engine: Running migration" "$WORK/upgrade.log" | sed -E 's/^.*(module workflow_engine)/\1/'
shell_phase "$CURRENT_ADDONS_PATH" verify
