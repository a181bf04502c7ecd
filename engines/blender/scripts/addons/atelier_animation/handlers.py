# SPDX-License-Identifier: GPL-2.0-or-later
"""Animation tools: keyframes, turntable orbits, frame range and fps."""

from __future__ import annotations

import math

import bpy
from mathutils import Matrix, Vector

from atelier_router import compat
from atelier_router.helpers import euler_degrees, get_object, look_at_rotation, scene, scene_objects, world_bounds
from atelier_router.tools import ToolError, ToolResult


def keyframe_transform(name: str, frame: int, location: list[float] | None = None,
                       rotation: list[float] | None = None, scale: list[float] | None = None,
                       interpolation: str = "bezier") -> ToolResult:
    obj = get_object(name)
    channels = []
    if location is not None:
        obj.location = location
        channels.append("location")
    if rotation is not None:
        obj.rotation_euler = euler_degrees(rotation)
        channels.append("rotation_euler")
    if scale is not None:
        obj.scale = scale
        channels.append("scale")
    if not channels:  # key the current transform
        channels = ["location", "rotation_euler", "scale"]
    for channel in channels:
        obj.keyframe_insert(data_path=channel, frame=frame)
    # A key's interpolation shapes the motion *after* it, so the segment that ends at this key
    # takes it from the key before; both get it, and the whole segment moves as asked.
    for curve in compat.action_fcurves(obj):
        if curve.data_path not in channels:
            continue
        points = sorted(curve.keyframe_points, key=lambda point: point.co[0])
        for index, point in enumerate(points):
            if int(round(point.co[0])) == frame:
                point.interpolation = interpolation.upper()
                if index > 0:
                    points[index - 1].interpolation = interpolation.upper()
    current = scene()
    if frame > current.frame_end:
        current.frame_end = frame
    return ToolResult(text=f"keyed {', '.join(channels)} of {obj.name} at frame {frame}")


def turntable(target: str = "", frames: int = 120, radius: float = 0.0, height: float = 0.0,
              camera: str = "", turns: float = 1.0, targets: str = "", exclude: str = "",
              elevation: float | None = None, lens: float = 0.0) -> ToolResult:
    """Orbit the camera around the targets at constant speed: the camera is parented to an empty
    'Turntable Pivot' at the targets' centre, and the pivot turns about Z."""
    current = scene()
    names = [n for n in ([target] if target else []) + [n.strip() for n in targets.split(",")] if n.strip()]
    excluded = {n.strip() for n in exclude.split(",") if n.strip()}
    for name in excluded:
        get_object(name)  # unknown names are an error, not silently ignored
    if names:
        objects = [get_object(name) for name in names if name not in excluded]
    else:
        objects = [o for o in scene_objects() if o.type not in {"CAMERA", "LIGHT"} and o.visible_get()
                   and o.name != "Turntable Pivot" and o.name not in excluded]
    bounds = world_bounds(objects)
    center = (bounds[0] + bounds[1]) / 2 if bounds else Vector((0, 0, 0))
    size = (bounds[1] - bounds[0]).length if bounds else 4.0
    cam = get_object(camera, "CAMERA") if camera else current.camera
    if cam is None:
        data = bpy.data.cameras.new("Camera")
        cam = bpy.data.objects.new("Camera", data)
        current.collection.objects.link(cam)
    current.camera = cam
    if lens > 0:
        cam.data.lens = lens
    radius = radius if radius > 0 else max(size * 1.4 * cam.data.lens / 50.0, 2.0)
    if elevation is not None:
        horizontal = radius * math.cos(math.radians(elevation))
        height = radius * math.sin(math.radians(elevation))
    else:
        horizontal = radius
        height = height if height != 0 else radius * 0.35
    pivot = bpy.data.objects.get("Turntable Pivot")
    if pivot is None:
        pivot = bpy.data.objects.new("Turntable Pivot", None)
        current.collection.objects.link(pivot)
    pivot.location = center
    pivot.rotation_euler = (0, 0, 0)
    cam.parent = None
    cam.location = center + Vector((0.0, -horizontal, height))
    cam.rotation_euler = look_at_rotation(cam.location, center)
    cam.parent = pivot
    # The pivot's matrix_world is stale until the next depsgraph update; its transform is known.
    cam.matrix_parent_inverse = Matrix.Translation(center).inverted()
    if pivot.animation_data:
        pivot.animation_data_clear()
    start = current.frame_start
    end = start + frames - 1
    pivot.rotation_euler = (0, 0, 0)
    pivot.keyframe_insert("rotation_euler", index=2, frame=start)
    # The last frame stops one step short of a full turn so the loop does not repeat a frame.
    pivot.rotation_euler = (0, 0, math.tau * turns * (frames - 1) / frames)
    pivot.keyframe_insert("rotation_euler", index=2, frame=end)
    for curve in compat.action_fcurves(pivot):
        for point in curve.keyframe_points:
            point.interpolation = "LINEAR"
    current.frame_end = end
    bpy.context.view_layer.update()
    what = ", ".join(names) if names else "the scene"
    return ToolResult(text=f"{cam.name} orbits {what} over frames {start}-{end}, parented to the empty {pivot.name} "
                           f"(which turns; move or delete the pivot to undo the orbit)",
                      data={"camera": cam.name, "pivot": pivot.name, "frame_start": start, "frame_end": end})


def spin(name: str, axis: str = "z", turns: float = 1.0, frames: int = 120, start: int = 0,
         cyclic: bool = True) -> ToolResult:
    """Rotate an object about one of its axes at constant speed: ``turns`` turns over ``frames``
    frames; with ``cyclic`` the spin repeats before and after, so any frame range loops seamlessly."""
    obj = get_object(name)
    current = scene()
    first = start or current.frame_start
    index = "xyz".index(axis)
    if obj.rotation_mode != "XYZ" and len(obj.rotation_mode) != 3:
        obj.rotation_mode = "XYZ"  # quaternion or axis-angle objects spin through Euler angles
    base = obj.rotation_euler[index]
    # The key after the last frame holds the full turn, so frame first+frames repeats frame first.
    obj.rotation_euler[index] = base
    obj.keyframe_insert("rotation_euler", index=index, frame=first)
    obj.rotation_euler[index] = base + math.tau * turns
    obj.keyframe_insert("rotation_euler", index=index, frame=first + frames)
    obj.rotation_euler[index] = base
    curve = compat.find_fcurve(obj, "rotation_euler", index)
    for point in curve.keyframe_points:
        if first <= point.co[0] <= first + frames:
            point.interpolation = "LINEAR"
    for modifier in list(curve.modifiers):
        if modifier.type == "CYCLES":
            curve.modifiers.remove(modifier)
    if cyclic:
        cycles = curve.modifiers.new("CYCLES")
        cycles.mode_before = cycles.mode_after = "REPEAT_OFFSET"
    if first + frames - 1 > current.frame_end:
        current.frame_end = first + frames - 1
    return ToolResult(text=f"{obj.name} spins {turns} turn(s) about {axis.upper()} every {frames} frames from frame "
                           f"{first}" + (", repeating forever" if cyclic else ""),
                      data={"name": obj.name, "frame_start": first, "frames": frames, "cyclic": cyclic})


def set_frame_range(start: int = 1, end: int = 120, fps: int = 0) -> ToolResult:
    if end < start:
        raise ToolError(f"end ({end}) is before start ({start})")
    current = scene()
    current.frame_start = start
    current.frame_end = end
    if fps > 0:
        current.render.fps = fps
        current.render.fps_base = 1.0
    current.frame_set(start)
    return ToolResult(text=f"frames {start}-{end} at {current.render.fps} fps")


def set_frame(frame: int) -> ToolResult:
    scene().frame_set(frame)
    return ToolResult(text=f"current frame {frame}")


# Going to a frame changes what the viewport shows, not the document: no undo step and no version
# (the manifest says `mutates: false`), but a new frame, so that the studio's timeline can scrub and
# play (router engine.call_tool).
set_frame.atelier_redraws = True  # type: ignore[attr-defined]


def clear_animation(name: str) -> ToolResult:
    obj = get_object(name)
    obj.animation_data_clear()
    return ToolResult(text=f"removed the animation of {obj.name}")


AI_COMMAND_HANDLERS = {
    "keyframe_transform": keyframe_transform,
    "turntable": turntable,
    "spin": spin,
    "set_frame_range": set_frame_range,
    "set_frame": set_frame,
    "clear_animation": clear_animation,
}
