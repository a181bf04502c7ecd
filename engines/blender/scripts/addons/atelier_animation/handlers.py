"""Animation tools: keyframes, turntable orbits, frame range and fps."""

from __future__ import annotations

import math

import bpy
from mathutils import Vector

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
    action = obj.animation_data.action
    for curve in action.fcurves:
        for point in curve.keyframe_points:
            if int(round(point.co[0])) == frame:
                point.interpolation = interpolation.upper()
    current = scene()
    if frame > current.frame_end:
        current.frame_end = frame
    return ToolResult(text=f"keyed {', '.join(channels)} of {obj.name} at frame {frame}")


def turntable(target: str = "", frames: int = 120, radius: float = 0.0, height: float = 0.0,
              camera: str = "", turns: float = 1.0) -> ToolResult:
    """Orbit the camera around a target once over ``frames`` frames, at constant speed."""
    current = scene()
    objects = [get_object(target)] if target else \
        [o for o in scene_objects() if o.type not in {"CAMERA", "LIGHT"} and o.visible_get()]
    bounds = world_bounds(objects)
    center = (bounds[0] + bounds[1]) / 2 if bounds else Vector((0, 0, 0))
    size = (bounds[1] - bounds[0]).length if bounds else 4.0
    cam = get_object(camera, "CAMERA") if camera else current.camera
    if cam is None:
        data = bpy.data.cameras.new("Camera")
        cam = bpy.data.objects.new("Camera", data)
        current.collection.objects.link(cam)
    current.camera = cam
    radius = radius if radius > 0 else max(size * 1.4, 2.0)
    height = height if height != 0 else radius * 0.35
    pivot = bpy.data.objects.get("Turntable Pivot")
    if pivot is None:
        pivot = bpy.data.objects.new("Turntable Pivot", None)
        current.collection.objects.link(pivot)
    pivot.location = center
    pivot.rotation_euler = (0, 0, 0)
    cam.parent = None
    cam.location = center + Vector((0.0, -radius, height))
    cam.rotation_euler = look_at_rotation(cam.location, center)
    cam.parent = pivot
    cam.matrix_parent_inverse = pivot.matrix_world.inverted()
    if pivot.animation_data:
        pivot.animation_data_clear()
    start = current.frame_start
    end = start + frames - 1
    pivot.rotation_euler = (0, 0, 0)
    pivot.keyframe_insert("rotation_euler", index=2, frame=start)
    # The last frame stops one step short of a full turn so the loop does not repeat a frame.
    pivot.rotation_euler = (0, 0, math.tau * turns * (frames - 1) / frames)
    pivot.keyframe_insert("rotation_euler", index=2, frame=end)
    for curve in pivot.animation_data.action.fcurves:
        for point in curve.keyframe_points:
            point.interpolation = "LINEAR"
    current.frame_end = end
    return ToolResult(text=f"{cam.name} orbits {target or 'the scene'} over frames {start}-{end}",
                      data={"camera": cam.name, "pivot": pivot.name, "frame_start": start, "frame_end": end})


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


def clear_animation(name: str) -> ToolResult:
    obj = get_object(name)
    obj.animation_data_clear()
    return ToolResult(text=f"removed the animation of {obj.name}")


AI_COMMAND_HANDLERS = {
    "keyframe_transform": keyframe_transform,
    "turntable": turntable,
    "set_frame_range": set_frame_range,
    "set_frame": set_frame,
    "clear_animation": clear_animation,
}
