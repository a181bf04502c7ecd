#!/usr/bin/env bash
# The official MCP TypeScript SDK client (@modelcontextprotocol/sdk, pinned in
# tests/mcp_sdk/package-lock.json) against the real hub: $ATELIER_BINARY, default build/asan/atelier,
# with atelier_test_engine beside it. Idempotent: `npm ci` runs only when node_modules is missing or
# older than the lock file.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root/tests/mcp_sdk"

if ! command -v npm >/dev/null 2>&1; then
    echo "mcp_sdk.sh: npm is not installed (Node 20 or newer is needed)" >&2
    exit 1
fi

marker="node_modules/.package-lock.json"
if [[ ! -f "$marker" || package-lock.json -nt "$marker" || package.json -nt "$marker" ]]; then
    echo "mcp_sdk: npm ci"
    npm ci --no-audit --no-fund --loglevel=error
    touch "$marker"
fi

export ATELIER_BINARY="${ATELIER_BINARY:-$root/build/asan/atelier}"
exec node --test --test-reporter=spec mcp_sdk.test.mjs
