#!/usr/bin/env bash
# Sets up and starts Odoo 18.0 with workflow_engine and its demo workflows on a local
# database (created on first start, upgraded on later ones), at http://localhost:8069
# (log in as admin / admin). Environment: WORKFLOW_DB (database name, default
# workflow_demo), WORKFLOW_HTTP_PORT (default 8069).
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

if ! odoo_is_installed; then
    explain_odoo_install
    exit 1
fi
install_python_requirements requirements.txt || exit 1
ensure_postgres || exit 1
prepare_queue_job || echo "(OCA queue_job could not be downloaded: it is not on the addons path)"
prepare_addons_path

DB=${WORKFLOW_DB:-workflow_demo}
PORT=${WORKFLOW_HTTP_PORT:-8069}
if psql -h "$DB_HOST" -p "$DB_PORT" -U "$DB_USER" -lqt 2>/dev/null | cut -d'|' -f1 | grep -qw "$DB"; then
    say "Upgrading workflow_engine in the database $DB"
    odoo_cmd -d "$DB" -u workflow_engine --stop-after-init --log-level=warn || exit 1
else
    say "Creating the database $DB with CRM, workflow_engine and demo data (a few minutes)"
    odoo_cmd -d "$DB" -i workflow_engine --stop-after-init --log-level=warn || exit 1
fi
say "Odoo is starting on http://localhost:$PORT (database $DB, login admin / admin); Ctrl-C stops it"
odoo_cmd -d "$DB" --db-filter="^$DB\$" --http-port="$PORT" --http-interface=127.0.0.1
