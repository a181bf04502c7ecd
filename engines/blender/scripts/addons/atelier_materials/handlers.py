# SPDX-License-Identifier: GPL-2.0-or-later
"""The material tool: Principled BSDF materials (Blender 3.x and 4.x socket names), assigned or kept."""

from __future__ import annotations

from typing import Any

import bpy

from atelier_router import compat
from atelier_router.helpers import (get_object, hex_to_linear, linear_to_hex,
                                    principled_input)
from atelier_router.tools import ToolError, ToolResult

# Socket names that differ between Blender 3.x and 4.x, newest first.
_SOCKETS = {
    "base_color": ("Base Color",),
    "metallic": ("Metallic",),
    "roughness": ("Roughness",),
    "emission_color": ("Emission Color", "Emission"),
    "emission_strength": ("Emission Strength",),
    "transmission": ("Transmission Weight", "Transmission"),
    "alpha": ("Alpha",),
}


def _principled(material: bpy.types.Material) -> bpy.types.Node:
    material.use_nodes = True
    tree = material.node_tree
    node = next((n for n in tree.nodes if n.type == "BSDF_PRINCIPLED"), None)
    if node is None:
        node = tree.nodes.new("ShaderNodeBsdfPrincipled")
        output = next((n for n in tree.nodes if n.type == "OUTPUT_MATERIAL"), None) \
            or tree.nodes.new("ShaderNodeOutputMaterial")
        tree.links.new(node.outputs["BSDF"], output.inputs["Surface"])
    return node


def _set(node: bpy.types.Node, key: str, value: Any) -> None:
    socket = principled_input(node, *_SOCKETS[key])
    if socket is None:
        raise ToolError(f"this Blender's Principled BSDF has no {key.replace('_', ' ')} input")
    socket.default_value = value


def _configure(material: bpy.types.Material, base_color: str | None, metallic: float | None,
               roughness: float | None, emission_color: str | None, emission_strength: float | None,
               transmission: float | None, alpha: float | None) -> dict[str, Any]:
    node = _principled(material)
    if base_color:
        _set(node, "base_color", (*hex_to_linear(base_color), 1.0))
        # Workbench previews show the viewport display colour, not the node tree.
        material.diffuse_color = (*hex_to_linear(base_color), material.diffuse_color[3])
    if metallic is not None:
        _set(node, "metallic", metallic)
        material.metallic = metallic
    if roughness is not None:
        _set(node, "roughness", roughness)
        material.roughness = roughness
    if emission_color:
        _set(node, "emission_color", (*hex_to_linear(emission_color), 1.0))
        if emission_strength is None:
            emission_strength = max(1.0, principled_input(node, "Emission Strength").default_value
                                    if principled_input(node, "Emission Strength") else 1.0)
    if emission_strength is not None:
        _set(node, "emission_strength", emission_strength)
    if transmission is not None:
        _set(node, "transmission", transmission)
        if transmission > 0:
            # Eevee shows glass only with screen-space refraction on, for the material and the scene.
            compat.set_material_refraction(material, True)
            compat.set_eevee_options(bpy.context.scene.eevee, ssr=True, refraction=True)
    if alpha is not None:
        _set(node, "alpha", alpha)
        material.diffuse_color = (*material.diffuse_color[:3], alpha)
        if alpha < 1.0:
            material.blend_method = "BLEND"
            if hasattr(material, "shadow_method"):
                material.shadow_method = "HASHED"
    return describe(material)


def describe(material: bpy.types.Material) -> dict[str, Any]:
    info: dict[str, Any] = {"name": material.name, "users": material.users}
    node = next((n for n in material.node_tree.nodes if n.type == "BSDF_PRINCIPLED"), None) \
        if material.use_nodes and material.node_tree else None
    if node is None:
        info["base_color"] = linear_to_hex(material.diffuse_color)
        return info
    for key, names in _SOCKETS.items():
        socket = principled_input(node, *names)
        if socket is None:
            continue
        value = socket.default_value
        info[key] = linear_to_hex(value) if key.endswith("color") else round(float(value), 3)
    return info


def _assign(obj: bpy.types.Object, material: bpy.types.Material, slot: int) -> None:
    if obj.data is None or not hasattr(obj.data, "materials"):
        raise ToolError(f"{obj.name} is a {obj.type.lower()} and cannot hold materials")
    materials = obj.data.materials
    if slot < len(materials):
        materials[slot] = material
    else:
        materials.append(material)


def set_material(name: str = "", material: str = "", slot: int | None = None, base_color: str | None = None,
                 metallic: float | None = None, roughness: float | None = None, emission_color: str | None = None,
                 emission_strength: float | None = None, transmission: float | None = None,
                 alpha: float | None = None) -> ToolResult:
    """One tool for what were five: create or update a material, assign it, colour an object.

    With an object ``name``: the named ``material`` (created when missing) or the object's own
    goes into ``slot`` (default: the active slot), and only the given properties change. Without
    one: the named material is created or updated and kept (a fake user) until it is assigned.
    """
    if not name:
        if not material:
            raise ToolError("give an object name, a material name, or both")
        target = bpy.data.materials.get(material) or bpy.data.materials.new(material)
        info = _configure(target, base_color, metallic, roughness, emission_color, emission_strength,
                          transmission, alpha)
        target.use_fake_user = True  # keep it until it is assigned
        return ToolResult(text=f"material {target.name}: {info}", data=info)
    obj = get_object(name)
    if obj.data is None or not hasattr(obj.data, "materials"):
        raise ToolError(f"{obj.name} is a {obj.type.lower()} and cannot hold materials")
    index = max(obj.active_material_index, 0) if slot is None else slot
    current = obj.material_slots[index].material if index < len(obj.material_slots) else None
    target = bpy.data.materials.get(material) if material else current
    if target is None:
        target = bpy.data.materials.new(material or f"{obj.name} material")
    elif target.users > 1 and not material:
        target = target.copy()  # do not recolour other objects that share the material by accident
    info = _configure(target, base_color, metallic, roughness, emission_color, emission_strength,
                      transmission, alpha)
    _assign(obj, target, index)
    return ToolResult(text=f"{obj.name} uses material {target.name} in slot {index}: {info}", data=info)


AI_COMMAND_HANDLERS = {
    "set_material": set_material,
}
