# SPDX-License-Identifier: Apache-2.0
# Sourced by the scripts that install npm packages (scripts/web.sh, scripts/mcp_sdk.sh,
# engines/remotion/scripts/engine.sh); defines nothing else.

# require_npm NAME: exits with a clear message when npm is missing.
require_npm() {
    if ! command -v npm >/dev/null 2>&1; then
        echo "$1: npm is not installed (Node 20 or newer is needed)" >&2
        exit 1
    fi
}

# npm_install_locked NAME NPM-ARGS...: in the current directory, runs `npm NPM-ARGS...` when
# node_modules is missing or older than package.json or package-lock.json; does nothing otherwise,
# so the callers stay idempotent and quick.
npm_install_locked() {
    local name="$1"
    shift
    local marker="node_modules/.package-lock.json"
    if [[ ! -f "$marker" || package-lock.json -nt "$marker" || package.json -nt "$marker" ]]; then
        echo "$name: npm $*"
        npm "$@" --no-audit --no-fund --loglevel=error
        touch "$marker"
    fi
}
