# SPDX-License-Identifier: GPL-2.0-or-later
"""Asset tools: the project's images and models in the scene.

Images are packed into the .blend: a session's working tree is a fresh checkout each time, so a
path that points into the previous one would break; a packed image travels with scene.blend.
"""

from __future__ import annotations

import os
from typing import Any

import bpy
from mathutils import Vector

from atelier_router.helpers import (confined_path, euler_degrees, get_object, hex_to_linear, principled_input,
                                    rounded, scene, world_bounds)
from atelier_router.tools import ToolContext, ToolError, ToolResult

ASSETS_DIR = "assets"
_MODEL_EXTENSIONS = (".glb", ".gltf", ".fbx", ".obj", ".stl")


def _project_file(ctx: ToolContext, relative: str, what: str) -> str:
    """A file of the project; a bare name is looked up in assets/ first, then at the top."""
    path = confined_path(ctx.workdir, relative, default_dir=ASSETS_DIR)
    if not os.path.isfile(path) and "/" not in relative.replace("\\", "/"):
        path = confined_path(ctx.workdir, relative)
    if not os.path.isfile(path):
        raise ToolError(f"no {what} {relative!r} in the project (render__list_project_files lists its files)")
    return path


def _load_image(ctx: ToolContext, relative: str) -> bpy.types.Image:
    path = _project_file(ctx, relative, "image")
    try:
        image = bpy.data.images.load(path, check_existing=True)
    except RuntimeError as exc:
        raise ToolError(f"{relative!r} is not an image Blender can read: {exc}") from None
    if image.size[0] == 0 or image.size[1] == 0:
        raise ToolError(f"{relative!r} has no pixels Blender can read")
    if image.packed_file is None:
        image.pack()
    return image


def _new_material(name: str) -> tuple[bpy.types.Material, Any]:
    material = bpy.data.materials.new(name)
    material.use_nodes = True
    return material, material.node_tree


def _transparent_blend(material: bpy.types.Material) -> None:
    """Eevee shows alpha only with a blend mode (3.x/4.1: blend_method; 4.2+: the render method)."""
    if hasattr(material, "surface_render_method"):
        material.surface_render_method = "DITHERED"
    elif hasattr(material, "blend_method"):
        material.blend_method = "HASHED"
    if hasattr(material, "shadow_method"):
        material.shadow_method = "HASHED"


def _image_material(name: str, image: bpy.types.Image, emit: bool) -> bpy.types.Material:
    material, tree = _new_material(name)
    nodes, links = tree.nodes, tree.links
    texture = nodes.new("ShaderNodeTexImage")
    texture.image = image
    texture.extension = "CLIP"
    output = next(n for n in nodes if n.type == "OUTPUT_MATERIAL")
    if emit:
        for node in [n for n in nodes if n.type == "BSDF_PRINCIPLED"]:
            nodes.remove(node)
        emission = nodes.new("ShaderNodeEmission")
        transparent = nodes.new("ShaderNodeBsdfTransparent")
        mix = nodes.new("ShaderNodeMixShader")
        links.new(texture.outputs["Color"], emission.inputs["Color"])
        links.new(texture.outputs["Alpha"], mix.inputs["Fac"])
        links.new(transparent.outputs["BSDF"], mix.inputs[1])
        links.new(emission.outputs["Emission"], mix.inputs[2])
        links.new(mix.outputs["Shader"], output.inputs["Surface"])
    else:
        bsdf = next(n for n in nodes if n.type == "BSDF_PRINCIPLED")
        links.new(texture.outputs["Color"], principled_input(bsdf, "Base Color"))
        links.new(texture.outputs["Alpha"], principled_input(bsdf, "Alpha"))
    _transparent_blend(material)
    return material


def image_plane(ctx: ToolContext, image: str, name: str = "", location: list[float] | None = None,
                rotation: list[float] | None = None, height: float = 2.0, emit: bool = False) -> ToolResult:
    loaded = _load_image(ctx, image)
    width_px, height_px = loaded.size
    width = height * width_px / height_px
    name = name or os.path.splitext(os.path.basename(image))[0]
    mesh = bpy.data.meshes.new(name)
    half_w, half_h = width / 2, height / 2
    mesh.from_pydata([(-half_w, -half_h, 0), (half_w, -half_h, 0), (half_w, half_h, 0), (-half_w, half_h, 0)], [],
                     [(0, 1, 2, 3)])
    uv_layer = mesh.uv_layers.new(name="UVMap")
    for loop, uv in zip(mesh.polygons[0].loop_indices, ((0, 0), (1, 0), (1, 1), (0, 1))):
        uv_layer.data[loop].uv = uv
    mesh.update()
    obj = bpy.data.objects.new(name, mesh)
    scene().collection.objects.link(obj)
    obj.location = location if location is not None else [0.0, 0.0, 1.0]
    obj.rotation_euler = euler_degrees(rotation if rotation is not None else [90, 0, 0])
    obj.data.materials.append(_image_material(name, loaded, emit))
    return ToolResult(
        text=f"added {obj.name}: {os.path.basename(image)} ({width_px}x{height_px} px) on a "
             f"{width:.3g} x {height:.3g} m plane{' (shadeless)' if emit else ''}",
        data={"name": obj.name, "image": image, "pixels": [width_px, height_px], "size": rounded([width, height]),
              "location": rounded(obj.location), "material": obj.data.materials[0].name})


def image_texture(ctx: ToolContext, object: str, image: str, projection: str = "uv",  # noqa: A002 - the tool's word
                  repeat: float = 1.0) -> ToolResult:
    target = get_object(object)
    if target.type not in {"MESH", "CURVE", "SURFACE", "FONT", "META"}:
        raise ToolError(f"{object!r} is a {target.type.lower()}, which has no surface to texture")
    loaded = _load_image(ctx, image)
    material = target.active_material
    if material is None or material.users > 1:
        # Its own material: texturing one object must not repaint others that share it.
        material = material.copy() if material is not None else _new_material(f"{target.name} texture")[0]
        if target.data.materials:
            target.data.materials[target.active_material_index] = material
        else:
            target.data.materials.append(material)
    material.use_nodes = True
    nodes, links = material.node_tree.nodes, material.node_tree.links
    bsdf = next((n for n in nodes if n.type == "BSDF_PRINCIPLED"), None)
    if bsdf is None:
        raise ToolError(f"material {material.name!r} has no Principled BSDF to put the image on")
    texture = next((n for n in nodes if n.type == "TEX_IMAGE" and n.label == "atelier image"), None) \
        or nodes.new("ShaderNodeTexImage")
    texture.label = "atelier image"
    texture.image = loaded
    texture.projection = "BOX" if projection == "box" else "FLAT"
    texture.projection_blend = 0.2
    coordinates = next((n for n in nodes if n.type == "TEX_COORD"), None) or nodes.new("ShaderNodeTexCoord")
    mapping = next((n for n in nodes if n.type == "MAPPING"), None) or nodes.new("ShaderNodeMapping")
    mapping.inputs["Scale"].default_value = (repeat, repeat, repeat)
    links.new(coordinates.outputs["Object" if projection == "box" else "UV"], mapping.inputs["Vector"])
    links.new(mapping.outputs["Vector"], texture.inputs["Vector"])
    links.new(texture.outputs["Color"], principled_input(bsdf, "Base Color"))
    return ToolResult(text=f"{target.name} shows {os.path.basename(image)} ({projection}, repeated {repeat:g}x)",
                      data={"object": target.name, "material": material.name, "image": image,
                            "pixels": list(loaded.size), "projection": projection})


def image_background(ctx: ToolContext, image: str, strength: float = 1.0, light_color: str = "#404040") -> ToolResult:
    loaded = _load_image(ctx, image)
    current = scene()
    world = bpy.data.worlds.new("Image Background")
    world.use_nodes = True
    current.world = world
    nodes, links = world.node_tree.nodes, world.node_tree.links
    nodes.clear()
    # The light background first: lighting__set_world and hdri_world change the first one they find,
    # so they change the scene's light and leave the picture the camera sees.
    light = nodes.new("ShaderNodeBackground")
    light.inputs["Color"].default_value = (*hex_to_linear(light_color), 1.0)
    shown = nodes.new("ShaderNodeBackground")
    shown.inputs["Strength"].default_value = strength
    coordinates = nodes.new("ShaderNodeTexCoord")
    texture = nodes.new("ShaderNodeTexImage")
    texture.image = loaded
    texture.extension = "EXTEND"
    path = nodes.new("ShaderNodeLightPath")
    mix = nodes.new("ShaderNodeMixShader")
    output = nodes.new("ShaderNodeOutputWorld")
    links.new(coordinates.outputs["Window"], texture.inputs["Vector"])
    links.new(texture.outputs["Color"], shown.inputs["Color"])
    links.new(path.outputs["Is Camera Ray"], mix.inputs["Fac"])
    links.new(light.outputs["Background"], mix.inputs[1])
    links.new(shown.outputs["Background"], mix.inputs[2])
    links.new(mix.outputs["Shader"], output.inputs["Surface"])
    world.color = hex_to_linear(light_color)  # what Workbench previews show
    return ToolResult(text=f"the camera sees {os.path.basename(image)} behind the scene; the world lights it "
                           f"{light_color}",
                      data={"world": world.name, "image": image, "pixels": list(loaded.size)})


def _import_file(path: str) -> None:
    extension = os.path.splitext(path)[1].lower()
    if extension in (".glb", ".gltf"):
        bpy.ops.import_scene.gltf(filepath=path)
    elif extension == ".fbx":
        bpy.ops.import_scene.fbx(filepath=path)
    elif extension == ".obj":
        if "obj_import" in dir(bpy.ops.wm):
            bpy.ops.wm.obj_import(filepath=path)
        else:
            bpy.ops.import_scene.obj(filepath=path)
    elif "stl_import" in dir(bpy.ops.wm):  # Blender 4.2+
        bpy.ops.wm.stl_import(filepath=path)
    else:
        bpy.ops.import_mesh.stl(filepath=path)


def place_model(ctx: ToolContext, file: str, location: list[float] | None = None, size: float = 0.0,
                name: str = "") -> ToolResult:
    if not file.lower().endswith(_MODEL_EXTENSIONS):
        raise ToolError(f"cannot import {file!r}; use a {', '.join(e[1:] for e in _MODEL_EXTENSIONS)} file")
    path = _project_file(ctx, file, "model")
    before = set(bpy.data.objects)
    _import_file(path)
    added = [obj for obj in bpy.data.objects if obj not in before]
    if not added:
        raise ToolError(f"{file!r} holds no objects")
    holder = bpy.data.objects.new(name or os.path.splitext(os.path.basename(file))[0], None)
    scene().collection.objects.link(holder)
    for obj in added:
        if obj.parent is None:
            obj.parent = holder  # the holder sits at the origin: no parent inverse needed
    bpy.context.view_layer.update()
    bounds = world_bounds(added)
    low, high = bounds if bounds else (Vector((0, 0, 0)), Vector((0, 0, 0)))
    largest = max(high - low)
    factor = size / largest if size > 0 and largest > 1e-9 else 1.0
    base = Vector(((low.x + high.x) / 2, (low.y + high.y) / 2, low.z)) * factor
    holder.scale = (factor, factor, factor)
    holder.location = Vector(location if location is not None else (0, 0, 0)) - base
    bpy.context.view_layer.update()
    placed = world_bounds(added) or (low, high)
    dimensions = placed[1] - placed[0]
    return ToolResult(
        text=f"placed {os.path.basename(file)} as {holder.name} ({len(added)} objects, "
             f"{dimensions.x:.3g} x {dimensions.y:.3g} x {dimensions.z:.3g} m)",
        data={"name": holder.name, "objects": sorted(o.name for o in added), "scale": round(factor, 6),
              "bounds": [rounded(placed[0]), rounded(placed[1])]})


AI_COMMAND_HANDLERS = {
    "image_plane": image_plane,
    "image_texture": image_texture,
    "image_background": image_background,
    "place_model": place_model,
}
