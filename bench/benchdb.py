"""The database a benchmark runs on: Odoo's addons path with this addon, created or updated."""

import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

# bench/queue.py would stand for the standard library's queue module (that Odoo imports)
# as long as this folder is on the path, as it is for a script run from it.
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != HERE]


def addons_path():
    script = f'source "{ROOT}/scripts/lib.sh" && prepare_addons_path && echo "$ADDONS_PATH"'
    return subprocess.run(["bash", "-c", script], check=True, capture_output=True, text=True).stdout.strip()


def ensure_database(db, path, modules):
    """Create ``db`` with ``modules`` (comma-separated) and no demo data, or update them in it
    (those it lacks, as when another bench created it with fewer modules, are installed)."""
    listed = subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "odoo", "-lqt"], capture_output=True, text=True, check=True
    ).stdout
    exists = any(line.split("|")[0].strip() == db for line in listed.splitlines())
    print(f"{'updating' if exists else 'creating'} the database {db}...", flush=True)
    subprocess.run([
        sys.executable, "-m", "odoo", "-d", db, "--db_host=127.0.0.1", "--db_user=odoo", f"--addons-path={path}",
        "-i", modules, *(["-u", modules] if exists else []), "--without-demo=all", "--stop-after-init",
        "--log-level=warn",
    ], check=True)


def cpu_seconds(cr):
    """The CPU seconds this process and the PostgreSQL backend of ``cr`` have used so far: a
    cost that other jobs on the machine inflate far less than the wall-clock time."""
    cr.execute("SELECT pg_backend_pid()")
    with open(f"/proc/{cr.fetchone()[0]}/stat", encoding="ascii") as stat:
        # utime and stime, after the process name (which may hold spaces) and its closing parenthesis.
        utime, stime = stat.read().rsplit(")", 1)[1].split()[11:13]
    return time.process_time() + (int(utime) + int(stime)) / os.sysconf("SC_CLK_TCK")


def best_of(rounds, measure):
    """The shortest of ``rounds`` runs of ``measure`` (seconds), each rolled back to where it started."""
    return min(measure() for _round in range(rounds))


def rolled_back(env, function):
    """The seconds ``function()`` takes, its changes rolled back afterwards."""
    env.cr.execute("SAVEPOINT bench")
    start = time.perf_counter()
    function()
    env.flush_all()
    elapsed = time.perf_counter() - start
    env.cr.execute("ROLLBACK TO SAVEPOINT bench")
    env.invalidate_all()
    return elapsed


def open_registry(db):
    """The registry of ``db``, created or updated with workflow_engine first (ensure_database)."""
    import odoo  # noqa: PLC0415 - once bench/ is off the path (see above)
    from odoo.modules.registry import Registry  # noqa: PLC0415

    path = addons_path()
    ensure_database(db, path, "workflow_engine")
    odoo.tools.config.parse_config(["--db_host=127.0.0.1", "--db_user=odoo", f"--addons-path={path}"])
    return Registry(db)
