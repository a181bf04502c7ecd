#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The official MCP TypeScript SDK client (@modelcontextprotocol/sdk, pinned in
# tests/mcp_sdk/package-lock.json) against the real hub: $ATELIER_BINARY, default build/asan/atelier,
# with atelier_test_engine beside it. Idempotent: `npm ci` runs only when node_modules is missing or
# older than the lock file.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root/tests/mcp_sdk"

source "$root/scripts/npm_deps.sh"
require_npm mcp_sdk.sh
npm_install_locked mcp_sdk ci

export ATELIER_BINARY="${ATELIER_BINARY:-$root/build/asan/atelier}"
exec node --test --test-reporter=spec mcp_sdk.test.mjs
