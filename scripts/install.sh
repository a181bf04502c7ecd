#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs a built atelier into an install layout (`make install` runs it after building):
#   PREFIX=/usr/local DESTDIR= scripts/install.sh BINARY
#     $DESTDIR$PREFIX/bin/atelier
#     $DESTDIR$PREFIX/share/atelier/web/          the built web app (web/dist)
#     $DESTDIR$PREFIX/share/atelier/engines/      blender/ (bootstrap.py, the addons) and remotion/
#                                                 (dist/, node_modules/, template/, manifests/, preview/)
#     $DESTDIR$PREFIX/share/atelier/config/       atelier.toml, the documented example configuration
#     $DESTDIR$PREFIX/share/atelier/assets/library/ the CC0 starter asset library (docs/files.md)
#     $DESTDIR$PREFIX/share/doc/atelier/          the licences
# The hub finds share/atelier from its own path (src/core/install_layout.h), so nothing here is
# written into the binary and the tree can be moved to another prefix as a whole.
# ATELIER_INSTALL_COPY=link hard-links instead of copying where it can (the tests' throwaway
# installs; the Remotion engine's node_modules is ~300 MB).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
binary=${1:?usage: PREFIX=/usr/local DESTDIR= scripts/install.sh BINARY}
prefix=${PREFIX:-/usr/local}
target="${DESTDIR:-}$prefix"
share="$target/share/atelier"

fail() { echo "install: $*" >&2; exit 1; }
[[ $prefix == /* ]] || fail "PREFIX must be an absolute path, not '$prefix'"
[[ -x $binary ]] || fail "$binary is not an executable (build it first: make build-release)"
[[ -f $root/web/dist/index.html ]] || fail "web/dist is not built (scripts/web.sh build)"
[[ -f $root/engines/remotion/dist/src/main.js && -d $root/engines/remotion/node_modules ]] ||
    fail "the Remotion engine is not built (engines/remotion/scripts/engine.sh setup)"

# copy SOURCE... DIRECTORY: a tree into DIRECTORY, without Python caches.
copy() {
    local destination=${*: -1}
    mkdir -p "$destination"
    if [[ ${ATELIER_INSTALL_COPY:-copy} == link ]] && cp -al "${@:1:$#-1}" "$destination" 2>/dev/null; then
        :
    else
        cp -a "${@:1:$#-1}" "$destination"
    fi
    find "$destination" -name __pycache__ -type d -prune -exec rm -rf {} +
}

install -D -m 0755 "$binary" "$target/bin/atelier"
rm -rf "$share"
mkdir -p "$share/web" "$share/config" "$share/engines/blender" "$share/engines/remotion"
copy "$root/web/dist/." "$share/web"
mkdir -p "$share/assets"
copy "$root/assets/library" "$share/assets"
install -m 0644 "$root/config/atelier.toml" "$share/config/atelier.toml"

blender=$root/engines/blender
copy "$blender/bootstrap.py" "$blender/scripts" "$share/engines/blender"
[[ -f $blender/LICENSE ]] && install -m 0644 "$blender/LICENSE" "$share/engines/blender/LICENSE"

remotion=$root/engines/remotion
copy "$remotion/package.json" "$remotion/tsconfig.json" "$remotion/instructions.md" "$remotion/manifests" \
    "$remotion/preview" "$remotion/node_modules" "$share/engines/remotion"
mkdir -p "$share/engines/remotion/dist"
copy "$remotion/dist/src" "$share/engines/remotion/dist"
# The template without a node_modules link a checkout's tests may have left in it.
copy "$remotion/template" "$share/engines/remotion"
rm -rf "$share/engines/remotion/template/node_modules"

mkdir -p "$target/share/doc/atelier"
for licence in LICENSE NOTICE docs/licences.md; do
    [[ -f $root/$licence ]] && install -m 0644 "$root/$licence" "$target/share/doc/atelier/"
done
echo "atelier installed in ${DESTDIR:-}$prefix (run: $prefix/bin/atelier serve)"
