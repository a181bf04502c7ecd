#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The licences of every npm and Debian dependency, and whether each fits atelier's licences
# (Apache-2.0 for the hub, web app and Remotion engine; GPL-2.0-or-later for the Blender addons).
#   scripts/licences.sh              regenerate docs/licences.md
#   scripts/licences.sh --check      fail listing every npm package whose licence is not allowed
#   scripts/licences.sh --check-lock DIR=LOCKFILE...   the same for the given lock files (tests)
# npm: from each package-lock.json (lockfile v3 records every installed package's licence, so no
# node_modules is needed); "SEE LICENSE IN …" and missing fields are resolved from node_modules
# when installed, else from the table of known packages below. Debian: the packages
# scripts/deps.sh installs, each licence from /usr/share/doc/<package>/copyright (DEP-5 "Files: *").
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
exec /usr/bin/python3 - "$root" "$@" <<'PYTHON'
import json, os, re, subprocess, sys

root = sys.argv[1]
args = sys.argv[2:]

# Where each lock's packages end up: shipped (in web/dist's bundle or installed with the engine)
# or only installed by the tests.
NPM_DIRS = {
    "web": "shipped: bundled into web/dist",
    "engines/remotion": "shipped: installed with the engine (node_modules)",
    "engines/remotion/template": "shipped: a new Remotion project's dependencies",
    "tests/mcp_clients": "tests only: never installed or shipped",
    "tests/mcp_sdk": "tests only: never installed or shipped",
}
PERMISSIVE = {"MIT", "ISC", "BSD-2-Clause", "BSD-3-Clause", "0BSD", "Apache-2.0", "Unlicense", "CC0-1.0",
              "BlueOak-1.0.0", "Python-2.0", "CC-BY-4.0", "Zlib", "BSL-1.0"}
# Weak copyleft per file: using the packages unmodified as libraries imposes nothing on our code.
WEAK_COPYLEFT = {"MPL-2.0"}
ALLOWED = PERMISSIVE | WEAK_COPYLEFT
# Packages whose lock entry says "SEE LICENSE IN …" or nothing, when node_modules is not at hand.
KNOWN = [
    (re.compile(r"^(remotion|@remotion/.*)$"), "Remotion License"),
    (re.compile(r"^@anthropic-ai/claude-code(-.*)?$"), "Anthropic commercial terms"),
    (re.compile(r"^@modelcontextprotocol/inspector$"), "SEE LICENSE IN LICENSE"),
]
# Allowed only where the note says why.
CONDITIONAL = {
    "Remotion License": ("engines/remotion", "source-available; free for individuals and companies of up to "
                         "3 people, others need Remotion's company licence (docs/remotion.md)"),
    "Anthropic commercial terms": ("tests/", "Claude Code, a test-only client (tests/mcp_clients); not shipped"),
    "SEE LICENSE IN LICENSE": ("tests/", "a test-only tool whose lock entry names no licence; not shipped"),
}


def resolve(directory, path, name, licence):
    if isinstance(licence, dict):
        licence = licence.get("type")
    if licence and not licence.startswith("SEE LICENSE"):
        return licence.replace("Remotion License https://remotion.dev/license", "Remotion License")
    for pattern, known in KNOWN:
        if pattern.match(name):
            return known
    manifest = os.path.join(root, directory, path, "package.json")
    if os.path.exists(manifest):
        with open(manifest, encoding="utf-8") as handle:
            found = json.load(handle).get("license")
        if found and not str(found).startswith("SEE LICENSE"):
            return found
    return licence or "none given"


def allowed(directory, licence):
    """(ok, verdict) for one licence expression in one npm directory."""
    expression = licence.strip("()")
    if " OR " in expression:
        results = [allowed(directory, part) for part in expression.split(" OR ")]
        good = [verdict for ok, verdict in results if ok]
        return (True, good[0]) if good else results[0]
    if " AND " in expression:
        results = [allowed(directory, part) for part in expression.split(" AND ")]
        bad = [verdict for ok, verdict in results if not ok]
        return (False, bad[0]) if bad else (True, results[0][1])
    if expression in PERMISSIVE:
        return True, "compatible (permissive)"
    if expression in WEAK_COPYLEFT:
        return True, "compatible (file-level copyleft; used unmodified)"
    if expression in CONDITIONAL:
        where, note = CONDITIONAL[expression]
        if directory.startswith(where):
            return True, "allowed: " + note
    return False, f"NOT ALLOWED: {expression} is not on the allowed list (scripts/licences.sh)"


def npm_packages(directory, lock_path):
    with open(lock_path, encoding="utf-8") as handle:
        lock = json.load(handle)
    for path, entry in sorted(lock.get("packages", {}).items()):
        if not path or entry.get("link"):
            continue
        name = entry.get("name") or path.rsplit("node_modules/", 1)[-1]
        licence = resolve(directory, path, name, entry.get("license"))
        ok, verdict = allowed(directory, licence)
        yield {"name": name, "version": entry.get("version", ""), "licence": licence, "ok": ok, "verdict": verdict,
               "dev": entry.get("dev", False), "optional": entry.get("optional", False)}


def check(locks):
    bad = []
    count = 0
    for directory, lock_path in locks:
        for package in npm_packages(directory, lock_path):
            count += 1
            if not package["ok"]:
                bad.append(f"{directory}: {package['name']}@{package['version']}: {package['verdict']}")
    for line in bad:
        print(line, file=sys.stderr)
    print(f"licences: {count} npm packages checked, {len(bad)} not allowed")
    return 1 if bad else 0


def default_locks():
    return [(d, os.path.join(root, d, "package-lock.json")) for d in NPM_DIRS
            if os.path.exists(os.path.join(root, d, "package-lock.json"))]


if args[:1] == ["--check"]:
    sys.exit(check(default_locks()))
if args[:1] == ["--check-lock"]:
    sys.exit(check([tuple(item.split("=", 1)) for item in args[1:]]))
if args:
    sys.exit("usage: scripts/licences.sh [--check | --check-lock DIR=LOCKFILE...]")

# --- Debian packages: what the hub links, the programs it runs, and the tools to build and test.
ROLES = {
    "linked": "linked into the hub",
    "program": "a separate program the hub or an engine runs",
    "addon": "imported by the Blender addons inside Blender (GPL-2.0-or-later)",
    "tool": "build or test tool; nothing of it is shipped",
}
DEBIAN = {
    "libboost1.81-dev": "linked", "nlohmann-json3-dev": "linked", "libexpected-dev": "linked",
    "libspdlog-dev": "linked", "libfmt-dev": "linked", "libcli11-dev": "linked", "libtomlplusplus-dev": "linked",
    "libssl-dev": "linked", "zlib1g-dev": "linked", "libvalijson-dev": "linked", "libsqlite3-dev": "linked",
    "libpq-dev": "linked", "libgit2-dev": "linked", "libsodium-dev": "linked",
    "blender": "program", "python3-websockets": "addon", "python3-numpy": "addon", "bubblewrap": "program",
    "chromium": "program", "nodejs": "program", "ffmpeg": "program", "git": "program",
    "g++": "tool", "cmake": "tool", "make": "tool", "pkg-config": "tool", "ccache": "tool", "clang-format": "tool",
    "curl": "tool", "libgtest-dev": "tool", "libgmock-dev": "tool", "libbenchmark-dev": "tool", "procps": "tool",
    "postgresql": "program", "clang": "tool", "libclang-rt-14-dev": "tool", "debootstrap": "tool",
}
# Where the copyright file's "Files: *" stanza does not name the licence of what we use.
DEBIAN_OVERRIDES = {
    "nodejs": "Expat (MIT)",
    "libtomlplusplus-dev": "Expat (MIT)",
    "postgresql": "PostgreSQL (the server; GPL-2+ covers only Debian's packaging scripts)",
    "libsqlite3-dev": "public-domain",
}
PERMISSIVE_DEBIAN = re.compile(r"^(BSL-1\.0|Expat|MIT|CC0-1\.0|BSD|ISC|Zlib|Apache-2\.0|PostgreSQL|public-domain)",
                               re.I)


def debian_licence(package):
    if package in DEBIAN_OVERRIDES:
        return DEBIAN_OVERRIDES[package]
    path = f"/usr/share/doc/{package}/copyright"
    if not os.path.exists(path):
        return "not installed here (see its copyright file)"
    with open(path, encoding="utf-8", errors="replace") as handle:
        text = handle.read()
    stanza = re.search(r"^Files: \*\s*$(.*?)(?:^\s*$|\Z)", text, re.M | re.S)
    found = re.search(r"^License:[ \t]*(\S.*)$", stanza.group(1) if stanza else text, re.M)
    return found.group(1).strip() if found else "see /usr/share/doc/%s/copyright" % package


def debian_verdict(package, role, licence):
    if role == "addon":
        return "compatible (permissive, GPL-compatible)" if PERMISSIVE_DEBIAN.match(licence) else \
            "CHECK: must be GPL-2.0-or-later compatible"
    if role == "tool":
        return "compatible (not shipped; a compiler's output is ours: GCC runtime exception)" if package == "g++" \
            else "compatible (not shipped)"
    if role == "program":
        return "compatible (a separate program: run over exec, pipes and sockets, not linked)"
    if "linking exception" in licence:
        return "compatible (GPL with a linking exception permits linking into any program)"
    if PERMISSIVE_DEBIAN.match(licence):
        return "compatible (permissive)"
    return "CHECK: a copyleft licence linked into the hub"


out = ["# Licences of atelier's dependencies", "",
       "Generated by `scripts/licences.sh` from the npm lock files and Debian's copyright files; run it",
       "again after changing a dependency. `scripts/licences.sh --check` (ctest `licences_npm`) fails when an",
       "npm package's licence is not on its allowed list.", "",
       "atelier itself: the hub, the web app and the Remotion engine are Apache-2.0 ([LICENSE](../LICENSE));",
       "the Blender addons and bootstrap (`engines/blender`) are GPL-2.0-or-later",
       "([engines/blender/LICENSE](../engines/blender/LICENSE)). The addons run inside Blender (GPL-2.0-or-later)",
       "and talk to the hub over a WebSocket: separate programs, so the hub's licence need not be the",
       "addons'. (Apache-2.0 code cannot be combined into one program with GPL-2.0-only code; nothing here",
       "does that, and GPL-2.0-or-later code may be combined under GPL-3.0, which accepts Apache-2.0.)", "",
       "Allowed npm licences: " + ", ".join(sorted(ALLOWED)) + "; `Remotion License` in the Remotion engine",
       "(a company licence for companies of more than 3 people: [remotion.md](remotion.md)); test-only tools",
       "under their own terms in `tests/`.", ""]

out += ["## Debian packages", "", "Installed by `scripts/deps.sh` (and `scripts/blender_versions.sh` for the Blender roots).", "",
        "| package | licence | how atelier uses it | verdict |", "|---|---|---|---|"]
for package, role in DEBIAN.items():
    licence = debian_licence(package)
    out.append(f"| {package} | {licence} | {ROLES[role]} | {debian_verdict(package, role, licence)} |")
out.append("")

for directory, lock_path in default_locks():
    packages = list(npm_packages(directory, lock_path))
    counts = {}
    for package in packages:
        counts[package["licence"]] = counts.get(package["licence"], 0) + 1
    out += [f"## npm: {directory} ({NPM_DIRS[directory]})", "",
            f"{len(packages)} packages: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items(), key=lambda i: -i[1])) + ".", "",
            "| package | version | licence | verdict |", "|---|---|---|---|"]
    for package in packages:
        flags = " (dev)" if package["dev"] else ""
        out.append(f"| {package['name']}{flags} | {package['version']} | {package['licence']} | {package['verdict']} |")
    out.append("")

with open(os.path.join(root, "docs", "licences.md"), "w", encoding="utf-8") as handle:
    handle.write("\n".join(out))
print("licences: wrote docs/licences.md")
PYTHON
