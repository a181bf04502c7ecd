#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The tool list of docs/blender.md, generated from the addons' addon_ai.json manifests.

    engines/blender/tools_doc.py           rewrite the list in docs/blender.md
    engines/blender/tools_doc.py --check   exit 1 if the list differs from the manifests

The list sits between the two marker comments in docs/blender.md; the unit tests run
``--check``, so a manifest change without the regenerated doc fails the tests.
"""

from __future__ import annotations

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ADDONS_DIR = os.path.join(HERE, "scripts", "addons")
DOC = os.path.join(os.path.dirname(os.path.dirname(HERE)), "docs", "blender.md")
BEGIN = "<!-- tools:begin (generated from the manifests by engines/blender/tools_doc.py; do not edit) -->"
END = "<!-- tools:end -->"

sys.path.insert(0, ADDONS_DIR)
from atelier_router.manifest import qualified_tool_name, scan_addon_directories, tool_list  # noqa: E402


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def _notes(tool: dict) -> str:
    notes = []
    if tool.get("mutates") is False:
        notes.append("read-only")
    if tool.get("returns_image"):
        notes.append("returns image")
    return f" ({', '.join(notes)})" if notes else ""


def _parameters(tool: dict) -> str:
    names = [p["name"] + ("*" if p.get("required") else "") for p in tool.get("parameters") or []]
    if not names and isinstance(tool.get("input_schema"), dict):
        schema = tool["input_schema"]
        required = set(schema.get("required") or [])
        names = [name + ("*" if name in required else "") for name in (schema.get("properties") or {})]
    return ", ".join(names) or "—"


def generate() -> str:
    """The markdown between the markers: one table per first-party addon, the router first."""
    addons = [a for a in scan_addon_directories([ADDONS_DIR]) if a.valid]
    addons.sort(key=lambda a: (a.module != "atelier_router", a.addon_id))
    lines = [BEGIN, "", f"{sum(len(tool_list(a.manifest)) for a in addons)} tools in {len(addons)} addons. "
             "`*` marks required parameters. Units are metres, Z is up, rotations are degrees.", ""]
    for addon in addons:
        assert addon.manifest is not None
        description = addon.manifest["ai_integration"].get("agent_description", "")
        lines += [f"**{addon.addon_id}** (`{addon.module}`) — {_cell(description)}", "",
                  "| tool | what it does | parameters |", "|---|---|---|"]
        for tool in tool_list(addon.manifest):
            lines.append(f"| `{qualified_tool_name(addon.addon_id, tool['name'])}` | "
                         f"{_cell(tool.get('description', ''))}{_notes(tool)} | {_parameters(tool)} |")
        lines.append("")
    lines.append(END)
    return "\n".join(lines)


def splice(document: str, generated: str) -> str:
    start, end = document.find(BEGIN), document.find(END)
    if start < 0 or end < start:
        raise ValueError(f"{DOC} has no {BEGIN!r} … {END!r} section")
    return document[:start] + generated + document[end + len(END):]


def main(argv: list[str]) -> int:
    with open(DOC, encoding="utf-8") as handle:
        document = handle.read()
    updated = splice(document, generate())
    if "--check" in argv:
        if updated != document:
            print(f"{DOC}: the tool list is out of date; run engines/blender/tools_doc.py", file=sys.stderr)
            return 1
        return 0
    if updated != document:
        with open(DOC, "w", encoding="utf-8") as handle:
            handle.write(updated)
        print(f"updated {DOC}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
