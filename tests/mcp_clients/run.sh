#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Real MCP clients against the real hub (docs/mcp.md "Tested clients"): Claude Code and the MCP
# Inspector CLI, both pinned in tests/mcp_clients/package-lock.json and installed here when missing
# or stale; the hub is $ATELIER_BINARY (default build/asan/atelier) with atelier_test_engine beside
# it; Claude Code's model is tests/support/fake_model_server.py. No network beyond loopback once
# the packages are installed.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root/tests/mcp_clients"

source "$root/scripts/npm_deps.sh"
require_npm mcp_clients
npm_install_locked mcp_clients ci

export ATELIER_BINARY="${ATELIER_BINARY:-$root/build/asan/atelier}"
exec node --test --test-concurrency=1 --test-reporter=spec claude_code.test.mjs inspector.test.mjs
