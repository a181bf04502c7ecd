# SPDX-License-Identifier: GPL-2.0-or-later
"""Camera tools: add, aim, change (active, lens, depth of field), frame everything."""

from __future__ import annotations

import math
from typing import Any

import bpy
from mathutils import Vector

from atelier_router.helpers import (VIEWPORT_CAMERA_NAME, get_object, look_at_rotation, rounded, scene,
                                    scene_objects, world_bounds)
from atelier_router.tools import ToolError, ToolResult


def _camera(name: str) -> bpy.types.Object:
    if name:
        return get_object(name, "CAMERA")
    camera = scene().camera
    if camera is None or camera.name == VIEWPORT_CAMERA_NAME:
        raise ToolError("the scene has no active camera; add one with add_camera")
    return camera


def _describe(obj: bpy.types.Object) -> dict[str, Any]:
    data = obj.data
    return {"name": obj.name, "location": rounded(obj.location),
            "rotation": rounded((math.degrees(a) for a in obj.rotation_euler), 2),
            "lens": round(data.lens, 2), "active": scene().camera == obj,
            "dof": data.dof.use_dof, "fstop": round(data.dof.aperture_fstop, 2),
            "focus_object": data.dof.focus_object.name if data.dof.focus_object else None,
            "focus_distance": round(data.dof.focus_distance, 3)}


def _target_point(target: str, point: list[float] | None) -> Vector | None:
    if target:
        obj = get_object(target)
        bounds = world_bounds([obj])
        return (bounds[0] + bounds[1]) / 2 if bounds else obj.matrix_world.translation.copy()
    return Vector(point) if point is not None else None


def add_camera(name: str = "Camera", location: list[float] | None = None, target: str = "",
               target_point: list[float] | None = None, lens: float = 50.0, set_active: bool = True) -> ToolResult:
    data = bpy.data.cameras.new(name or "Camera")
    data.lens = lens
    obj = bpy.data.objects.new(name or "Camera", data)
    scene().collection.objects.link(obj)
    obj.location = location if location is not None else [7.0, -7.0, 5.0]
    aim = _target_point(target, target_point)
    obj.rotation_euler = look_at_rotation(obj.location, aim if aim is not None else Vector((0, 0, 0)))
    if set_active:
        scene().camera = obj
    return ToolResult(text=f"added camera {obj.name}", data=_describe(obj))


def look_at(name: str = "", target: str = "", target_point: list[float] | None = None) -> ToolResult:
    obj = get_object(name) if name else _camera("")
    aim = _target_point(target, target_point)
    if aim is None:
        raise ToolError("give a target object or a target_point")
    obj.rotation_euler = look_at_rotation(obj.matrix_world.translation, aim)
    return ToolResult(text=f"{obj.name} looks at {rounded(aim)}")


def set_camera(name: str = "", active: bool | None = None, lens: float | None = None,
               depth_of_field: bool | None = None, focus_object: str | None = None,
               focus_distance: float | None = None, fstop: float | None = None) -> ToolResult:
    """The camera settings that were three tools (active camera, lens, depth of field); a focus or
    an aperture turns depth of field on unless ``depth_of_field`` says otherwise."""
    obj = _camera(name)
    changed: list[str] = []
    if active is True:
        scene().camera = obj
        changed.append("the render camera")
    elif active is False and scene().camera == obj:
        raise ToolError(f"{obj.name} stays the render camera until another is made active (active: true on it)")
    if lens is not None:
        obj.data.lens = lens
        changed.append(f"{lens} mm")
    dof = obj.data.dof
    if focus_object is not None:
        dof.focus_object = get_object(focus_object) if focus_object else None
    if focus_distance is not None:
        dof.focus_object = None if focus_object is None else dof.focus_object
        dof.focus_distance = focus_distance
    if fstop is not None:
        dof.aperture_fstop = fstop
    focus_given = bool(focus_object) or focus_distance is not None or fstop is not None
    if depth_of_field is not None or focus_given:
        dof.use_dof = depth_of_field if depth_of_field is not None else True
        changed.append(f"depth of field {'on' if dof.use_dof else 'off'}, f/{round(dof.aperture_fstop, 2)}"
                       + (f", focus on {dof.focus_object.name}" if dof.focus_object
                          else f", focus at {round(dof.focus_distance, 3)} m"))
    if not changed:
        raise ToolError("nothing to change: give active, lens, depth_of_field, focus_object, focus_distance or fstop")
    return ToolResult(text=f"{obj.name}: " + "; ".join(changed), data=_describe(obj))


def frame_all(name: str = "", margin: float = 1.1) -> ToolResult:
    """Move the camera back along its view direction until every object fits."""
    obj = _camera(name)
    bounds = world_bounds(o for o in scene_objects() if o.visible_get() and o.type not in {"CAMERA", "LIGHT"})
    if bounds is None:
        raise ToolError("there is nothing to frame")
    low, high = bounds
    center = (low + high) / 2
    radius = max((high - low).length / 2, 0.1) * margin
    render = scene().render
    aspect = render.resolution_x / max(1, render.resolution_y)
    data = obj.data
    half_fov = data.angle / 2
    if aspect < 1:  # sensor fit AUTO: the angle covers the larger side
        half_fov = math.atan(math.tan(half_fov) * aspect)
    else:
        half_fov = math.atan(math.tan(half_fov) / aspect)
    direction = obj.matrix_world.translation - center
    if direction.length < 1e-6:
        direction = Vector((1.0, -1.0, 0.7))
    direction.normalize()
    obj.location = center + direction * (radius / math.sin(half_fov))
    obj.rotation_euler = look_at_rotation(obj.location, center)
    data.clip_end = max(data.clip_end, (obj.location - center).length + radius * 2)
    return ToolResult(text=f"{obj.name} frames all objects from {rounded(obj.location)}", data=_describe(obj))


AI_COMMAND_HANDLERS = {
    "add_camera": add_camera,
    "look_at": look_at,
    "set_camera": set_camera,
    "frame_all": frame_all,
}
