#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Upload of a large file (issue 18): PUT /api/projects/{id}/files/{path} streamed to disk, then
# committed. Prints MB/s of the upload against `cp` of the same file in the same run (the floor: a
# local copy on the same disk), and the hub's resident memory before, at its peak during, and after
# the upload (it must stay flat: the body is never held in memory).
#   bench/upload_bench.sh [MB] [build dir]     default 200 MB, build/release
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
mb="${1:-200}"
build="${2:-$root/build/release}"
work="$(mktemp -d)"
hub_pid=""
cleanup() {
    [ -n "$hub_pid" ] && kill "$hub_pid" 2>/dev/null || true
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

wait_for_line() {
    for _ in $(seq 1 300); do
        if line=$(grep -m1 "$2" "$1" 2>/dev/null); then echo "$line"; return 0; fi
        sleep 0.1
    done
    echo "upload_bench: timed out waiting for '$2' in $1" >&2; return 1
}
now() { date +%s.%N; }
kib() { awk -v key="$2:" '$1 == key {print $2}' "/proc/$1/status"; }

head -c "$((mb * 1024 * 1024))" /dev/urandom >"$work/big.bin"
sync

start=$(now); cp "$work/big.bin" "$work/copy.bin"; sync; cp_s=$(echo "$(now) - $start" | bc -l)
rm -f "$work/copy.bin"

"$build/atelier" serve --port 0 --data-dir "$work/data" --log-level warn --threads 2 >"$work/hub.out" 2>"$work/hub.err" &
hub_pid=$!
port=$(wait_for_line "$work/hub.out" '^atelier listening' | sed 's/.*://')
token=$(cat "$work/data/token")
project=$(curl -sf -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
    -d '{"name":"upload bench","kind":"blender"}' "http://127.0.0.1:$port/api/projects" |
    sed 's/.*"id":"\([^"]*\)".*/\1/')
rss_before=$(kib "$hub_pid" VmRSS)
hwm_before=$(kib "$hub_pid" VmHWM)

# Sample the resident size while the upload runs (VmHWM alone would include start-up).
peak=$rss_before
( while kill -0 "$hub_pid" 2>/dev/null; do
    echo "$(kib "$hub_pid" VmRSS) $(kib "$hub_pid" RssAnon) $(kib "$hub_pid" RssFile)"; sleep 0.05
  done ) >"$work/rss.log" &
sampler=$!
start=$(now)
status=$(curl -s -o "$work/answer.json" -w '%{http_code}' -T "$work/big.bin" -H "Authorization: Bearer $token" \
    "http://127.0.0.1:$port/api/projects/$project/files/assets/big.bin")
upload_s=$(echo "$(now) - $start" | bc -l)
kill "$sampler" 2>/dev/null || true
wait "$sampler" 2>/dev/null || true
[ "$status" = 201 ] || { echo "upload_bench: the upload answered $status: $(cat "$work/answer.json")" >&2; exit 1; }
read -r peak peak_anon peak_file < <(sort -n "$work/rss.log" | tail -1)
rss_after=$(kib "$hub_pid" VmRSS)

echo "| figure | value |"
echo "|---|---|"
printf '| file | %d MB |\n' "$mb"
printf '| floor: cp of the file (same disk, synced) | %.2f s = %.0f MB/s |\n' "$cp_s" "$(echo "$mb / $cp_s" | bc -l)"
printf '| upload: PUT, streamed to disk + committed (git blob) | %.2f s = %.0f MB/s |\n' "$upload_s" \
    "$(echo "$mb / $upload_s" | bc -l)"
printf '| upload / cp time | %.1fx |\n' "$(echo "$upload_s / $cp_s" | bc -l)"
printf '| hub RSS before / peak during / after | %d / %d / %d MiB |\n' "$((rss_before / 1024))" "$((peak / 1024))" \
    "$((rss_after / 1024))"
printf '| hub RSS growth at peak (vs the file size) | %d MiB (%.1f%% of %d MB) |\n' "$(((peak - rss_before) / 1024))" \
    "$(echo "($peak - $rss_before) / 1024 * 100 / $mb" | bc -l)" "$mb"
printf '| of the peak: anonymous / file-backed | %d / %d MiB |\n' "$((peak_anon / 1024))" "$((peak_file / 1024))"
printf '| hub VmHWM before the upload | %d MiB |\n' "$((hwm_before / 1024))"
