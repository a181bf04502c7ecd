#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Every npm dependency's licence is on the allowed list (scripts/licences.sh --check), and the
# check does fail on a lock file with packages that are not: GPL-3.0, an unknown licence, and
# the Remotion License outside the Remotion engine.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }

"$root/scripts/licences.sh" --check || fail "an npm dependency has a licence that is not allowed (listed above)"

if output=$("$root/scripts/licences.sh" --check-lock "web=$root/tests/licences/bad-lock.json" 2>&1); then
    fail "the check passed a lock file with GPL-3.0 and WTFPL packages: $output"
fi
for expected in "copyleft-widget@2.0.0" "left-pad@1.3.0" "remotion@4.0.529" "3 not allowed"; do
    grep -qF "$expected" <<<"$output" || fail "the check's output does not name $expected: $output"
done
grep -qF "either@" <<<"$output" && fail "(GPL-3.0-only OR MIT) allows MIT, yet it was refused: $output"
grep -qF "fine@" <<<"$output" && fail "MIT was refused: $output"
# The Remotion License is allowed in the Remotion engine's own lock.
"$root/scripts/licences.sh" --check-lock "engines/remotion=$root/engines/remotion/package-lock.json" >/dev/null ||
    fail "the Remotion engine's lock is refused"

[[ $failures -eq 0 ]] && echo "licences: ok"
exit $((failures > 0))
