#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds atelier's engine image offline, without a registry: `docker import` of a minimal root
# that holds no programs of its own. At run time the hub binds the host's /usr read-only into each
# container (the docker launcher's `host_usr = true`), so Blender, Node, Chromium and the C++ test
# engine's libraries are the host's, at the host's paths; the image carries only the merged-/usr
# symlinks, the loader cache and the few /etc files programs read.
#   scripts/engine_image.sh [NAME]   default NAME: atelier-engine:host; prints NAME and the size
# Needs a daemon: DOCKER_SOCKET=<path> (default: what scripts/dockerd.sh prints).
set -euo pipefail

name="${1:-atelier-engine:host}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
socket="${DOCKER_SOCKET:-$("$here/dockerd.sh")}"
docker=(/usr/bin/docker -H "unix://$socket") # /usr/bin: Debian's client (another may be on PATH)

root="$(mktemp -d)"
trap 'rm -rf "$root"' EXIT
# /sbin is a real, empty directory: Docker binds its docker-init there (`Init: true`), which it
# could not do through a symlink into the read-only /usr.
mkdir -p "$root"/{usr,etc,tmp,proc,sys,dev,run,sbin,home/engine,var/tmp}
chmod 1777 "$root/tmp" "$root/var/tmp"
# Debian 12 merges /bin, /sbin and /lib* into /usr: the same symlinks make the host's /usr whole.
for link in bin lib lib32 lib64 libx32; do
    [[ -L "/$link" ]] && ln -s "$(readlink "/$link")" "$root/$link"
done
# The loader cache (Debian's multiarch library paths), names, fonts and certificates. Copied, not
# bound: nothing else of the host's /etc reaches an engine.
for item in ld.so.cache ld.so.conf ld.so.conf.d nsswitch.conf hosts localtime mime.types fonts ssl/certs \
    alternatives; do
    if [[ -e "/etc/$item" ]]; then
        mkdir -p "$root/etc/$(dirname "$item")"
        cp -a "/etc/$item" "$root/etc/$item"
    fi
done
# The hub runs engines as its own uid:gid; these entries give that user a name and a home.
printf 'root:x:0:0:root:/root:/bin/sh\nengine:x:%s:%s:atelier engine:/home/engine:/bin/sh\n' "$(id -u)" "$(id -g)" \
    >"$root/etc/passwd"
printf 'root:x:0:\nengine:x:%s:\n' "$(id -g)" >"$root/etc/group"
[[ $(id -u) -eq 0 ]] && sed -i '/^engine:/d' "$root/etc/passwd" "$root/etc/group"

tar -C "$root" --numeric-owner -cf - . | "${docker[@]}" import \
    --change 'ENV PATH=/usr/local/bin:/usr/bin:/bin' --change 'ENV HOME=/tmp' - "$name" >/dev/null
size=$("${docker[@]}" image inspect --format '{{.Size}}' "$name")
echo "$name ($size bytes; the host's /usr is bound read-only at run time)"
