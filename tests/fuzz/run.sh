#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Runs every libFuzzer target of the fuzz build for N seconds and prints one line per target:
#   fuzz <target>: <execs> execs, <new> new units, 0 crashes
# Usage: tests/fuzz/run.sh <build-dir> <seconds> [target...]
# Each target starts from its seeds (tests/fuzz/corpus/<target>, read only: seeds and regression
# inputs) plus what earlier runs found (<build-dir>/corpus/<target>, where new units go). A crash,
# a leak, a timeout or a broken property keeps the input in <build-dir>/artifacts/, prints the
# report's head and makes the script fail; a fixed crash's input belongs in the seed folder as
# regression-<what>.
set -uo pipefail

build=${1:?usage: run.sh <build-dir> <seconds> [target...]}
seconds=${2:?usage: run.sh <build-dir> <seconds> [target...]}
shift 2
source_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
targets=("$@")
if [[ ${#targets[@]} -eq 0 ]]; then
    targets=(browser_envelope rpc_message frame_header manifest arguments sse_parser http_request auth_headers
             config_toml path_rules mcp_json_rpc glb_scene)
fi

dictionary_for() {
    case "$1" in
        browser_envelope | rpc_message | manifest | arguments) echo json ;;
        http_request | auth_headers) echo http ;;
        sse_parser) echo sse ;;
        config_toml) echo toml ;;
        path_rules) echo path ;;
    esac
}

export ASAN_OPTIONS=${ASAN_OPTIONS:-halt_on_error=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
mkdir -p "$build/artifacts" "$build/logs"
# run_one TARGET: runs one target; writes its summary line (and a crash report's head) to
# $build/logs/TARGET.summary and its exec count to $build/logs/TARGET.execs; fails on a crash.
run_one() {
    local target=$1
    local binary="$build/tests/fuzz/fuzz_$target"
    local summary="$build/logs/$target.summary"
    echo 0 >"$build/logs/$target.execs"
    if [[ ! -x $binary ]]; then
        echo "fuzz $target: no binary at $binary (build the fuzz preset first)" >"$summary"
        return 1
    fi
    local work="$build/corpus/$target"
    mkdir -p "$work"
    local options=(-max_total_time="$seconds" -print_final_stats=1 -timeout=25 -rss_limit_mb=2048 -max_len=65536
                   -artifact_prefix="$build/artifacts/$target-")
    local dictionary
    dictionary=$(dictionary_for "$target")
    [[ -n $dictionary ]] && options+=(-dict="$source_dir/dict/$dictionary.dict")
    local log="$build/logs/$target.log"
    "$binary" "${options[@]}" "$work" "$source_dir/corpus/$target" >"$log" 2>&1
    local status=$?
    local execs new
    execs=$(awk '/stat::number_of_executed_units/ {print $2}' "$log" | tail -1)
    new=$(awk '/stat::new_units_added/ {print $2}' "$log" | tail -1)
    echo "${execs:-0}" >"$build/logs/$target.execs"
    if [[ $status -eq 0 ]]; then
        echo "fuzz $target: ${execs:-0} execs, ${new:-0} new units, 0 crashes" >"$summary"
        return 0
    fi
    local artifact
    artifact=$(grep -o "Test unit written to .*" "$log" | tail -1 | sed 's/Test unit written to //')
    {
        echo "fuzz $target: ${execs:-?} execs, ${new:-?} new units, 1 crash (exit $status): ${artifact:-see $log}"
        grep -m1 -B2 -A25 -E "ERROR: |runtime error|fuzz property broken|deadly signal" "$log" | head -40
    } >"$summary"
    return 1
}

# FUZZ_JOBS targets at a time (default 1); the lines are printed in target order either way.
jobs=${FUZZ_JOBS:-1}
failed=0
running=0
for target in "${targets[@]}"; do
    if [[ $running -ge $jobs ]]; then
        wait -n || failed=1
        running=$((running - 1))
    fi
    run_one "$target" &
    running=$((running + 1))
done
while [[ $running -gt 0 ]]; do
    wait -n || failed=1
    running=$((running - 1))
done
total=0
for target in "${targets[@]}"; do
    cat "$build/logs/$target.summary"
    total=$((total + $(cat "$build/logs/$target.execs")))
done
echo "fuzz: ${#targets[@]} targets, $total execs in total, ${seconds} s each, $jobs at a time"
exit $failed
