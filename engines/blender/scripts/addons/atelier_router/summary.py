# SPDX-License-Identifier: GPL-2.0-or-later
"""The compact scene summary sent in ``scene/changed`` and tool results.

Keys go from what the whole scene is to its parts: the scene's own settings (current frame,
frame range, render engine, resolution, view transform), the world, the camera, the lights, the
project's asset files, the materials, the collections, then the objects. The hub cuts the summary
by that priority (src/agent/prompt.h), so the head survives a scene of hundreds of objects.
"""

from __future__ import annotations

import math
import os
from typing import Any

import bpy

from .helpers import VIEWPORT_CAMERA_NAME, linear_to_hex, rounded, scene, scene_objects

MAX_OBJECTS = 200
MAX_ASSETS = 40
ASSETS_DIR = "assets"
_RENDER_ENGINES = {"CYCLES": "cycles", "BLENDER_WORKBENCH": "workbench"}  # every other id is an Eevee


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
    # Where new objects land (the master collection, or the factory scene's "Collection") goes
    # unsaid: only a collection the object was put in says something.
    landing = (scene().collection, bpy.context.view_layer.active_layer_collection.collection)
    collections = [c.name for c in obj.users_collection if c not in landing]
    if collections:
        entry["collection"] = collections[0]
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


def _render_entry(current: bpy.types.Scene) -> dict[str, Any]:
    render = current.render
    scale = render.resolution_percentage / 100
    entry: dict[str, Any] = {
        "engine": _RENDER_ENGINES.get(render.engine, "eevee"),
        "resolution": [round(render.resolution_x * scale), round(render.resolution_y * scale)],
        "view_transform": current.view_settings.view_transform,
    }
    if current.view_settings.look not in ("None", ""):
        entry["look"] = current.view_settings.look
    if abs(current.view_settings.exposure) > 1e-6:
        entry["exposure"] = round(current.view_settings.exposure, 3)
    if render.film_transparent:
        entry["film_transparent"] = True
    return entry


def _material_entry(material: bpy.types.Material) -> dict[str, Any]:
    """Name and colour, and only the properties that differ from a plain Principled BSDF."""
    entry: dict[str, Any] = {"name": material.name, "color": linear_to_hex(material.diffuse_color)}
    node = next((n for n in material.node_tree.nodes if n.type == "BSDF_PRINCIPLED"), None) \
        if material.use_nodes and material.node_tree is not None else None
    if node is None:
        return entry
    defaults = {"metallic": (0.0, "Metallic"), "roughness": (0.5, "Roughness"),
                "transmission": (0.0, "Transmission Weight", "Transmission"), "alpha": (1.0, "Alpha")}
    color = node.inputs.get("Base Color")
    if color is not None and not color.is_linked:
        entry["color"] = linear_to_hex(color.default_value)
    for key, (default, *names) in defaults.items():
        socket = next((node.inputs[n] for n in names if node.inputs.get(n) is not None), None)
        if socket is not None and not socket.is_linked and abs(float(socket.default_value) - default) > 1e-3:
            entry[key] = round(float(socket.default_value), 3)
    # Blender 3.x defaults to strength 1 with a black colour, 4.x to strength 0 with white: only
    # a colour that is not black at a strength above 0 glows.
    emission = node.inputs.get("Emission Color") or node.inputs.get("Emission")
    strength = node.inputs.get("Emission Strength")
    if emission is not None and strength is not None and float(strength.default_value) > 0 \
            and max(emission.default_value[:3]) > 0:
        entry["emission"] = linear_to_hex(emission.default_value)
        entry["emission_strength"] = round(float(strength.default_value), 3)
    return entry


def _scene_materials(objects: list[bpy.types.Object]) -> list[bpy.types.Material]:
    """The materials the scene's objects use, in object order, then those kept for later (a fake
    user, as set_material without an object makes them)."""
    found: dict[str, bpy.types.Material] = {}
    for obj in objects:
        for slot in getattr(obj, "material_slots", []):
            if slot.material is not None:
                found.setdefault(slot.material.name, slot.material)
    for material in bpy.data.materials:
        if material.use_fake_user and not material.is_grease_pencil:
            found.setdefault(material.name, material)
    return list(found.values())


def project_assets(workdir: str | None) -> list[str]:
    """The files under the project's assets/ folder (paths relative to the project), sorted."""
    if not workdir:
        return []
    root = os.path.join(workdir, ASSETS_DIR)
    found: list[str] = []
    for directory, subdirectories, files in os.walk(root):
        subdirectories[:] = sorted(d for d in subdirectories if not d.startswith("."))
        found.extend(os.path.relpath(os.path.join(directory, name), workdir)
                     for name in files if not name.startswith("."))
    return sorted(found)


def scene_summary(workdir: str | None = None) -> dict[str, Any]:
    """The summary of the current scene; ``workdir`` (the project) for its asset files."""
    current = scene()
    objects = scene_objects()
    camera = current.camera if current.camera is not None and current.camera.name != VIEWPORT_CAMERA_NAME else None
    lights = [obj for obj in objects if obj.type == "LIGHT"]
    assets = project_assets(workdir)
    summary: dict[str, Any] = {
        "scene": current.name,
        "frame_current": current.frame_current,
        "frame_range": [current.frame_start, current.frame_end],
        "fps": round(current.render.fps / current.render.fps_base, 3),
        "render": _render_entry(current),
        "world": _world_entry(current.world),
        "camera": None,
        "lights": [
            {"name": light.name, "type": light.data.type.lower(), "energy": round(light.data.energy, 3),
             "color": linear_to_hex(light.data.color), "location": rounded(light.location)}
            for light in lights
        ],
        "assets": assets[:MAX_ASSETS],
        "materials": [_material_entry(m) for m in _scene_materials(objects)],
        "collections": [c.name for c in current.collection.children_recursive],
        "object_count": len(objects),
        "objects": [_object_entry(obj) for obj in objects[:MAX_OBJECTS]],
    }
    if len(assets) > MAX_ASSETS:
        summary["asset_count"] = len(assets)
    if len(objects) > MAX_OBJECTS:
        summary["truncated"] = True
    if camera is not None:
        summary["camera"] = {"name": camera.name, "location": rounded(camera.location),
                             "rotation": rounded((math.degrees(a) for a in camera.rotation_euler), 2),
                             "lens": round(camera.data.lens, 2) if camera.type == "CAMERA" else None}
        dof = camera.data.dof if camera.type == "CAMERA" else None
        if dof is not None and dof.use_dof:
            summary["camera"]["dof"] = {"fstop": round(dof.aperture_fstop, 2),
                                        "focus": dof.focus_object.name if dof.focus_object
                                        else round(dof.focus_distance, 3)}
    return summary
