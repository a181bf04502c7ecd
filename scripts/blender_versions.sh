#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The Blender engine's tests with the Blenders of newer Debian releases (`make test-blender-versions`):
#   scripts/blender_versions.sh [SUITE...]        default: trixie sid ("system": the host's own
#                                                 blender, no root); prints one line per Blender:
#                                                 "blender 4.3.2: N passed, 0 failed"
#   scripts/blender_versions.sh roots [SUITE...]  only build (or update) the roots
# Each suite gets a debootstrap root (variant=minbase, from deb.debian.org only) with Blender, its
# Python's websockets and numpy, and Mesa's EGL (Blender renders headless through surfaceless
# EGL/llvmpipe), cached under ${ATELIER_CACHE:-~/.cache/atelier}/roots/<suite>; the first run
# downloads ~1 GB per suite. The tests run on the host as usual (engines/blender/tests/integration:
# the in-Blender suite and the real-hub tests) with ATELIER_BLENDER pointing at a wrapper that runs
# the root's Blender under bubblewrap: the root as /, the checkout and /tmp bound in, the host's
# loopback network shared, so the host's hub and the root's Blender talk as usual.
# Needs root (debootstrap, bwrap --bind of a foreign /), bubblewrap and debootstrap (scripts/deps.sh).
# ATELIER_BINARY: the hub the real-hub tests start (default build/asan/atelier).
set -euo pipefail

root_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cache=${ATELIER_CACHE:-$HOME/.cache/atelier}
roots=$cache/roots
mirror=http://deb.debian.org/debian
packages=(blender python3-websockets python3-numpy libegl1 libegl-mesa0 libgl1 libopengl0 libgl1-mesa-dri)

log() { echo "blender_versions: $*" >&2; }

mount_chroot() { mount -t proc proc "$1/proc"; }
umount_chroot() { umount "$1/proc" 2>/dev/null || true; }

# build_root SUITE: debootstrap once (marker .debootstrapped), then install the packages whenever
# the wanted list changed (marker .packages); a half-built root is thrown away and rebuilt.
build_root() {
    local suite=$1 root=$roots/$1 suite_log=$roots/$1.log
    if [[ -f $root/.packages && "$(cat "$root/.packages")" == "${packages[*]}" ]]; then
        return 0
    fi
    [[ $(id -u) -eq 0 ]] || { log "building a debootstrap root needs root"; return 1; }
    command -v debootstrap >/dev/null || { log "debootstrap is not installed (scripts/deps.sh blender-versions)"; return 1; }
    mkdir -p "$roots"
    if [[ ! -f $root/.debootstrapped ]]; then
        rm -rf "$root"
        log "debootstrap $suite into $root (about 1 GB the first time; log: $suite_log)"
        nice debootstrap --variant=minbase "$suite" "$root" "$mirror" >"$suite_log" 2>&1 ||
            { log "debootstrap $suite failed, see $suite_log"; return 1; }
        touch "$root/.debootstrapped"
    fi
    # A cached mirror may serve a suite's Release past its Valid-Until (sid's lives a week); the
    # packages are still Debian's signed ones.
    log "installing ${packages[*]} in $suite"
    mount_chroot "$root"
    local status=0
    { DEBIAN_FRONTEND=noninteractive nice chroot "$root" apt-get -o Acquire::Check-Valid-Until=false update -q &&
        DEBIAN_FRONTEND=noninteractive nice chroot "$root" apt-get install -y -q --no-install-recommends \
            "${packages[@]}"; } >>"$suite_log" 2>&1 || status=$?
    chroot "$root" apt-get clean >/dev/null 2>&1 || true
    umount_chroot "$root"
    [[ $status -eq 0 ]] || { log "installing into $suite failed, see $suite_log"; return 1; }
    echo "${packages[*]}" >"$root/.packages"
}

# write_wrapper SUITE: an executable that runs the root's Blender with the caller's arguments,
# environment and working directory.
write_wrapper() {
    local suite=$1 root=$roots/$1 wrapper=$cache/bin/blender-$1
    mkdir -p "$cache/bin"
    cat >"$wrapper" <<WRAPPER
#!/bin/sh
# Blender from the debootstrap root $root (written by scripts/blender_versions.sh).
# Only /tmp and the checkout are bound in: elsewhere Blender starts in /.
case "\$PWD" in /tmp | /tmp/* | "$root_dir" | "$root_dir"/*) dir=\$PWD ;; *) dir=/ ;; esac
exec bwrap --bind "$root" / --proc /proc --dev /dev --bind /tmp /tmp --bind /dev/shm /dev/shm \\
    --bind "$root_dir" "$root_dir" --die-with-parent --chdir "\$dir" /usr/bin/blender "\$@"
WRAPPER
    chmod +x "$wrapper"
    echo "$wrapper"
}

# A unittest run's counts from its summary: "Ran N tests" and "FAILED (failures=a, errors=b)".
count_ran() { grep -Eo '^Ran [0-9]+ tests?' | tail -1 | grep -Eo '[0-9]+' || echo 0; }
count_failed() {
    local summary
    summary=$(grep -E '^(FAILED|OK)' | tail -1)
    local failures errors
    failures=$(grep -Eo 'failures=[0-9]+' <<<"$summary" | grep -Eo '[0-9]+' || echo 0)
    errors=$(grep -Eo 'errors=[0-9]+' <<<"$summary" | grep -Eo '[0-9]+' || echo 0)
    echo $((failures + errors))
}

# test_suite SUITE: runs the tests with that root's Blender (SUITE "system": the host's blender
# from PATH, for the same line about the Blender `make test` uses); prints the summary line.
test_suite() {
    local suite=$1 wrapper version out status
    if [[ $suite == system ]]; then
        wrapper=$(command -v blender) || { log "no blender on PATH"; return 1; }
    else
        wrapper=$(write_wrapper "$suite")
    fi
    version=$("$wrapper" -b --factory-startup --version 2>/dev/null | sed -n 's/^Blender \([0-9.]*\).*/\1/p' | head -1)
    [[ -n $version ]] || { log "the Blender of $suite does not start: $("$wrapper" --version 2>&1 | tail -3)"; return 1; }
    out=$cache/results/blender-$version
    mkdir -p "$out"
    log "blender $version ($suite): the in-Blender suite and the real-hub tests (logs: $out)"
    local tests=$root_dir/engines/blender/tests
    status=0
    (cd "$root_dir" && ATELIER_BLENDER=$wrapper ATELIER_BINARY=${ATELIER_BINARY:-$root_dir/build/asan/atelier} \
        nice /usr/bin/python3 -m unittest discover -v -s "$tests/integration" -p 'test_*.py' -t "$tests") \
        >"$out/tests.log" 2>&1 || status=$?
    # The in-Blender suite runs as one outer test; count its own tests instead of that one.
    local outer_ran outer_failed inner_ran inner_failed
    outer_ran=$(count_ran <"$out/tests.log")
    outer_failed=$(count_failed <"$out/tests.log")
    inner_ran=$(sed -n 's/^  in Blender: //p' "$out/tests.log" | count_ran)
    inner_failed=$(sed -n 's/^  in Blender: //p' "$out/tests.log" | count_failed)
    local total=$((outer_ran - (inner_ran > 0 ? 1 : 0) + inner_ran))
    local failed=$((outer_failed + inner_failed))
    [[ $status -eq 0 || $failed -gt 0 ]] || failed=1 # a crash before the summary still fails
    echo "blender $version: $((total - failed)) passed, $failed failed"
    [[ $failed -eq 0 ]]
}

if [[ ${1:-} == roots ]]; then
    shift
    suites=("$@")
    [[ ${#suites[@]} -gt 0 ]] || suites=(trixie sid)
    for suite in "${suites[@]}"; do build_root "$suite"; done
    exit 0
fi

suites=("$@")
[[ ${#suites[@]} -gt 0 ]] || suites=(trixie sid)
command -v bwrap >/dev/null || { log "bubblewrap is not installed (scripts/deps.sh run)"; exit 1; }
failed=0
for suite in "${suites[@]}"; do
    [[ $suite == system ]] || build_root "$suite" || { failed=1; continue; }
    test_suite "$suite" || failed=1
done
exit $failed
