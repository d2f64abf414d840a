"""Installs Odoo's requirements.txt into the running Python (scripts/lib.sh, bootstrap_venv).

Odoo pins each package per Python version with markers: the pins whose markers hold for the
running Python are installed together. When pip fails on one of them (a pin without a wheel for
this Python that needs a compiler, headers or an old setuptools), that package's pin for the next
Python version takes its place and pip runs again; psycopg2, which PyPI ships only as source, is
last tried as psycopg2-binary of the same versions. A package Odoo needs only for an optional
feature (python-ldap for auth_ldap) is skipped, and said so, when none of its pins installs.

Usage: python odoo_requirements.py ODOO_SOURCE/requirements.txt
Needs `packaging` (bootstrap_venv installs it first).
"""

import re
import subprocess
import sys

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

# Odoo 18.0 runs on 3.10 to 3.12: a pin for a later Python is the fallback of an earlier one.
PYTHON_VERSIONS = ["3.10", "3.11", "3.12"]
# Used by one optional feature each; Odoo starts and the addon runs without them.
OPTIONAL = {"python-ldap": "LDAP login (auth_ldap); it needs the OpenLDAP headers (libldap2-dev, libsasl2-dev)"}
BINARY_TWINS = {"psycopg2": "psycopg2-binary"}


def read_requirements(path):
    requirements = []
    with open(path, encoding="utf-8") as file:
        for line in file:
            line = line.split("#", 1)[0].strip()
            if line:
                requirements.append(Requirement(line))
    return requirements


def pins_for(requirements, python_version):
    """{name: 'name==version'} of the requirements whose markers hold for python_version."""
    environment = {"python_version": python_version, "python_full_version": f"{python_version}.0"}
    pins = {}
    for requirement in requirements:
        if requirement.marker is None or requirement.marker.evaluate(environment):
            pins[canonicalize_name(requirement.name)] = f"{requirement.name}{requirement.specifier}"
    return pins


def candidates(name, pins_by_version):
    """The pins to try for one package, this Python's first, without repeats."""
    tried = []
    for pins in pins_by_version:
        pin = pins.get(name)
        if pin and pin not in tried:
            tried.append(pin)
    twin = BINARY_TWINS.get(name)
    if twin:
        tried += [twin + pin[len(name) :] for pin in list(tried)]
    return tried


def failed_package(output):
    """The package pip failed on: the one whose wheel it failed to build, else the last one it
    was collecting (an sdist whose build requirements fail stops pip while it collects)."""
    for pattern in (r"Failed building wheel for (\S+)", r"^Collecting ([A-Za-z0-9._-]+)"):
        found = re.findall(pattern, output, re.MULTILINE)
        if found:
            return canonicalize_name(found[-1])
    return None


def main(path):
    requirements = read_requirements(path)
    running = f"{sys.version_info[0]}.{sys.version_info[1]}"
    if running not in PYTHON_VERSIONS:
        sys.exit(f"!!! Odoo 18.0 runs on Python {', '.join(PYTHON_VERSIONS)}, not on {running}.")
    later = PYTHON_VERSIONS[PYTHON_VERSIONS.index(running) :]
    pins_by_version = [pins_for(requirements, version) for version in later]
    chosen = dict(pins_by_version[0])
    options = {name: candidates(name, pins_by_version) for name in chosen}
    tried = {name: list(pins) for name, pins in options.items()}
    skipped = []
    print(f"... {len(chosen)} pinned packages for Python {running}")
    while True:
        command = [sys.executable, "-m", "pip", "install", "--disable-pip-version-check", *chosen.values()]
        result = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False)
        if result.returncode == 0:
            break
        name = failed_package(result.stdout)
        if name in options and options[name][0] == chosen.get(name):
            options[name].pop(0)
            if options[name]:
                print(f"... {chosen[name]} did not install; trying {options[name][0]}")
                chosen[name] = options[name][0]
                continue
            if name in OPTIONAL:
                skipped.append(name)
                del chosen[name]
                continue
        print("\n".join(result.stdout.strip().splitlines()[-25:]))
        sys.exit(f"!!! Odoo's requirements could not be installed ({name or 'see pip'}); see pip's output above.")
    for name in skipped:
        print(f"!!! skipped the optional {name} (none of {', '.join(tried[name])} installed): {OPTIONAL[name]}")
    print(f"... installed {len(chosen)} packages")


if __name__ == "__main__":
    main(sys.argv[1])
