#!/usr/bin/env bash
# Sets up and runs the whole test suite of workflow_engine:
#   lint (pre-commit: ruff, pylint-odoo, OCA's manifest, XML and PO checks), the pure-Python
#   engine suite, the Odoo suite on fresh databases (installed without and with demo data, and
#   with OCA queue_job), both suites run by pytest, and
#   the upgrade check (scripts/upgrade_check.sh: a database of the previous release upgrades in
#   place with -u workflow_engine, every row kept and its queued runs still executing).
# On a machine without Odoo it first makes .venv/ with Odoo 18.0 from ODOO_SOURCE, and without a
# PostgreSQL server it runs a throwaway private one (see scripts/lib.sh).
# It also runs Odoo's own crm, mail and base_automation suites with the addon installed, without
# and with demo data, to show the addon breaks none of them (about 20 minutes); --quick leaves
# them out, and the bootstrap check too (scripts/bootstrap_check.sh: serve.sh on a fresh
# machine's path, in a copy of this checkout, and the addon's wheel).
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ADDON_DIR" || exit 1

WITH_ODOO_SUITES=1
for arg in "$@"; do
    case "$arg" in
        --quick) WITH_ODOO_SUITES=0 ;;
        *) echo "usage: $0 [--quick]"; exit 2 ;;
    esac
done

ensure_odoo || exit 1
install_python_requirements test-requirements.txt || exit 1

say "Lint: pre-commit (.pre-commit-config.yaml)"
"$PYTHON" -m pre_commit run --all-files --show-diff-on-failure || exit 1

say "README.rst built from readme/ (scripts/build_readme.py --check)"
"$PYTHON" scripts/build_readme.py --check || exit 1

# pytest_counts LOG: the passed, failed (errors too) and skipped tests of pytest's closing line.
pytest_counts() {
    local summary count word passed=0 failed=0 skipped=0
    summary=$(grep -E "^=* ?[0-9]+ [a-z]+.* in [0-9.]+s" "$1" | tail -n 1)
    [ -n "$summary" ] || return 1
    while read -r count word; do
        case "$word" in
            passed) passed=$count ;;
            failed | error | errors) failed=$((failed + count)) ;;
            skipped) skipped=$count ;;
        esac
    done < <(echo "$summary" | grep -oE "[0-9]+ [a-z]+")
    echo "$passed $failed $skipped"
}

say "Pure-Python suite (engine/, no Odoo)"
PURE_LOG=$(mktemp)
"$PYTHON" -m pytest -p no:odoo -p no:cacheprovider tests/engine -q | tee "$PURE_LOG"
[ "${PIPESTATUS[0]}" -eq 0 ] || exit 1
read -r PURE_PASSED PURE_FAILED PURE_SKIPPED < <(pytest_counts "$PURE_LOG") || exit 1
rm -f "$PURE_LOG"

ensure_postgres throwaway || exit 1
WITH_QUEUE_JOB=1
prepare_queue_job || WITH_QUEUE_JOB=0
prepare_addons_path
mkdir -p "$RUN_DIR"
DATABASES=()
drop_databases() {
    for db in "${DATABASES[@]}"; do
        dropdb --if-exists -h "$DB_HOST" -p "$DB_PORT" -U "$DB_USER" "$db" 2>/dev/null
    done
}
trap 'drop_databases; stop_postgres' EXIT

TOTAL_PASSED=0
TOTAL_FAILED=0
TOTAL_SKIPPED=0

# The failed tests of a log, as --test-tags: /module:Class.method,...
failed_test_tags() {
    grep -oE "odoo\.addons\.[a-z0-9_]+\.tests\.[A-Za-z0-9_.]+: (FAIL|ERROR): [A-Za-z0-9_]+\.[A-Za-z0-9_]+" "$1" \
        | sed -E 's#^odoo\.addons\.([a-z0-9_]+)\.tests\.[A-Za-z0-9_.]+: (FAIL|ERROR): #/\1:#' | sort -u | paste -sd, -
}

# rerun_failed DB LOG COUNT: run the COUNT tests that failed in LOG once more on DB; true when
# exactly those ran and all passed.
rerun_failed() {
    local db=$1 log=$2 count=$3 tags rerun_log result
    tags=$(failed_test_tags "$log")
    [ -n "$tags" ] || return 1
    rerun_log=${log%.log}.rerun.log
    echo "... running the failed tests once more: $tags (log $rerun_log)"
    odoo_cmd -d "$db" --stop-after-init --log-level=test --http-port="${WORKFLOW_TEST_HTTP_PORT:-8169}" \
        --test-enable --test-tags="$tags" >"$rerun_log" 2>&1
    result=$(grep -oE "[0-9]+ failed, [0-9]+ error\(s\) of [0-9]+ tests" "$rerun_log" | tail -n 1)
    echo "... second run: ${result:-no test result}"
    [ "$result" = "0 failed, 0 error(s) of $count tests" ]
}
# run_odoo_tests DB LABEL ODOO_ARGS...: install into a fresh DB, run the tagged tests,
# and count what Odoo's test runner reports.
run_odoo_tests() {
    local db=$1 label=$2 log
    shift 2
    log=$RUN_DIR/$db.log
    DATABASES+=("$db")
    dropdb --if-exists -h "$DB_HOST" -p "$DB_PORT" -U "$DB_USER" "$db" 2>/dev/null
    say "Odoo suite: $label (database $db, log $log)"
    odoo_cmd -d "$db" --stop-after-init --log-level=test --http-port="${WORKFLOW_TEST_HTTP_PORT:-8169}" \
        "$@" >"$log" 2>&1
    local rc=$?
    grep -E "(ERROR|CRITICAL|FAIL:|Traceback)|tests when loading database" "$log" | grep -v "^\s*$" | head -200
    # A failing test's assertion (and a hypothesis test's falsifying example) follows its FAIL line.
    grep -A 30 -E ": FAIL: " "$log" | head -150
    local result failed errors total
    result=$(grep -oE "[0-9]+ failed, [0-9]+ error\(s\) of [0-9]+ tests" "$log" | tail -n 1)
    if [ -z "$result" ]; then
        echo "!!! $label: Odoo reported no test result (exit code $rc); see $log"
        TOTAL_FAILED=$((TOTAL_FAILED + 1))
        return 1
    fi
    read -r failed errors total < <(echo "$result" | sed -E 's/([0-9]+) failed, ([0-9]+) error\(s\) of ([0-9]+) tests/\1 \2 \3/')
    local bad=$((failed + errors)) skipped_tests skipped
    # Odoo logs a skipped test as "odoo.addons.<its module>: skipped ..." and counts it in the
    # tests run; a class skipped in its setUpClass as "odoo.tests.suite: skipped ...", not run.
    skipped_tests=$(grep -cE " odoo\.addons\.[a-z0-9_.]+: skipped " "$log")
    skipped=$((skipped_tests + $(grep -cE " odoo\.tests\.suite: skipped " "$log")))
    echo "$label: $result, $skipped skipped"
    if [ "$total" -eq 0 ]; then
        echo "!!! $label: Odoo ran no test"
        bad=$((bad + 1))
    elif [ "$rc" -ne 0 ] && [ "$bad" -eq 0 ]; then
        echo "!!! $label: Odoo exited with $rc; see $log"
        bad=1
    fi
    # Odoo's own browser tours sometimes miss a step on a busy machine: with RERUN_FAILED=1,
    # tests that fail are run once more, and those that pass then are reported as flaky.
    if [ "${RERUN_FAILED:-0}" = 1 ] && [ "$bad" -gt 0 ] && [ "$bad" -eq $((failed + errors)) ] \
        && rerun_failed "$db" "$log" "$bad"; then
        echo "!!! FLAKY: $(failed_test_tags "$log") failed, then passed when run again; counted as passed"
        FLAKY_TESTS+=("$(failed_test_tags "$log")")
        failed=0 errors=0 bad=0
    fi
    TOTAL_PASSED=$((TOTAL_PASSED + total - failed - errors - skipped_tests))
    TOTAL_FAILED=$((TOTAL_FAILED + bad))
    TOTAL_SKIPPED=$((TOTAL_SKIPPED + skipped))
}
FLAKY_TESTS=()

# run_addon_tests DB LABEL TAGS ODOO_ARGS...: install the addon into a fresh DB (ODOO_ARGS), then
# run its Odoo suite (tests/) there with pytest and pytest-odoo, the tests Odoo's --test-tags=TAGS
# would run (scripts/pytest_odoo_tags.py), and count what pytest reports.
run_addon_tests() {
    local db=$1 label=$2 tags=$3 log counts passed failed skipped rc
    shift 3
    log=$RUN_DIR/$db.log
    DATABASES+=("$db")
    dropdb --if-exists -h "$DB_HOST" -p "$DB_PORT" -U "$DB_USER" "$db" 2>/dev/null
    say "Odoo suite: $label (database $db, pytest report $RUN_DIR/$db.xml, Odoo's log $log)"
    if ! odoo_cmd -d "$db" --stop-after-init --max-cron-threads=0 "$@" >"$log" 2>&1; then
        grep -E "(ERROR|CRITICAL|Traceback)" "$log" | head -50
        echo "!!! $label: the addon did not install; see $log"
        TOTAL_FAILED=$((TOTAL_FAILED + 1))
        return 1
    fi
    # The tests' HTTP server listens on 127.0.0.1 only; crons and queue_job's runner (which
    # starts with a server unless queue_job's channels are 'root:0') stay off, as under Odoo's
    # runner, so that nothing runs beside the tests.
    ODOO_QUEUE_JOB_CHANNELS=root:0 PYTHONPATH="$ADDON_DIR/scripts${PYTHONPATH:+:$PYTHONPATH}" \
        "$PYTHON" -m pytest -p pytest_odoo_tags -p no:cacheprovider -q -rfEs \
        --odoo-database="$db" --odoo-addons-path="$ADDONS_PATH" --odoo-log-level=info \
        --odoo-extra="db_host=$DB_HOST" --odoo-extra="db_port=$DB_PORT" --odoo-extra="db_user=$DB_USER" \
        --odoo-extra="logfile=$log" --odoo-extra=max-cron-threads=0 --odoo-http \
        --odoo-extra=http-interface=127.0.0.1 --odoo-extra="http-port=${WORKFLOW_TEST_HTTP_PORT:-8169}" \
        --odoo-test-tags="$tags" --junitxml="$RUN_DIR/$db.xml" \
        "$RUN_DIR/addons/workflow_engine/tests" --ignore="$RUN_DIR/addons/workflow_engine/tests/engine" \
        | tee "$RUN_DIR/$db.pytest.log"
    rc=${PIPESTATUS[0]}
    if ! counts=$(pytest_counts "$RUN_DIR/$db.pytest.log"); then
        echo "!!! $label: pytest reported no test result (exit code $rc); see $RUN_DIR/$db.pytest.log and $log"
        TOTAL_FAILED=$((TOTAL_FAILED + 1))
        return 1
    fi
    read -r passed failed skipped <<<"$counts"
    echo "$label: $passed passed, $failed failed, $skipped skipped"
    if [ $((passed + failed)) -eq 0 ]; then
        echo "!!! $label: no test ran"
        failed=$((failed + 1))
    elif [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then
        echo "!!! $label: pytest exited with $rc; see $RUN_DIR/$db.pytest.log"
        failed=1
    fi
    TOTAL_PASSED=$((TOTAL_PASSED + passed))
    TOTAL_FAILED=$((TOTAL_FAILED + failed))
    TOTAL_SKIPPED=$((TOTAL_SKIPPED + skipped))
}

# Without demo data, TestWorkflowDemo's tests are skipped: the database with demo data runs them.
run_addon_tests "wf_test_nodemo_$$" "addon without demo data" /workflow_engine \
    -i workflow_engine --without-demo=all
run_addon_tests "wf_test_demo_$$" "addon with demo data" /workflow_engine:TestWorkflowDemo \
    -i workflow_engine
if [ "$WITH_QUEUE_JOB" = 1 ]; then
    run_addon_tests "wf_test_queue_job_$$" "queued runs on OCA queue_job" workflow_queue_job/workflow_engine \
        -i workflow_engine,queue_job --without-demo=all
else
    echo "!!! SKIPPED: the queue_job backend's tests: OCA queue_job could not be downloaded from PyPI."
    TOTAL_FAILED=$((TOTAL_FAILED + 1))
fi
# One check, counted as one test: a database of the previous release, upgraded with this checkout.
say "Upgrade check (scripts/upgrade_check.sh)"
DATABASES+=("wf_test_upgrade_$$")
if WORKFLOW_DB_HOST=$DB_HOST WORKFLOW_DB_PORT=$DB_PORT WORKFLOW_DB_USER=$DB_USER WORKFLOW_RUN_DIR=$RUN_DIR \
    WORKFLOW_UPGRADE_DB="wf_test_upgrade_$$" "$ADDON_DIR/scripts/upgrade_check.sh"; then
    TOTAL_PASSED=$((TOTAL_PASSED + 1))
else
    TOTAL_FAILED=$((TOTAL_FAILED + 1))
fi
if [ "$WITH_ODOO_SUITES" = 1 ]; then
    # This one mail tour fails on this Odoo 18.0 snapshot with Debian's Chromium whether or not
    # the addon is installed (a database with mail alone fails it the same way): left out.
    ODOO_SUITES=/crm,/mail,/base_automation,-/mail:TestDiscussSubChannels.test_04_sub_channel_panel_search
    RERUN_FAILED=1 run_odoo_tests "wf_test_odoo_$$" "Odoo's crm, mail and base_automation with the addon" \
        -i workflow_engine,crm,mail,base_automation --without-demo=all --test-enable --test-tags="$ODOO_SUITES"
    # As 'odoo -i' and OCA's CI install it: the addon's demo workflows run on what Odoo's tests do.
    RERUN_FAILED=1 run_odoo_tests "wf_test_odoo_demo_$$" "Odoo's crm, mail and base_automation with the addon and demo data" \
        -i workflow_engine,crm,mail,base_automation --test-enable --test-tags="$ODOO_SUITES"
    echo "(left out: mail's TestDiscussSubChannels.test_04_sub_channel_panel_search, failing without the addon too)"
fi
# One check, counted as one test: the fresh-machine path (.venv/, embedded PostgreSQL) and the wheel.
BOOTSTRAP_SKIPPED=
if [ "$WITH_ODOO_SUITES" = 1 ]; then
    say "Bootstrap check (scripts/bootstrap_check.sh, several minutes)"
    "$ADDON_DIR/scripts/bootstrap_check.sh"
    case $? in
        0) TOTAL_PASSED=$((TOTAL_PASSED + 1)) ;;
        2) BOOTSTRAP_SKIPPED=1 ;;
        *) TOTAL_FAILED=$((TOTAL_FAILED + 1)) ;;
    esac
fi

echo
[ -z "$BOOTSTRAP_SKIPPED" ] || echo "!!! SKIPPED: the bootstrap check (no local Odoo source tree; see its message above)"
echo "Pure-Python suite: $PURE_PASSED passed, $PURE_FAILED failed, $PURE_SKIPPED skipped;" \
    "Odoo suites: $TOTAL_PASSED passed, $TOTAL_FAILED failed, $TOTAL_SKIPPED skipped"
echo "total: $((PURE_PASSED + TOTAL_PASSED)) passed, $((PURE_FAILED + TOTAL_FAILED)) failed," \
    "$((PURE_SKIPPED + TOTAL_SKIPPED)) skipped"
[ "${#FLAKY_TESTS[@]}" -eq 0 ] || echo "!!! flaky (failed once, passed when run again): ${FLAKY_TESTS[*]}"
[ "$TOTAL_FAILED" -eq 0 ]
