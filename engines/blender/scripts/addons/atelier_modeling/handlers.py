"""Modeling tools: primitives, text, modifiers, smooth/flat shading."""

from __future__ import annotations

import math
from typing import Any

import bpy

from atelier_router.helpers import euler_degrees, get_object, hex_to_linear, rounded, select_only
from atelier_router.tools import ToolError, ToolResult

_PRIMITIVES = {
    "cube": lambda size: bpy.ops.mesh.primitive_cube_add(size=size),
    "uv_sphere": lambda size: bpy.ops.mesh.primitive_uv_sphere_add(radius=size / 2, segments=32, ring_count=16),
    "ico_sphere": lambda size: bpy.ops.mesh.primitive_ico_sphere_add(radius=size / 2, subdivisions=3),
    "cylinder": lambda size: bpy.ops.mesh.primitive_cylinder_add(radius=size / 2, depth=size, vertices=32),
    "cone": lambda size: bpy.ops.mesh.primitive_cone_add(radius1=size / 2, depth=size, vertices=32),
    "plane": lambda size: bpy.ops.mesh.primitive_plane_add(size=size),
    "torus": lambda size: bpy.ops.mesh.primitive_torus_add(major_radius=size * 0.375, minor_radius=size * 0.125),
    "monkey": lambda size: bpy.ops.mesh.primitive_monkey_add(size=size),
}


def _colour(obj: bpy.types.Object, color: str) -> None:
    """A simple Principled material in the given colour (the materials addon offers more)."""
    material = bpy.data.materials.new(f"{obj.name} colour")
    material.use_nodes = True
    node = material.node_tree.nodes.get("Principled BSDF")
    if node is not None:
        node.inputs["Base Color"].default_value = (*hex_to_linear(color), 1.0)
    material.diffuse_color = (*hex_to_linear(color), 1.0)
    obj.data.materials.clear()
    obj.data.materials.append(material)


def _finish(obj: bpy.types.Object, name: str, location: list[float], rotation: list[float],
            color: str) -> ToolResult:
    if name:
        obj.name = name
        if obj.data is not None:
            obj.data.name = name
    obj.location = location
    obj.rotation_euler = euler_degrees(rotation)
    if color:
        _colour(obj, color)
    bpy.context.view_layer.update()
    return ToolResult(text=f"added {obj.name} at {rounded(obj.location)}, size {rounded(obj.dimensions)}",
                      data={"name": obj.name, "dimensions": rounded(obj.dimensions)})


def add_primitive(shape: str, name: str = "", location: list[float] | None = None,
                  rotation: list[float] | None = None, size: float = 2.0, color: str = "") -> ToolResult:
    make = _PRIMITIVES.get(shape)
    if make is None:
        raise ToolError(f"unknown shape {shape!r}; use one of {', '.join(_PRIMITIVES)}")
    make(size)
    obj = bpy.context.view_layer.objects.active
    return _finish(obj, name, location or [0, 0, 0], rotation or [0, 0, 0], color)


def add_text(text: str, name: str = "", location: list[float] | None = None, rotation: list[float] | None = None,
             size: float = 1.0, extrude: float = 0.05, align: str = "center", color: str = "") -> ToolResult:
    curve = bpy.data.curves.new(name or "Text", type="FONT")
    curve.body = text
    curve.size = size
    curve.extrude = extrude
    curve.align_x = align.upper()
    obj = bpy.data.objects.new(name or "Text", curve)
    bpy.context.scene.collection.objects.link(obj)
    select_only([obj])
    return _finish(obj, "", location or [0, 0, 0], rotation or [0, 0, 0], color)


def add_modifier(name: str, modifier: str, levels: int = 2, width: float = 0.05, segments: int = 3,
                 count: int = 3, offset: list[float] | None = None, axis: str = "x", thickness: float = 0.1,
                 operation: str = "difference", cutter: str = "", hide_cutter: bool = True,
                 strength: float = 0.3, texture_scale: float = 1.0) -> ToolResult:
    obj = get_object(name)
    if obj.type != "MESH":
        raise ToolError(f"{obj.name} is a {obj.type.lower()}; modifiers here need a mesh")
    settings: dict[str, Any] = {}
    if modifier == "subdivision":
        mod = obj.modifiers.new("Subdivision", "SUBSURF")
        mod.levels = levels
        mod.render_levels = levels
        settings = {"levels": levels}
    elif modifier == "bevel":
        mod = obj.modifiers.new("Bevel", "BEVEL")
        mod.width = width
        mod.segments = segments
        settings = {"width": width, "segments": segments}
    elif modifier == "array":
        mod = obj.modifiers.new("Array", "ARRAY")
        mod.count = count
        mod.use_relative_offset = offset is None
        if offset is not None:
            mod.use_constant_offset = True
            mod.constant_offset_displace = offset
        settings = {"count": count, "offset": offset}
    elif modifier == "mirror":
        mod = obj.modifiers.new("Mirror", "MIRROR")
        mod.use_axis = [axis == "x", axis == "y", axis == "z"]
        settings = {"axis": axis}
    elif modifier == "solidify":
        mod = obj.modifiers.new("Solidify", "SOLIDIFY")
        mod.thickness = thickness
        settings = {"thickness": thickness}
    elif modifier == "boolean":
        if not cutter:
            raise ToolError("a boolean modifier needs a cutter object")
        other = get_object(cutter)
        if other == obj:
            raise ToolError("the cutter must be a different object")
        mod = obj.modifiers.new("Boolean", "BOOLEAN")
        mod.operation = operation.upper()
        mod.object = other
        if hide_cutter:
            other.hide_render = True
            other.hide_set(True)
        settings = {"cutter": other.name, "operation": operation}
    elif modifier == "displace":
        texture = bpy.data.textures.new(f"{obj.name} displace", type="CLOUDS")
        texture.noise_scale = texture_scale
        mod = obj.modifiers.new("Displace", "DISPLACE")
        mod.texture = texture
        mod.strength = strength
        settings = {"strength": strength, "texture_scale": texture_scale}
    else:
        raise ToolError(f"unknown modifier {modifier!r}")
    return ToolResult(text=f"added {modifier} modifier {mod.name!r} to {obj.name}",
                      data={"object": obj.name, "modifier": mod.name, "settings": settings})


def remove_modifier(name: str, modifier: str) -> ToolResult:
    obj = get_object(name)
    mod = obj.modifiers.get(modifier)
    if mod is None:
        raise ToolError(f"{obj.name} has no modifier {modifier!r}; it has: "
                        f"{', '.join(m.name for m in obj.modifiers) or 'none'}")
    obj.modifiers.remove(mod)
    return ToolResult(text=f"removed {modifier} from {obj.name}")


def apply_modifier(name: str, modifier: str) -> ToolResult:
    obj = get_object(name)
    if obj.modifiers.get(modifier) is None:
        raise ToolError(f"{obj.name} has no modifier {modifier!r}; it has: "
                        f"{', '.join(m.name for m in obj.modifiers) or 'none'}")
    select_only([obj])
    with bpy.context.temp_override(object=obj, active_object=obj):
        bpy.ops.object.modifier_apply(modifier=modifier)
    return ToolResult(text=f"applied {modifier} to {obj.name}")


def shade(name: str, mode: str = "smooth", auto_smooth_angle: float = 0.0) -> ToolResult:
    obj = get_object(name)
    if obj.type != "MESH":
        raise ToolError(f"{obj.name} is a {obj.type.lower()}, not a mesh")
    mesh = obj.data
    mesh.polygons.foreach_set("use_smooth", [mode == "smooth"] * len(mesh.polygons))
    if hasattr(mesh, "use_auto_smooth"):  # removed in Blender 4.1
        mesh.use_auto_smooth = auto_smooth_angle > 0
        if auto_smooth_angle > 0:
            mesh.auto_smooth_angle = math.radians(auto_smooth_angle)
    mesh.update()
    return ToolResult(text=f"{obj.name} is shaded {mode}")


AI_COMMAND_HANDLERS = {
    "add_primitive": add_primitive,
    "add_text": add_text,
    "add_modifier": add_modifier,
    "remove_modifier": remove_modifier,
    "apply_modifier": apply_modifier,
    "shade": shade,
}
