#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# deploy/systemd/: the unit passes `systemd-analyze verify` (with ExecStart pointed at the binary
# under test, since /usr/local/bin/atelier is not installed here), every ATELIER_* variable the
# environment file example names is one `atelier serve --help` documents, and the hub starts with
# the example's settings. ATELIER_BINARY: the binary under test.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
binary=$(realpath "${ATELIER_BINARY:-$root/build/asan/atelier}")
unit=$root/deploy/systemd/atelier.service
example=$root/deploy/systemd/atelier.env.example
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }

grep -q '^ExecStart=/usr/local/bin/atelier serve$' "$unit" || fail "ExecStart is not the installed binary's 'serve'"
grep -q '^User=atelier$' "$unit" || fail "the service does not run as its own user"
grep -q '^StateDirectory=atelier$' "$unit" || fail "no StateDirectory"
grep -q '^Environment=ATELIER_DATA_DIR=/var/lib/atelier$' "$unit" || fail "the data dir is not the StateDirectory"
grep -q '^EnvironmentFile=-/etc/atelier/atelier.env$' "$unit" || fail "no EnvironmentFile"

if command -v systemd-analyze >/dev/null; then
    sed "s|/usr/local/bin/atelier|$binary|" "$unit" >"$scratch/atelier.service"
    if ! output=$(systemd-analyze verify "$scratch/atelier.service" 2>&1) || [[ -n $output ]]; then
        fail "systemd-analyze verify: $output"
    fi
else
    echo "systemd-analyze is not installed: the unit's syntax is not verified (Debian: systemd)" >&2
fi

documented=$("$binary" serve --help 2>&1 | grep -o 'ATELIER_[A-Z_]*' | sort -u)
named=$(grep -Eo '^#?ATELIER_[A-Z_]+=' "$example" | tr -d '#=' | sort -u)
[[ -n $named ]] || fail "the example names no ATELIER_* variable"
for variable in $named; do
    [[ $variable == ATELIER_TOKEN ]] && continue # read by the token store, not an option
    grep -qx "$variable" <<<"$documented" || fail "$example names $variable, which atelier serve --help does not know"
done

# The example's active settings, as systemd would pass them, are accepted by the hub.
env_args=()
while IFS= read -r line; do
    [[ $line =~ ^[A-Z_]+= ]] && env_args+=("$line")
done <"$example"
# Waits on the ready line itself (read with a deadline), not on a timer.
coproc HUB { exec env "${env_args[@]}" ATELIER_PORT=0 ATELIER_DATA_DIR="$scratch/data" "$binary" serve 2>"$scratch/err"; }
hub=$HUB_PID
ready=""
read -r -t 60 ready <&"${HUB[0]}" || true
[[ $ready == "atelier listening on "* ]] ||
    fail "the hub did not start with the example's settings: ${ready:-no ready line} $(tail -3 "$scratch/err")"
kill "$hub" 2>/dev/null || true
wait "$hub" 2>/dev/null || true

if [[ $failures -gt 0 ]]; then
    exit 1
fi
echo "deploy/systemd: ok"
