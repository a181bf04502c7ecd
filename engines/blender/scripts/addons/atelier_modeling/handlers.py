# SPDX-License-Identifier: GPL-2.0-or-later
"""Modeling tools: primitives, text, modifiers, smooth/flat shading."""

from __future__ import annotations

import math
import os
import random
from typing import Any

import bpy
from mathutils import Vector

from atelier_router import compat
from atelier_router.helpers import (confined_path, euler_degrees, get_object, hex_to_linear, object_override,
                                    rounded, select_only)
from atelier_router.tools import ToolContext, ToolError, ToolResult

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


_BUILTIN_FONT = "Bfont"  # Blender's own font (3.x "Bfont", 4.x "Bfont Regular"), always there


def _font(ctx: ToolContext, font: str) -> bpy.types.VectorFont | None:
    """A font file (.ttf/.otf) from the project, or None for Blender's built-in font."""
    if not font:
        return None
    path = confined_path(ctx.workdir, font)
    if not os.path.isfile(path):
        raise ToolError(f"no font file {font!r} in the project (render__list_project_files kind=fonts lists them)")
    try:
        return bpy.data.fonts.load(path, check_existing=True)
    except RuntimeError as exc:
        raise ToolError(f"{font!r} is not a font Blender can read: {exc}") from None


def add_text(ctx: ToolContext, text: str, name: str = "", location: list[float] | None = None,
             rotation: list[float] | None = None, size: float = 1.0, extrude: float = 0.05, align: str = "center",
             vertical_align: str = "baseline", bevel_depth: float = 0.0, bevel_resolution: int = 2,
             font: str = "", color: str = "") -> ToolResult:
    curve = bpy.data.curves.new(name or "Text", type="FONT")
    curve.body = text
    curve.size = size
    curve.extrude = extrude
    curve.bevel_depth = bevel_depth
    curve.bevel_resolution = bevel_resolution
    curve.align_x = align.upper()
    curve.align_y = {"baseline": "BOTTOM_BASELINE", "top": "TOP", "center": "CENTER",
                     "bottom": "BOTTOM"}[vertical_align]
    loaded = _font(ctx, font)
    if loaded is not None:
        curve.font = loaded
    obj = bpy.data.objects.new(name or "Text", curve)
    bpy.context.scene.collection.objects.link(obj)
    select_only([obj])
    return _finish(obj, "", location or [0, 0, 0], rotation or [0, 0, 0], color)


def convert_to_mesh(name: str, keep_original: bool = False) -> ToolResult:
    """Text, curves and surfaces become meshes (modifiers then work); a mesh gets its modifiers applied."""
    obj = get_object(name)
    if obj.type not in {"MESH", "CURVE", "FONT", "SURFACE", "META"}:
        raise ToolError(f"{obj.name} is a {obj.type.lower()}; only text, curves, surfaces and meshes convert")
    select_only([obj])
    before = set(bpy.data.objects.keys())
    with object_override([obj]):
        bpy.ops.object.convert(target="MESH", keep_original=keep_original)
    created = sorted(set(bpy.data.objects.keys()) - before)
    result = bpy.data.objects[created[0]] if created else obj
    return ToolResult(text=f"{result.name} is now a mesh with {len(result.data.vertices)} vertices"
                           + (f" ({obj.name} kept)" if keep_original else ""),
                      data={"name": result.name, "vertices": len(result.data.vertices)})


def add_backdrop(name: str = "Backdrop", width: float = 10.0, depth: float = 8.0, height: float = 5.0,
                 radius: float = 1.5, location: list[float] | None = None, rotation_z: float = 0.0,
                 color: str = "#FFFFFF") -> ToolResult:
    """A seamless studio backdrop (cyclorama): a floor curving up into a wall behind, facing -Y."""
    if radius >= min(depth, height):
        raise ToolError(f"radius ({radius}) must be smaller than depth ({depth}) and height ({height})")
    # The profile in the YZ plane: the floor from the front edge, a quarter circle, the wall up.
    profile = [(-depth / 2, 0.0)]
    corner_y = depth / 2 - radius
    segments = 12
    for step in range(segments + 1):
        angle = -math.pi / 2 + (math.pi / 2) * step / segments
        profile.append((corner_y + radius * math.cos(angle), radius + radius * math.sin(angle)))
    profile.append((depth / 2, height))
    vertices = [(x, y, z) for x in (-width / 2, width / 2) for (y, z) in profile]
    count = len(profile)
    faces = [(i, count + i, count + i + 1, i + 1) for i in range(count - 1)]  # normals face the studio
    mesh = bpy.data.meshes.new(name)
    mesh.from_pydata(vertices, [], faces)
    mesh.polygons.foreach_set("use_smooth", [True] * len(mesh.polygons))
    mesh.update()
    obj = bpy.data.objects.new(name, mesh)
    bpy.context.scene.collection.objects.link(obj)
    select_only([obj])
    return _finish(obj, "", location or [0, 0, 0], [0, 0, rotation_z], color)


def add_modifier(name: str, modifier: str, levels: int = 2, width: float = 0.05, segments: int = 3,
                 count: int = 3, offset: list[float] | None = None, axis: str = "x", thickness: float = 0.1,
                 operation: str = "difference", cutter: str = "", hide_cutter: bool = True,
                 strength: float = 0.3, texture_scale: float = 1.0, simple: bool = False,
                 deform: str = "bend", angle: float = 45.0, factor: float = 0.5, direction: str = "normal",
                 seed: int = 0, falloff: str = "none") -> ToolResult:
    obj = get_object(name)
    if obj.type != "MESH":
        hint = " (modeling__convert_to_mesh turns it into one)" if obj.type in {"FONT", "CURVE", "SURFACE"} else ""
        raise ToolError(f"{obj.name} is a {obj.type.lower()}; modifiers here need a mesh{hint}")
    settings: dict[str, Any] = {}
    if modifier == "subdivision":
        mod = obj.modifiers.new("Subdivision", "SUBSURF")
        mod.levels = levels
        mod.render_levels = levels
        if simple and not compat.subdivision_simple(mod):
            obj.modifiers.remove(mod)
            raise ToolError(f"Blender {compat.version_string()} has no simple subdivision")
        settings = {"levels": levels, "simple": simple}
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
        mod.direction = direction.upper()
        if seed:
            # Textures have no seed; reading the noise through an offset hidden empty gives another pattern.
            generator = random.Random(seed)
            anchor = bpy.data.objects.new(f"{obj.name} displace seed", None)
            for collection in obj.users_collection:
                collection.objects.link(anchor)
            anchor.parent = obj
            anchor.location = [generator.uniform(-1000.0, 1000.0) for _ in range(3)]
            # Not hidden: a hidden object is left out of the depsgraph and its transform reads as
            # nowhere. Empties never render.
            anchor.empty_display_size = 0.1
            mod.texture_coords = "OBJECT"
            mod.texture_coords_object = anchor
        if falloff != "none":
            try:
                _add_falloff(obj, mod, falloff)
            except ToolError:
                obj.modifiers.remove(mod)
                raise
        settings = {"strength": strength, "texture_scale": texture_scale, "direction": direction, "seed": seed,
                    "falloff": falloff}
    elif modifier == "simple_deform":
        mod = obj.modifiers.new("SimpleDeform", "SIMPLE_DEFORM")
        mod.deform_method = deform.upper()
        mod.deform_axis = axis.upper()
        if deform in ("bend", "twist"):
            mod.angle = math.radians(angle)
        else:
            mod.factor = factor
        settings = {"deform": deform, "axis": axis, "angle": angle, "factor": factor}
    else:
        raise ToolError(f"unknown modifier {modifier!r}")
    return ToolResult(text=f"added {modifier} modifier {mod.name!r} to {obj.name}",
                      data={"object": obj.name, "modifier": mod.name, "settings": settings})


FALLOFF_MIN_VERTICES = 100


def _add_falloff(obj: bpy.types.Object, displace: bpy.types.Modifier, falloff: str) -> None:
    """Fade the displacement with the distance from the object's centre in XY through vertex
    weights: 'radial' is 1 at the centre and 0 at the rim (an island), 'edge' the other way round.

    The weights live on the mesh's own vertices (modifiers before the displacement interpolate
    them), so the mesh needs enough of them: a plane's four corners cannot fade. (A Vertex Weight
    Proximity modifier would work on the subdivided geometry, but on 3.4 it gave every vertex
    the same weight in headless tests.)"""
    vertices = obj.data.vertices
    if len(vertices) < FALLOFF_MIN_VERTICES:
        raise ToolError(f"falloff needs a mesh with at least {FALLOFF_MIN_VERTICES} vertices; {obj.name} has "
                        f"{len(vertices)}. Subdivide it first (add_modifier subdivision simple, then apply_modifier)")
    group = obj.vertex_groups.get("displace falloff") or obj.vertex_groups.new(name="displace falloff")
    corners = [Vector(corner) for corner in obj.bound_box]
    centre = sum(corners, Vector()) / 8
    reach = max(max(abs(c.x - centre.x), abs(c.y - centre.y)) for c in corners) or 1.0
    for vertex in vertices:
        t = min(1.0, (vertex.co - centre).xy.length / reach)
        weight = 1.0 - t * t * (3 - 2 * t)  # smoothstep: full in the middle, soft towards the rim
        group.add([vertex.index], weight if falloff == "radial" else 1.0 - weight, "REPLACE")
    displace.vertex_group = group.name


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
    "convert_to_mesh": convert_to_mesh,
    "add_backdrop": add_backdrop,
    "add_modifier": add_modifier,
    "remove_modifier": remove_modifier,
    "apply_modifier": apply_modifier,
    "shade": shade,
}
