# SPDX-License-Identifier: GPL-2.0-or-later
"""atelier_router: makes Blender an atelier engine.

Connects to the hub (engine protocol, DESIGN §4), publishes the tools that
enabled addons declare in their addon_ai.json, runs them on Blender's main
thread and streams viewport previews. Started by engines/blender/bootstrap.py.

The pure-Python modules (manifest, frame, protocol, tools) import without bpy
so they can be unit-tested with Debian's /usr/bin/python3.
"""

from __future__ import annotations

from typing import Any

bl_info = {
    "name": "atelier router",
    "author": "atelier",
    "version": (0, 1, 0),
    "blender": (3, 4, 0),
    "location": "headless: started by the atelier hub",
    "description": "Connects Blender to the atelier hub and routes AI tool calls to addons",
    "category": "System",
}


def _handlers() -> dict[str, Any]:
    from .router_tools import AI_COMMAND_HANDLERS as handlers
    return handlers


# A callable is accepted by the registry as well as a dict; it keeps bpy out of plain imports.
AI_COMMAND_HANDLERS = _handlers


def register() -> None:
    """Nothing to register in Blender's UI: the engine loop is started by bootstrap.py."""


def unregister() -> None:
    pass


def run(options: list[str] | None = None) -> int:
    """Serve the hub until shutdown; returns the process exit code.

    ``options`` are the engine kind's options (the command's arguments after ``--``)."""
    from .engine import run_from_environment
    return run_from_environment(options)
