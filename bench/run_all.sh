#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Runs the benchmarks against their floors in one run and prints a table (markdown) of the
# figures and the ratios. Needs the release build (make bench builds it).
#   bench/run_all.sh [rounds]     each figure is the median of `rounds` runs (default 3)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="$root/build/release"
rounds="${1:-3}"
work="$(mktemp -d)"
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

# Wait for a line matching $2 in file $1; print it.
wait_for_line() {
    for _ in $(seq 1 300); do
        if line=$(grep -m1 "$2" "$1" 2>/dev/null); then echo "$line"; return 0; fi
        sleep 0.1
    done
    echo "bench: timed out waiting for '$2' in $1" >&2; return 1
}

"$build/bench/echo_floor" 2 >"$work/floor.out" &
pids+=($!)
floor_port=$(wait_for_line "$work/floor.out" '^listening' | awk '{print $2}')

"$build/atelier" serve --port 0 --data-dir "$work/data" --bench-endpoints --log-level warn --threads 2 \
    >"$work/hub.out" 2>"$work/hub.err" &
pids+=($!)
hub_port=$(wait_for_line "$work/hub.out" '^atelier listening' | sed 's/.*://')
token=$(cat "$work/data/token")

run() { # port path connections messages [token]
    "$build/bench/ws_load" --port "$1" --path "$2" --connections "$3" --messages "$4" --size 256 ${5:+--token "$5"}
}

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
field() { sed -E "s/.*\"$1\":([0-9.]+).*/\1/"; }

printf -v text '%*s' 200 ''; text=${text// /x}
call_message="{\"tool\":\"basics__echo\",\"arguments\":{\"text\":\"$text\"}}"
launch=$(curl -sf -X POST "http://127.0.0.1:$hub_port/api/engines/launch-tokens" -H "Authorization: Bearer $token" \
    -d '{"kind":"test"}' | sed -E 's/.*"token":"([^"]+)".*/\1/')
ATELIER_HUB_URL="ws://127.0.0.1:$hub_port/ws/engine" ATELIER_ENGINE_TOKEN="$launch" \
    "$build/atelier_test_engine" >"$work/engine.out" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do
    curl -sf "http://127.0.0.1:$hub_port/api/engines" -H "Authorization: Bearer $token" | grep -q '"tools":10' && break
    sleep 0.1
done

echo "# WebSocket echo round trip (256-byte text messages), median of $rounds rounds"
echo "# machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr)"
echo
echo "| connections | floor p50 µs | hub p50 µs | p50 ratio | floor p99 µs | hub p99 µs | p99 ratio | floor msg/s | hub msg/s | throughput ratio |"
echo "|---|---|---|---|---|---|---|---|---|---|"
for connections in 1 64; do
    messages=$((connections == 1 ? 20000 : 400))
    : >"$work/floor.$connections"; : >"$work/hub.$connections"
    for _ in $(seq 1 "$rounds"); do
        run "$floor_port" /ws/echo "$connections" "$messages" >>"$work/floor.$connections"
        run "$hub_port" /ws/echo "$connections" "$messages" "$token" >>"$work/hub.$connections"
    done
    fp50=$(field p50_us <"$work/floor.$connections" | median); hp50=$(field p50_us <"$work/hub.$connections" | median)
    fp99=$(field p99_us <"$work/floor.$connections" | median); hp99=$(field p99_us <"$work/hub.$connections" | median)
    frate=$(field msgs_per_s <"$work/floor.$connections" | median); hrate=$(field msgs_per_s <"$work/hub.$connections" | median)
    awk -v c="$connections" -v fp50="$fp50" -v hp50="$hp50" -v fp99="$fp99" -v hp99="$hp99" -v fr="$frate" -v hr="$hrate" \
        'BEGIN { printf "| %d | %.1f | %.1f | %.2f× | %.1f | %.1f | %.2f× | %.0f | %.0f | %.0f %% |\n", c, fp50, hp50, hp50/fp50, fp99, hp99, hp99/fp99, fr, hr, 100*hr/fr }'
    # The tool call path: client -> hub (validate) -> test engine -> hub -> client, same client.
    : >"$work/call.$connections"
    for _ in $(seq 1 "$rounds"); do
        "$build/bench/ws_load" --port "$hub_port" --path /ws/bench-call --connections "$connections" \
            --messages "$messages" --message "$call_message" --token "$token" >>"$work/call.$connections"
    done
    cp50=$(field p50_us <"$work/call.$connections" | median); cp99=$(field p99_us <"$work/call.$connections" | median)
    crate=$(field msgs_per_s <"$work/call.$connections" | median)
    echo "$connections $fp50 $cp50 $fp99 $cp99 $frate $crate" >>"$work/calls"
done

echo
echo "# Tool call round trip through the hub to the C++ test engine (basics__echo, 200-byte text), vs the echo floor"
echo
echo "| callers | floor p50 µs | call p50 µs | p50 ratio | floor p99 µs | call p99 µs | p99 ratio | floor msg/s | calls/s | throughput ratio |"
echo "|---|---|---|---|---|---|---|---|---|---|"
while read -r c fp50 cp50 fp99 cp99 fr cr; do
    awk -v c="$c" -v fp50="$fp50" -v hp50="$cp50" -v fp99="$fp99" -v hp99="$cp99" -v fr="$fr" -v hr="$cr" \
        'BEGIN { printf "| %d | %.1f | %.1f | %.2f× | %.1f | %.1f | %.2f× | %.0f | %.0f | %.0f %% |\n", c, fp50, hp50, hp50/fp50, fp99, hp99, hp99/fp99, fr, hr, 100*hr/fr }'
done <"$work/calls"

echo
echo "# Argument validation in the hub (10-parameter tool), Google Benchmark"
"$build/bench/validation_bench" --benchmark_min_time=0.2 2>/dev/null | grep -E "^(Validate|Parse)"

echo
# Sessions (issue 5): session:ready cold vs warm pool, memory per idle browser WebSocket, 200
# concurrent sessions with test engines (its own hub; see bench/session_bench.cpp).
"$build/bench/session_bench" --hub "$build/atelier"

echo
# One session with many tabs; 8 projects committing at once (issue 15, bench/tabs_bench.cpp).
"$build/bench/tabs_bench" --hub "$build/atelier"

echo
# Blender through the same kind of hub, against the C++ test engine as the floor (DESIGN §8, §10).
if command -v blender >/dev/null 2>&1; then
    /usr/bin/python3 "$root/bench/blender_bench.py" --binary "$build/atelier" --test-engine "$build/atelier_test_engine"
else
    echo "# Blender: not installed (scripts/deps.sh run installs it); its figures are skipped"
fi

echo
# The agent (issue 6): hub time per agent step, the model (the fake model server, answering at
# once) and the engine excluded; see bench/agent_bench.cpp.
for provider in anthropic openai; do
    "$build/bench/agent_bench" --hub "$build/atelier" --provider "$provider" --turns 20
done

echo
# Prompt caching (issue 17): schema size, and the input a 20-step turn sends and the part a
# provider's prefix cache can serve, before/after the cache-friendly request layout.
"$build/bench/prompt_cache_bench" --source "$root"

echo
# Remotion (issue 9): session:ready cold/warm, render_still warm, render_video fps against
# `npx remotion render` of the same composition in the same run (bench/remotion_bench.sh).
ATELIER_BINARY="$build/atelier" "$root/bench/remotion_bench.sh"

echo
# Many hubs on one PostgreSQL (issue 24): a command through a non-owner hub vs the owner, failover
# after kill -9 (bench/cluster_bench.cpp; starts its own PostgreSQL).
if [[ -x "$build/bench/cluster_bench" ]]; then
    "$build/bench/cluster_bench" --hub "$build/atelier"
fi

echo
# The live viewport (issue 23): JPEG frames over the WebSocket (the floor) vs WebRTC H.264 from
# atelier-rtc, real Blender and Debian's chromium on loopback (bench/viewport_webrtc.mjs).
if [[ ! -x "$build/atelier-rtc" ]]; then
    echo "# Viewport WebRTC: atelier-rtc was not built (no GStreamer WebRTC); its figures are skipped"
elif ! command -v blender >/dev/null 2>&1 || [[ ! -x "${ATELIER_CHROMIUM:-/usr/bin/chromium}" ]]; then
    echo "# Viewport WebRTC: needs blender and chromium (scripts/deps.sh); its figures are skipped"
else
    "$root/scripts/web.sh" build >/dev/null
    ATELIER_BINARY="$build/atelier" node "$root/bench/viewport_webrtc.mjs"
fi
