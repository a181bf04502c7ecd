#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# SPDX licence headers on the tracked source files (README.md#licence):
#   scripts/spdx.sh [PATH...]          add "SPDX-License-Identifier: <id>" as the first comment line
#                                      of every source file under PATH (default: the whole tree)
#                                      that has none; idempotent
#   scripts/spdx.sh --check [PATH...]  list the files without one; fails when there are any
# Source files: .cpp .h .py .ts .tsx .js .mjs .sh .cmake and CMakeLists.txt, as `git ls-files` lists
# them. The id by path: engines/blender/ is GPL-2.0-or-later (it runs inside Blender), everything
# else Apache-2.0. A shebang stays the first line; the header goes right after it.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

mode=add
if [[ ${1:-} == --check ]]; then
    mode=check
    shift
fi

licence_of() {
    case "$1" in
        engines/blender/*) echo "GPL-2.0-or-later" ;;
        *) echo "Apache-2.0" ;;
    esac
}

comment_of() {
    case "$1" in
        *.cpp | *.h | *.ts | *.tsx | *.js | *.mjs) echo "//" ;;
        *) echo "#" ;;
    esac
}

# A header counts when it is among the first lines (after a shebang and a comment or two).
has_header() { head -n 5 "$1" | grep -q 'SPDX-License-Identifier:'; }

missing=0
while IFS= read -r -d '' file; do
    [[ -f $file && ! -L $file ]] || continue
    has_header "$file" && continue
    if [[ $mode == check ]]; then
        echo "$file"
        missing=$((missing + 1))
        continue
    fi
    line="$(comment_of "$file") SPDX-License-Identifier: $(licence_of "$file")"
    temporary=$(mktemp "$file.spdx.XXXXXX")
    if [[ $(head -c 2 "$file") == '#!' ]]; then
        { head -n 1 "$file"; echo "$line"; tail -n +2 "$file"; } >"$temporary"
    else
        { echo "$line"; cat "$file"; } >"$temporary"
    fi
    chmod --reference="$file" "$temporary"
    mv "$temporary" "$file"
done < <(git ls-files -z -- "${@:-.}" | grep -zE '(\.(cpp|h|py|ts|tsx|js|mjs|sh|cmake)|(^|/)CMakeLists\.txt)$' || true)

if [[ $mode == check ]]; then
    [[ $missing -eq 0 ]] || { echo "spdx: $missing files without an SPDX-License-Identifier line" >&2; exit 1; }
    echo "spdx: every source file has an SPDX-License-Identifier line"
fi
