#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs and builds the Remotion engine, and runs its tests.
#   engines/remotion/scripts/engine.sh setup         npm install (from the lock) when node_modules is missing or older than
#                                                    package-lock.json; tsc when a source is newer than dist/
#                                                    (and a type check of the preview page)
#   engines/remotion/scripts/engine.sh test NAME     setup, then the node:test suite dist/tests/NAME.test.js
# Idempotent and quick when nothing changed. The dependencies live in engines/remotion/node_modules,
# once per machine: every project working tree links to them, so a session never runs npm.
set -euo pipefail

engine="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$engine"

source "$engine/../../scripts/npm_deps.sh"
require_npm "remotion engine"

ensure_deps() {
    # Not `npm ci`: @remotion/renderer lists optional compositor packages for every platform, and
    # some were never published for 4.0.529 (darwin-x64, ...), so the lock cannot name them and
    # `npm ci` refuses it as out of sync. `npm install --no-save` installs the locked tree and
    # leaves package-lock.json alone. --prefer-offline: a machine that installed once before
    # needs no network.
    PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm_install_locked "remotion engine" install --no-save --prefer-offline
}

build_needed() {
    local stamp="dist/.tsbuildinfo"
    [[ -f "$stamp" && -f dist/src/main.js ]] || return 0
    [[ -n "$(find src tests bench preview -newer "$stamp" \( -name '*.ts' -o -name '*.tsx' \) -print -quit 2>/dev/null)" ]] ||
        [[ tsconfig.json -nt "$stamp" || package-lock.json -nt "$stamp" ]]
}

build() {
    ensure_deps
    if build_needed; then
        echo "remotion engine: building dist/"
        node node_modules/typescript/bin/tsc -p tsconfig.json
        # The preview page is served by Vite, not compiled here: type-checked only.
        node node_modules/typescript/bin/tsc -p preview/tsconfig.json
        touch dist/.tsbuildinfo
    fi
}

case "${1:-setup}" in
    setup)
        build
        ;;
    test)
        [[ $# -ge 2 ]] || { echo "usage: $0 test NAME" >&2; exit 2; }
        build
        exec node --test --test-reporter=spec "dist/tests/$2.test.js"
        ;;
    *)
        echo "usage: $0 setup | test NAME" >&2
        exit 2
        ;;
esac
