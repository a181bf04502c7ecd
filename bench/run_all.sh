#!/usr/bin/env bash
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
done
