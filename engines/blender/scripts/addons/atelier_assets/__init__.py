# SPDX-License-Identifier: GPL-2.0-or-later
"""atelier assets tools: the project's files in the scene.

Images as planes, as textures and as the camera's background; models from ``assets/`` placed
and sized. The tools are declared in addon_ai.json beside this file; AI_COMMAND_HANDLERS maps
each tool name to its handler in handlers.py.
"""

from __future__ import annotations

bl_info = {
    "name": "atelier assets",
    "author": "atelier",
    "version": (0, 1, 0),
    "blender": (3, 4, 0),
    "location": "AI tools (atelier)",
    "description": "Images as planes, textures and backgrounds; models from the project's assets",
    "category": "System",
}

from .handlers import AI_COMMAND_HANDLERS  # noqa: E402 - bl_info must be first for Blender's scanner


def register() -> None:
    """The tools need no Blender UI classes."""


def unregister() -> None:
    pass
