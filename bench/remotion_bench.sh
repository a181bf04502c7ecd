#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The Remotion engine's benchmark: engine start, session:ready cold and warm through the hub,
# render_still latency, render_video fps against `npx remotion render` in the same run.
# Results and how to read them: docs/benchmarks.md (Remotion).
#   bench/remotion_bench.sh            ATELIER_BINARY defaults to build/release/atelier
#   bench/remotion_bench.sh first      issue 20: session:start → first still, player, first render_video,
#                                      through the hub with pool = 1, against a warm still (the floor);
#                                      BENCH_ENGINE_DIR=<a built engines/remotion> measures another checkout
#   bench/remotion_bench.sh player     issue 20 without the hub: a pooled engine's idle memory, project/open →
#                                      player ready, an edit → the player shows it (split), warm still floor
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/engines/remotion/scripts/engine.sh" setup >&2
export ATELIER_BINARY="${ATELIER_BINARY:-$root/build/release/atelier}"
bench="remotion_bench.js"
[[ "${1:-}" == first ]] && bench="first_still_bench.js"
[[ "${1:-}" == player ]] && bench="player_bench.js"
exec node "$root/engines/remotion/dist/bench/$bench" 2> >(grep -v -e '^\[BABEL\]' >&2)
