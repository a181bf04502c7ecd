#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds and tests the browser app in web/.
#   scripts/web.sh build   install dependencies if needed, type-check and build web/dist (skipped when up to date)
#   scripts/web.sh test    install dependencies if needed, run the Vitest unit tests
#   scripts/web.sh check   type-check only (the app and the end-to-end tests)
#   scripts/web.sh e2e     build, then the end-to-end tests: the real hub ($ATELIER_BINARY, default
#                          build/asan/atelier) driven through Debian's chromium by playwright-core;
#                          screenshots and the hub log go to $ATELIER_E2E_ARTIFACTS (default build/e2e)
# Idempotent and quick when nothing changed: `npm ci` runs only when node_modules is missing or older
# than package-lock.json; the build runs only when a source is newer than web/dist/index.html.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
web="$root/web"
cd "$web"

source "$root/scripts/npm_deps.sh"
require_npm web.sh

ensure_deps() {
    npm_install_locked web ci
}

# True when anything the build reads is newer than the last build.
build_needed() {
    local stamp="dist/index.html"
    [[ -f "$stamp" ]] || return 0
    [[ -n "$(find src index.html vite.config.ts tsconfig.json package-lock.json -newer "$stamp" -print -quit 2>/dev/null)" ]]
}

build() {
    ensure_deps
    if build_needed; then
        echo "web: building web/dist"
        npx --no-install tsc --noEmit
        npx --no-install vite build --logLevel warn
        touch dist/index.html
    else
        echo "web: web/dist is up to date"
    fi
}

case "${1:-build}" in
    build)
        build
        ;;
    test)
        ensure_deps
        npx --no-install vitest run --reporter=dot
        ;;
    check)
        ensure_deps
        npx --no-install tsc --noEmit
        npx --no-install tsc --noEmit -p e2e
        ;;
    e2e)
        build
        npx --no-install tsc --noEmit -p e2e
        export ATELIER_BINARY="${ATELIER_BINARY:-$root/build/asan/atelier}"
        export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
        npx --no-install vitest run -c vitest.e2e.config.ts --reporter=verbose
        ;;
    *)
        echo "usage: scripts/web.sh build|test|check|e2e" >&2
        exit 2
        ;;
esac
