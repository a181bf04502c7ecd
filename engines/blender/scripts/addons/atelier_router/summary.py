# SPDX-License-Identifier: GPL-2.0-or-later
"""The compact scene summary sent in ``scene/changed`` and tool results."""

from __future__ import annotations

import math
from typing import Any

import bpy

from .helpers import VIEWPORT_CAMERA_NAME, linear_to_hex, rounded, scene, scene_objects

MAX_OBJECTS = 200


def _object_entry(obj: bpy.types.Object) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "name": obj.name,
        "type": obj.type.lower(),
        "location": rounded(obj.location),
        "rotation": rounded((math.degrees(a) for a in obj.rotation_euler), 2),
        "scale": rounded(obj.scale),
        "dimensions": rounded(obj.dimensions),
    }
    material = obj.active_material if obj.type in {"MESH", "CURVE", "FONT", "SURFACE", "META"} else None
    entry["material"] = material.name if material is not None else None
    if obj.parent is not None:
        entry["parent"] = obj.parent.name
    if not obj.visible_get():
        entry["hidden"] = True
    if obj.animation_data is not None and obj.animation_data.action is not None:
        entry["animated"] = True
    modifiers = [m.type.lower() for m in getattr(obj, "modifiers", [])]
    if modifiers:
        entry["modifiers"] = modifiers
    return entry


def _world_entry(world: bpy.types.World | None) -> dict[str, Any] | None:
    if world is None:
        return None
    entry: dict[str, Any] = {"name": world.name, "color": linear_to_hex(world.color)}
    if world.use_nodes and world.node_tree is not None:
        background = world.node_tree.nodes.get("Background")
        if background is not None:
            entry["strength"] = round(background.inputs["Strength"].default_value, 3)
            if not background.inputs["Color"].is_linked:
                entry["color"] = linear_to_hex(background.inputs["Color"].default_value)
            else:
                entry["sky"] = True
    return entry


def scene_summary() -> dict[str, Any]:
    current = scene()
    objects = scene_objects()
    camera = current.camera if current.camera is not None and current.camera.name != VIEWPORT_CAMERA_NAME else None
    lights = [obj for obj in objects if obj.type == "LIGHT"]
    summary: dict[str, Any] = {
        "scene": current.name,
        "object_count": len(objects),
        "objects": [_object_entry(obj) for obj in objects[:MAX_OBJECTS]],
        "camera": None,
        "lights": [
            {"name": light.name, "type": light.data.type.lower(), "energy": round(light.data.energy, 3),
             "color": linear_to_hex(light.data.color), "location": rounded(light.location)}
            for light in lights
        ],
        "frame_range": [current.frame_start, current.frame_end],
        "fps": round(current.render.fps / current.render.fps_base, 3),
        "world": _world_entry(current.world),
        "collections": [c.name for c in current.collection.children_recursive],
    }
    if len(objects) > MAX_OBJECTS:
        summary["truncated"] = True
    if camera is not None:
        summary["camera"] = {"name": camera.name, "location": rounded(camera.location),
                             "rotation": rounded((math.degrees(a) for a in camera.rotation_euler), 2),
                             "lens": round(camera.data.lens, 2) if camera.type == "CAMERA" else None}
    return summary
