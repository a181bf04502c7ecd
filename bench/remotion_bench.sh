#!/usr/bin/env bash
# The Remotion engine's benchmark: engine start, session:ready cold and warm through the hub,
# render_still latency, render_video fps against `npx remotion render` in the same run.
# Results and how to read them: docs/benchmarks.md (Remotion).
#   bench/remotion_bench.sh            ATELIER_BINARY defaults to build/release/atelier
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/engines/remotion/scripts/engine.sh" setup >&2
export ATELIER_BINARY="${ATELIER_BINARY:-$root/build/release/atelier}"
exec node "$root/engines/remotion/dist/bench/remotion_bench.js" 2> >(grep -v -e '^\[BABEL\]' >&2)
