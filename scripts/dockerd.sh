#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# A Docker daemon for atelier's container tests and benchmarks, started only when none answers.
#   scripts/dockerd.sh [start]   prints the daemon's Unix socket path (one line) once it answers
#   scripts/dockerd.sh stop      stops the daemon this script started (by its pid file)
# Order: $ATELIER_DOCKER_SOCKET, then /var/run/docker.sock, then our own daemon under
# $ATELIER_DOCKER_DIR (default /tmp/atelier-dockerd-$UID). Our daemon has no bridge, no iptables
# and no NAT: engines use host networking and reach the hub on 127.0.0.1 (never a private range).
# Exits non-zero with a one-line reason on stderr when no daemon can run (not root, no dockerd).
set -euo pipefail

dir="${ATELIER_DOCKER_DIR:-/tmp/atelier-dockerd-$(id -u)}"
socket="$dir/docker.sock"
dockerd_bin="${ATELIER_DOCKERD:-/usr/sbin/dockerd}"

answers() { # socket
    [[ -S "$1" ]] && curl -sf --max-time 2 --unix-socket "$1" http://docker/_ping >/dev/null 2>&1
}

case "${1:-start}" in
start)
    for candidate in "${ATELIER_DOCKER_SOCKET:-}" /var/run/docker.sock "$socket"; do
        if [[ -n "$candidate" ]] && answers "$candidate"; then
            echo "$candidate"
            exit 0
        fi
    done
    [[ -x "$dockerd_bin" ]] || { echo "dockerd.sh: no $dockerd_bin (Debian package docker.io)" >&2; exit 1; }
    [[ $(id -u) -eq 0 ]] || { echo "dockerd.sh: dockerd needs root (running as uid $(id -u))" >&2; exit 1; }
    mkdir -p "$dir/data" "$dir/exec"
    # One starter at a time (tests run in parallel); the loser waits for the winner's socket. The
    # daemon must not inherit the lock's descriptor (9>&- below): it would hold the lock for its
    # whole life, and a later caller whose ping timed out under load would wait on it for ever.
    exec 9>"$dir/lock"
    flock -w 120 9 || { echo "dockerd.sh: another start holds $dir/lock for over 120 s" >&2; exit 1; }
    running() { [[ -f "$dir/dockerd.pid" ]] && kill -0 "$(cat "$dir/dockerd.pid")" 2>/dev/null; }
    if ! answers "$socket" && ! running; then
        rm -f "$socket"
        # containerd, runc and docker-init come from the same package (/usr/bin, /usr/sbin).
        PATH="/usr/sbin:/usr/bin:$PATH" setsid "$dockerd_bin" --data-root "$dir/data" --exec-root "$dir/exec" \
            -H "unix://$socket" --pidfile "$dir/dockerd.pid" --bridge=none --iptables=false \
            --ip-forward=false --ip-masq=false >"$dir/dockerd.log" 2>&1 </dev/null 9>&- &
        started=$!
        for _ in $(seq 1 300); do
            answers "$socket" && break
            if ! kill -0 "$started" 2>/dev/null; then
                echo "dockerd.sh: dockerd exited: $(tail -n 1 "$dir/dockerd.log")" >&2
                exit 1
            fi
            sleep 0.1
        done
    fi
    # Ours already runs but did not answer the first ping in time (a loaded machine): wait for it,
    # never start a second daemon on the same data root.
    for _ in $(seq 1 60); do
        answers "$socket" && break
        sleep 0.5
    done
    answers "$socket" || { echo "dockerd.sh: dockerd did not answer within 30 s (see $dir/dockerd.log)" >&2; exit 1; }
    echo "$socket"
    ;;
stop)
    if [[ -f "$dir/dockerd.pid" ]]; then
        pid=$(cat "$dir/dockerd.pid")
        kill "$pid" 2>/dev/null || true
        while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
    fi
    ;;
*)
    echo "usage: $0 [start|stop]" >&2
    exit 2
    ;;
esac
