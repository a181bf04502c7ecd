#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs what atelier needs from Debian's packages, idempotently: a second run with
# everything present asks dpkg only and returns in well under a second.
#   scripts/deps.sh build   compilers and libraries for the hub
#   scripts/deps.sh test    build + what the test suite drives for real
#   scripts/deps.sh run     build + the engines the studio launches
#   scripts/deps.sh fuzz    build + clang and its libFuzzer runtime (`make fuzz`)
#   scripts/deps.sh blender-versions   test + debootstrap (`make test-blender-versions`)
set -euo pipefail

build_packages=(
    g++ cmake make git pkg-config ccache clang-format curl
    libboost1.81-dev nlohmann-json3-dev libexpected-dev libspdlog-dev libfmt-dev
    libcli11-dev libtomlplusplus-dev libssl-dev zlib1g-dev libvalijson-dev
    libsqlite3-dev libpq-dev libgit2-dev libsodium-dev
    libgtest-dev libgmock-dev libbenchmark-dev
    libcurl4-openssl-dev libyaml-cpp-dev
    # atelier-rtc, the WebRTC viewport helper (src/rtc): webrtcbin, libnice, x264enc, vp8enc, jpegdec.
    libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev libgstreamer-plugins-bad1.0-dev
    gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad gstreamer1.0-plugins-ugly
    gstreamer1.0-nice gstreamer1.0-tools
)
# chromium: the Remotion engine renders and previews in Debian's chromium (no browser download).
engine_packages=(blender python3-websockets python3-numpy bubblewrap chromium)
# clang with libclang-rt-14-dev (libFuzzer, ASan and UBSan runtimes for Debian 12's clang 14): the
# fuzz targets that `make test` runs briefly (tests/fuzz).
fuzz_packages=(clang libclang-rt-14-dev)
test_packages=(procps curl postgresql ffmpeg chromium "${fuzz_packages[@]}")
# `make test-blender-versions`: debootstrap roots of newer Debian suites, their Blender run in bubblewrap.
blender_versions_packages=(debootstrap bubblewrap)
# docker.io: the container launcher's tests run a real daemon (scripts/dockerd.sh); kubectl reads the
# Pods and manifests the kubernetes launcher and deploy/kubernetes/ emit (Debian's kubernetes-client,
# unless a kubectl is already on PATH).
test_packages+=(docker.io)
if ! command -v kubectl >/dev/null 2>&1; then
    test_packages+=(kubernetes-client)
fi
# haproxy: the cluster tests route three hubs through deploy/haproxy/atelier.cfg (docs/scaling.md).
test_packages+=(haproxy)

want=("${build_packages[@]}")
case "${1:-build}" in
    build) ;;
    test) want+=("${test_packages[@]}" "${engine_packages[@]}") ;;
    run) want+=("${engine_packages[@]}") ;;
    fuzz) want+=("${fuzz_packages[@]}") ;;
    blender-versions) want+=("${test_packages[@]}" "${engine_packages[@]}" "${blender_versions_packages[@]}") ;;
    *) echo "usage: $0 build|test|run|fuzz|blender-versions" >&2; exit 2 ;;
esac

# The web app and the Remotion engine need Node.js with npm; machines here ship Node 20, a bare
# Debian 12 gets Debian's packages.
if ! command -v npm >/dev/null 2>&1; then
    want+=(nodejs npm)
fi

missing=()
for package in "${want[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)
    [[ "$status" == "install ok installed" ]] || missing+=("$package")
done
if [[ ${#missing[@]} -gt 0 ]]; then
    echo "atelier: installing ${missing[*]}" >&2
    sudo_cmd=()
    [[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)
    export DEBIAN_FRONTEND=noninteractive
    "${sudo_cmd[@]}" apt-get update -qq
    "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The Remotion engine: its npm dependencies, once per machine in engines/remotion/node_modules
# (npm ci only when the lock changed, from the npm cache when it can), and its TypeScript build.
case "${1:-build}" in
    test | run) "$(dirname "${BASH_SOURCE[0]}")/../engines/remotion/scripts/engine.sh" setup ;;
esac
