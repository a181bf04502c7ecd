# SPDX-License-Identifier: GPL-2.0-or-later
"""Shared bpy helpers for atelier's capability addons.

Every lookup by name fails with a :class:`ToolError` that names what was asked
for and what exists, so a model can correct its next call. Third-party addons
may use these too (``from atelier_router import helpers``).
"""

from __future__ import annotations

import math
import os
from typing import Any, Iterable, Sequence

import bpy
from mathutils import Euler, Vector

from .tools import ToolError

VIEWPORT_CAMERA_NAME = "atelier.viewport"


def scene() -> bpy.types.Scene:
    return bpy.context.scene


def _names_hint(names: Iterable[str], limit: int = 20) -> str:
    listed = sorted(names)
    if not listed:
        return "there are none"
    shown = ", ".join(repr(n) for n in listed[:limit])
    more = f" and {len(listed) - limit} more" if len(listed) > limit else ""
    return f"available: {shown}{more}"


def scene_objects() -> list[bpy.types.Object]:
    """Objects of the current scene, without atelier's own viewport camera."""
    return [obj for obj in scene().objects if obj.name != VIEWPORT_CAMERA_NAME]


def get_object(name: str, kind: str | None = None) -> bpy.types.Object:
    """The scene object called ``name`` (optionally of Blender type ``kind``)."""
    obj = scene().objects.get(name) if isinstance(name, str) else None
    if obj is None or obj.name == VIEWPORT_CAMERA_NAME:
        candidates = [o.name for o in scene_objects() if kind is None or o.type == kind]
        what = f"{kind.lower()} object" if kind else "object"
        raise ToolError(f"No {what} named {name!r} in the scene; {_names_hint(candidates)}")
    if kind is not None and obj.type != kind:
        raise ToolError(f"Object {name!r} is a {obj.type.lower()}, not a {kind.lower()}")
    return obj


def get_material(name: str) -> bpy.types.Material:
    material = bpy.data.materials.get(name)
    if material is None:
        raise ToolError(f"No material named {name!r}; {_names_hint(m.name for m in bpy.data.materials)}")
    return material


def get_collection(name: str) -> bpy.types.Collection:
    if name in ("", "Scene Collection"):
        return scene().collection
    collection = bpy.data.collections.get(name)
    if collection is None:
        raise ToolError(f"No collection named {name!r}; {_names_hint(c.name for c in bpy.data.collections)}")
    return collection


def parse_object_names(names: str) -> list[bpy.types.Object]:
    """Objects from a comma-separated list of names; every unknown name is reported at once."""
    wanted = [part.strip() for part in names.split(",") if part.strip()]
    if not wanted:
        raise ToolError("no object names given")
    missing = [n for n in wanted if scene().objects.get(n) is None]
    if missing:
        raise ToolError(f"No object named {', '.join(repr(n) for n in missing)} in the scene; "
                        f"{_names_hint(o.name for o in scene_objects())}")
    return [scene().objects[n] for n in wanted]


def vector(value: Sequence[float] | None, default: Sequence[float] = (0.0, 0.0, 0.0)) -> Vector:
    return Vector(value if value is not None else default)


def euler_degrees(value: Sequence[float]) -> Euler:
    return Euler([math.radians(v) for v in value], "XYZ")


def srgb_to_linear(channel: float) -> float:
    if channel <= 0.04045:
        return channel / 12.92
    return ((channel + 0.055) / 1.055) ** 2.4


def linear_to_srgb(channel: float) -> float:
    channel = max(0.0, min(1.0, channel))
    if channel <= 0.0031308:
        return channel * 12.92
    return 1.055 * channel ** (1 / 2.4) - 0.055


def hex_to_srgb(color: str) -> tuple[float, float, float]:
    """'#RRGGBB' to sRGB floats in 0..1 (what Blender's display colours take)."""
    text = color.lstrip("#")
    if len(text) != 6:
        raise ToolError(f"colour {color!r} is not in the form #RRGGBB")
    try:
        return tuple(int(text[i:i + 2], 16) / 255.0 for i in (0, 2, 4))  # type: ignore[return-value]
    except ValueError:
        raise ToolError(f"colour {color!r} is not in the form #RRGGBB") from None


def hex_to_linear(color: str) -> tuple[float, float, float]:
    """'#RRGGBB' (sRGB) to the linear RGB Blender's shader sockets and lights use."""
    return tuple(srgb_to_linear(c) for c in hex_to_srgb(color))  # type: ignore[return-value]


def linear_to_hex(rgb: Sequence[float]) -> str:
    return "#" + "".join(f"{round(linear_to_srgb(c) * 255):02X}" for c in rgb[:3])


def srgb_to_hex(rgb: Sequence[float]) -> str:
    return "#" + "".join(f"{round(max(0.0, min(1.0, c)) * 255):02X}" for c in rgb[:3])


def rounded(values: Iterable[float], digits: int = 3) -> list[float]:
    return [round(float(v), digits) + 0.0 for v in values]


def select_only(objects: Sequence[bpy.types.Object]) -> None:
    """Make exactly ``objects`` selected, the first one active."""
    for obj in scene().objects:
        obj.select_set(False)
    for obj in objects:
        obj.select_set(True)
    if objects:
        bpy.context.view_layer.objects.active = objects[0]


def ensure_object_mode() -> None:
    active = bpy.context.view_layer.objects.active
    if active is not None and active.mode != "OBJECT":
        bpy.ops.object.mode_set(mode="OBJECT")


def object_override(objects: Sequence[bpy.types.Object]) -> Any:
    """A context override for operators that act on the selected/active objects."""
    active = objects[0] if objects else None
    return bpy.context.temp_override(active_object=active, object=active,
                                     selected_objects=list(objects),
                                     selected_editable_objects=list(objects))


def confined_path(workdir: str, relative: str, default_dir: str = "") -> str:
    """An absolute path inside the working tree; rejects absolute paths, '..' and symlink escapes."""
    if not relative:
        raise ToolError("empty file path")
    if os.path.isabs(relative):
        raise ToolError(f"file path {relative!r} must be relative to the project folder")
    parts = relative.replace("\\", "/").split("/")
    if ".." in parts:
        raise ToolError(f"file path {relative!r} may not contain '..'")
    if default_dir and len(parts) == 1:
        relative = os.path.join(default_dir, relative)
    root = os.path.realpath(workdir)
    target = os.path.realpath(os.path.join(root, relative))
    if target != root and not target.startswith(root + os.sep):
        raise ToolError(f"file path {relative!r} leaves the project folder")
    os.makedirs(os.path.dirname(target), exist_ok=True)
    return target


def principled_input(node: bpy.types.Node, *names: str) -> bpy.types.NodeSocket | None:
    """The first input socket that exists among ``names`` (3.x and 4.x spell some differently)."""
    for name in names:
        socket = node.inputs.get(name)
        if socket is not None:
            return socket
    return None


def enum_identifiers(owner: Any, prop: str) -> list[str]:
    return [item.identifier for item in owner.bl_rna.properties[prop].enum_items]


def eevee_engine_id() -> str:
    """'BLENDER_EEVEE' up to 4.1 and in 5.x, 'BLENDER_EEVEE_NEXT' in 4.2-4.x (see compat)."""
    from . import compat
    return compat.eevee_engine_id()


def world_bounds(objects: Iterable[bpy.types.Object]) -> tuple[Vector, Vector] | None:
    """World-space axis-aligned bounds of the given objects' geometry (or origins)."""
    low = Vector((math.inf,) * 3)
    high = Vector((-math.inf,) * 3)
    found = False
    for obj in objects:
        if obj.type in {"MESH", "CURVE", "SURFACE", "FONT", "META"}:
            points = [obj.matrix_world @ Vector(corner) for corner in obj.bound_box]
        elif obj.type in {"CAMERA", "LIGHT"}:
            continue
        else:
            points = [obj.matrix_world.translation]
        for point in points:
            found = True
            for axis in range(3):
                low[axis] = min(low[axis], point[axis])
                high[axis] = max(high[axis], point[axis])
    return (low, high) if found else None


def look_at_rotation(source: Vector, target: Vector) -> Euler:
    direction = target - source
    if direction.length < 1e-9:
        direction = Vector((0.0, 0.0, -1.0))
    return direction.to_track_quat("-Z", "Y").to_euler()
