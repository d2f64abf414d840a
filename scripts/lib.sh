# Shared set-up of scripts/serve.sh and scripts/test.sh: Odoo, PostgreSQL, addons path.
# Sourced, not run. Every step says what it does and stops with a clear message.

ADDON_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PYTHON=${PYTHON:-python3}
DB_HOST=${WORKFLOW_DB_HOST:-127.0.0.1}
DB_PORT=${WORKFLOW_DB_PORT:-5432}
DB_USER=${WORKFLOW_DB_USER:-odoo}
RUN_DIR=${WORKFLOW_RUN_DIR:-${TMPDIR:-/tmp}/workflow_engine-$(id -u)}

say() { printf '\n==> %s\n' "$*"; }

odoo_is_installed() {
    "$PYTHON" -c 'import odoo.release as r, sys; sys.exit(r.version_info[:2] != (18, 0))' 2>/dev/null
}

explain_odoo_install() {
    cat <<'MSG'
!!! Odoo 18.0 is not importable by this python3, so nothing that lives in Odoo can run here.
!!! Install Odoo 18.0 (community) into this python3, then run this command again:
!!!     git clone --depth 1 --branch 18.0 https://github.com/odoo/odoo.git ~/odoo-18.0
!!!     python3 -m pip install -r ~/odoo-18.0/requirements.txt
!!!     python3 -m pip install --no-deps -e ~/odoo-18.0
!!! (On Python 3.11 use the requirements' Python 3.12 pins if the 3.11 ones fail to build.)
!!! Check with: python3 -c "import odoo.release as r; print(r.version)"   # prints 18.0
MSG
}

install_python_requirements() {
    say "Python packages ($1)"
    PIP_ROOT_USER_ACTION=ignore "$PYTHON" -m pip install --quiet --disable-pip-version-check -r "$ADDON_DIR/$1" \
        || { echo "pip could not install $1"; return 1; }
}

pg_ready() {
    pg_isready -q -h "$DB_HOST" -p "$DB_PORT" 2>/dev/null
}

# PostgreSQL on localhost when it answers; otherwise a private throwaway cluster,
# when the server binaries are installed.
ensure_postgres() {
    if pg_ready; then
        say "PostgreSQL answers on $DB_HOST:$DB_PORT"
        ensure_db_role
        return
    fi
    local bindir
    bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
    if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ]; then
        echo "!!! No PostgreSQL answers on $DB_HOST:$DB_PORT and no server binaries are installed."
        echo "!!! Install PostgreSQL (e.g. 'apt-get install postgresql') or set WORKFLOW_DB_HOST/PORT."
        return 1
    fi
    DB_HOST=$RUN_DIR/pg
    DB_PORT=${WORKFLOW_PRIVATE_PG_PORT:-54329}
    mkdir -p "$RUN_DIR"
    if [ ! -f "$RUN_DIR/pgdata/PG_VERSION" ]; then
        say "Creating a private PostgreSQL cluster in $RUN_DIR/pgdata"
        "$bindir/initdb" -D "$RUN_DIR/pgdata" -U "$DB_USER" --auth=trust >/dev/null || return 1
    fi
    mkdir -p "$DB_HOST"
    if ! pg_ready; then
        say "Starting the private PostgreSQL cluster (socket in $DB_HOST, port $DB_PORT)"
        "$bindir/pg_ctl" -D "$RUN_DIR/pgdata" -l "$RUN_DIR/pg.log" -w \
            -o "-k $DB_HOST -p $DB_PORT -c listen_addresses=''" start >/dev/null || return 1
    fi
}

# Odoo refuses to connect as 'postgres', so it gets a role of its own.
ensure_db_role() {
    local exists
    exists=$(psql -h "$DB_HOST" -p "$DB_PORT" -U postgres -tAc \
        "SELECT 1 FROM pg_roles WHERE rolname = '$DB_USER'" postgres 2>/dev/null)
    [ "$exists" = 1 ] && return
    psql -h "$DB_HOST" -p "$DB_PORT" -U "$DB_USER" -tAc "SELECT 1" postgres >/dev/null 2>&1 && return
    say "Creating the PostgreSQL role '$DB_USER'"
    psql -h "$DB_HOST" -p "$DB_PORT" -U postgres -qc \
        "CREATE ROLE \"$DB_USER\" LOGIN CREATEDB SUPERUSER" postgres \
        || { echo "!!! Could not create the role '$DB_USER' (set WORKFLOW_DB_USER to an existing one)."; return 1; }
}

# OCA's queue_job (an optional backend of the queued runs), unpacked from its PyPI wheel into a
# private addons folder: installing the wheel with pip would add a site-packages/odoo/addons
# package that hides an Odoo installed from a git checkout with 'pip install -e'.
prepare_queue_job() {
    local target=$RUN_DIR/oca-addons wheels=$RUN_DIR/wheels spec="odoo-addon-queue-job>=18.0,<18.1"
    [ -f "$target/queue_job/__manifest__.py" ] && return 0
    # queue_job 18.0.1.7.1 and later use odoo.api.private, which early Odoo 18.0 builds lack.
    "$PYTHON" -c 'import odoo.api, sys; sys.exit(not hasattr(odoo.api, "private"))' \
        || spec="odoo-addon-queue-job==18.0.1.7.0"
    say "OCA queue_job ($spec, from its PyPI wheel, into $target)"
    rm -rf "$wheels" && mkdir -p "$wheels" "$target"
    PIP_ROOT_USER_ACTION=ignore "$PYTHON" -m pip download --quiet --disable-pip-version-check --no-deps \
        --dest "$wheels" "$spec" || return 1
    "$PYTHON" - "$wheels" "$target" <<'PY' || return 1
import glob, sys, zipfile
wheel = glob.glob(f"{sys.argv[1]}/odoo_addon_queue_job-18.0*.whl")[0]
prefix = "odoo/addons/"
with zipfile.ZipFile(wheel) as archive:
    for info in archive.infolist():
        if info.filename.startswith(prefix + "queue_job/"):
            info.filename = info.filename[len(prefix):]
            archive.extract(info, sys.argv[2])
PY
}

# Odoo finds an addon by its directory name: link this checkout as 'workflow_engine'.
prepare_addons_path() {
    local link_dir=$RUN_DIR/addons
    mkdir -p "$link_dir"
    ln -sfn "$ADDON_DIR" "$link_dir/workflow_engine"
    ADDONS_PATH=$("$PYTHON" - "$link_dir" "$RUN_DIR/oca-addons" <<'PY'
import os, sys
import odoo, odoo.addons
root = os.path.dirname(os.path.dirname(odoo.__file__))
paths = [os.path.join(root, "odoo", "addons"), os.path.join(root, "addons"), *odoo.addons.__path__]
paths += sys.argv[1:]
unique = dict.fromkeys(os.path.realpath(p) for p in paths if os.path.isdir(p))
print(",".join(unique))
PY
)
}

odoo_cmd() {
    "$PYTHON" -m odoo --db_host="$DB_HOST" --db_port="$DB_PORT" --db_user="$DB_USER" \
        --addons-path="$ADDONS_PATH" "$@"
}
