#!/usr/bin/env bash
# Runs OCA's oca-checks-odoo-module (manifest, XML and CSV checks) on this addon.
# The hook looks for a manifest in the folders from a file up to the repository's top, the top
# itself left out, and names the addon after its folder: here the top IS the addon (and a
# worktree's folder has another name), so run on the repository it would check nothing. It runs
# instead on a copy of the tracked files in a folder named workflow_engine inside a throwaway git
# repository; a copy, since the hook resolves symlinks back to the real path. Its findings name
# files as workflow_engine/<path in this repository>. Extra arguments go to the hook.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1
COPY_TOP=$(mktemp -d) || exit 1
trap 'rm -rf "$COPY_TOP"' EXIT
mkdir "$COPY_TOP/workflow_engine"
git ls-files -z | xargs -0 cp --parents -t "$COPY_TOP/workflow_engine" || exit 1
git init -q "$COPY_TOP" || exit 1
oca-checks-odoo-module "$@" "$COPY_TOP/workflow_engine"
