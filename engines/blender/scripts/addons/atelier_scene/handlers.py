# SPDX-License-Identifier: GPL-2.0-or-later
"""Scene tools: find, inspect, select, delete, duplicate, rename, parent, transform, collections."""

from __future__ import annotations

import fnmatch
import math
import random
from typing import Any

import bpy
from mathutils import Vector

from atelier_router import compat

from atelier_router.helpers import (euler_degrees, get_collection, get_object, object_override,
                                    parse_object_names, rounded, scene, scene_objects, select_only, vector)
from atelier_router.tools import ToolError, ToolResult


def _brief(obj: bpy.types.Object) -> dict[str, Any]:
    return {"name": obj.name, "type": obj.type.lower(), "location": rounded(obj.location),
            "dimensions": rounded(obj.dimensions)}


def list_objects(pattern: str = "", type: str = "any") -> ToolResult:
    """Every object (or those whose name matches ``pattern``: a substring, or a glob with * ? [)."""
    wildcard = (pattern if any(c in pattern for c in "*?[") else f"*{pattern}*").lower()
    matches = [o for o in scene_objects()
               if (not pattern or fnmatch.fnmatch(o.name.lower(), wildcard)) and (type == "any" or o.type == type.upper())]
    rows = [_brief(o) for o in matches]
    text = "\n".join(f"{r['name']} ({r['type']}) at {r['location']}" for r in rows) \
        or (f"no object matches {pattern!r}" if pattern else "the scene is empty")
    return ToolResult(text=text, data={"objects": rows})


def object_info(name: str) -> ToolResult:
    obj = get_object(name)
    info: dict[str, Any] = {
        **_brief(obj),
        "rotation": rounded((math.degrees(a) for a in obj.rotation_euler), 2),
        "scale": rounded(obj.scale),
        "parent": obj.parent.name if obj.parent else None,
        "children": [c.name for c in obj.children],
        "collections": [c.name for c in obj.users_collection],
        "materials": [s.material.name for s in obj.material_slots if s.material],
        "modifiers": [{"name": m.name, "type": m.type.lower()} for m in getattr(obj, "modifiers", [])],
        "visible": obj.visible_get(),
    }
    if obj.type == "MESH":
        mesh = obj.data
        info["mesh"] = {"vertices": len(mesh.vertices), "faces": len(mesh.polygons)}
    elif obj.type == "LIGHT":
        info["light"] = {"type": obj.data.type.lower(), "energy": obj.data.energy}
    elif obj.type == "CAMERA":
        info["camera"] = {"lens": obj.data.lens, "active": scene().camera == obj}
    return ToolResult(text=str(info), data=info)


def select_objects(names: str, extend: bool = False) -> ToolResult:
    objects = parse_object_names(names)
    if extend:
        for obj in objects:
            obj.select_set(True)
        bpy.context.view_layer.objects.active = objects[0]
    else:
        select_only(objects)
    return ToolResult(text="selected " + ", ".join(o.name for o in objects))


def _delete(obj: bpy.types.Object) -> None:
    bpy.data.objects.remove(obj, do_unlink=True)


def delete_objects(names: str) -> ToolResult:
    objects = parse_object_names(names)
    deleted = [o.name for o in objects]
    for obj in objects:
        _delete(obj)
    return ToolResult(text="deleted " + ", ".join(deleted), data={"deleted": deleted})


def clear_scene(keep: str = "nothing") -> ToolResult:
    doomed = [o for o in scene_objects() if not (keep == "cameras_and_lights" and o.type in {"CAMERA", "LIGHT"})]
    names = [o.name for o in doomed]
    for obj in doomed:
        _delete(obj)
    return ToolResult(text=f"removed {len(names)} objects", data={"deleted": names})


def _copy_tree(source: bpy.types.Object, linked: bool, children: bool,
               parent: bpy.types.Object | None) -> bpy.types.Object:
    copy = source.copy()
    if source.data is not None and not linked:
        copy.data = source.data.copy()
    if source.animation_data and source.animation_data.action:
        copy.animation_data.action = source.animation_data.action.copy()
    for collection in source.users_collection:
        collection.objects.link(copy)
    if parent is not None:
        copy.parent = parent  # matrix_parent_inverse is copied with the object
    if children:
        for child in source.children:
            _copy_tree(child, linked, True, copy)
    return copy


def duplicate_object(name: str, new_name: str = "", offset: list[float] | None = None, linked: bool = False,
                     children: bool = True, count: int = 1, random_offset: list[float] | None = None,
                     random_rotation: list[float] | None = None, random_scale: float = 0.0,
                     seed: int = 0) -> ToolResult:
    """``count`` copies, the i-th moved by i x offset, each jittered by the random ranges (+-)."""
    source = get_object(name)
    generator = random.Random(seed)
    step = vector(offset)
    jitter = vector(random_offset)
    spin = vector(random_rotation)
    names = []
    for index in range(1, count + 1):
        copy = _copy_tree(source, linked, children, None)
        copy.parent = source.parent
        if new_name:
            copy.name = new_name if count == 1 else f"{new_name}.{index:03d}"
        copy.location = source.location + step * index + Vector(
            [generator.uniform(-j, j) for j in jitter])
        copy.rotation_euler = [a + math.radians(generator.uniform(-r, r))
                               for a, r in zip(source.rotation_euler, spin)]
        factor = 1.0 + generator.uniform(-random_scale, random_scale)
        copy.scale = source.scale * max(factor, 0.001)
        names.append(copy.name)
    kept = f" with {len(source.children_recursive)} child objects each" if children and source.children else ""
    return ToolResult(text=f"duplicated {source.name} as {', '.join(names[:10])}"
                           + (f" and {len(names) - 10} more" if len(names) > 10 else "") + kept,
                      data={"name": names[0], "names": names})


def join_objects(names: str, new_name: str = "") -> ToolResult:
    """Join meshes into the first one named (one object, one mesh; materials kept per face)."""
    objects = parse_object_names(names)
    if len(objects) < 2:
        raise ToolError("give at least two objects to join")
    wrong = [o.name for o in objects if o.type != "MESH"]
    if wrong:
        raise ToolError(f"only meshes can be joined; {', '.join(wrong)} are not "
                        "(modeling__convert_to_mesh turns text and curves into meshes)")
    target = objects[0]
    select_only(objects)
    with object_override(objects):
        bpy.ops.object.join()
    if new_name:
        target.name = new_name
    return ToolResult(text=f"joined {len(objects)} objects into {target.name}",
                      data={"name": target.name, "vertices": len(target.data.vertices)})


def _socket(sockets: Any, name: str) -> Any:
    """The enabled socket called ``name`` (nodes such as Random Value have one per data type)."""
    return next(s for s in sockets if s.name == name and getattr(s, "enabled", True))


def _surface_area(obj: bpy.types.Object) -> float:
    evaluated = obj.evaluated_get(bpy.context.evaluated_depsgraph_get())
    mesh = evaluated.to_mesh()
    try:
        mesh.transform(obj.matrix_world)
        return sum(polygon.area for polygon in mesh.polygons)
    finally:
        evaluated.to_mesh_clear()


def scatter(surface: str, source: str = "", collection: str = "", count: int = 100, seed: int = 0,
            scale_min: float = 1.0, scale_max: float = 1.0, random_rotation: bool = True,
            align_normal: bool = False, hide_source: bool = True, name: str = "") -> ToolResult:
    """A geometry-nodes object: distribute points on the surface's faces, instance the source on them."""
    if bool(source) == bool(collection):
        raise ToolError("give either source (an object) or collection (its objects are picked at random)")
    if scale_max < scale_min:
        raise ToolError(f"scale_max ({scale_max}) is below scale_min ({scale_min})")
    ground = get_object(surface, "MESH")
    area = _surface_area(ground)
    if area <= 1e-9:
        raise ToolError(f"{ground.name} has no faces to scatter on")
    tree = bpy.data.node_groups.new(name or f"Scatter on {ground.name}", "GeometryNodeTree")
    compat.new_group_socket(tree, "INPUT", "NodeSocketGeometry", "Geometry")
    compat.new_group_socket(tree, "OUTPUT", "NodeSocketGeometry", "Geometry")
    nodes, links = tree.nodes, tree.links
    group_output = nodes.new("NodeGroupOutput")
    nodes.new("NodeGroupInput")
    surface_info = nodes.new("GeometryNodeObjectInfo")
    surface_info.transform_space = "RELATIVE"
    surface_info.inputs["Object"].default_value = ground
    distribute = nodes.new("GeometryNodeDistributePointsOnFaces")
    _socket(distribute.inputs, "Density").default_value = count / area
    _socket(distribute.inputs, "Seed").default_value = seed
    links.new(_socket(surface_info.outputs, "Geometry"), _socket(distribute.inputs, "Mesh"))
    instance = nodes.new("GeometryNodeInstanceOnPoints")
    links.new(_socket(distribute.outputs, "Points"), _socket(instance.inputs, "Points"))
    hidden: list[bpy.types.Object] = []
    if source:
        original = get_object(source)
        info = nodes.new("GeometryNodeObjectInfo")
        info.inputs["Object"].default_value = original
        _socket(info.inputs, "As Instance").default_value = True
        links.new(_socket(info.outputs, "Geometry"), _socket(instance.inputs, "Instance"))
        hidden = [original]
    else:
        group = get_collection(collection)
        info = nodes.new("GeometryNodeCollectionInfo")
        info.inputs["Collection"].default_value = group
        _socket(info.inputs, "Separate Children").default_value = True
        _socket(info.inputs, "Reset Children").default_value = True
        links.new(_socket(info.outputs, "Instances" if "Instances" in info.outputs else "Geometry"),
                  _socket(instance.inputs, "Instance"))
        _socket(instance.inputs, "Pick Instance").default_value = True
        picker = nodes.new("FunctionNodeRandomValue")
        picker.data_type = "INT"
        _socket(picker.inputs, "Min").default_value = 0
        _socket(picker.inputs, "Max").default_value = max(len(group.all_objects) - 1, 0)
        _socket(picker.inputs, "Seed").default_value = seed + 1
        links.new(_socket(picker.outputs, "Value"), _socket(instance.inputs, "Instance Index"))
        hidden = list(group.all_objects)
    rotation = None
    if align_normal:
        rotation = _socket(distribute.outputs, "Rotation")
    if random_rotation:
        spin = nodes.new("FunctionNodeRandomValue")
        spin.data_type = "FLOAT_VECTOR"
        _socket(spin.inputs, "Min").default_value = (0.0, 0.0, 0.0)
        _socket(spin.inputs, "Max").default_value = (0.0, 0.0, math.tau)
        _socket(spin.inputs, "Seed").default_value = seed + 2
        if rotation is None:
            rotation = _socket(spin.outputs, "Value")
        else:
            # Spin about the surface normal: a rotation in the aligned (local) space.
            rotate = compat.new_rotate_node(nodes)
            links.new(rotation, rotate.inputs[0])
            links.new(_socket(spin.outputs, "Value"), rotate.inputs[1])
            rotation = rotate.outputs[0]
    if rotation is not None:
        links.new(rotation, _socket(instance.inputs, "Rotation"))
    if scale_max != scale_min or scale_min != 1.0:
        size = nodes.new("FunctionNodeRandomValue")
        size.data_type = "FLOAT"
        _socket(size.inputs, "Min").default_value = scale_min
        _socket(size.inputs, "Max").default_value = scale_max
        _socket(size.inputs, "Seed").default_value = seed + 3
        links.new(_socket(size.outputs, "Value"), _socket(instance.inputs, "Scale"))
    links.new(_socket(instance.outputs, "Instances"), _socket(group_output.inputs, "Geometry"))
    mesh = bpy.data.meshes.new(tree.name)
    holder = bpy.data.objects.new(tree.name, mesh)
    scene().collection.objects.link(holder)
    modifier = holder.modifiers.new("Scatter", "NODES")
    modifier.node_group = tree
    if hide_source:
        for obj in hidden:
            obj.hide_render = True
            obj.hide_set(True)
    bpy.context.view_layer.update()
    placed = sum(1 for instance_ in bpy.context.evaluated_depsgraph_get().object_instances
                 if instance_.is_instance and instance_.parent is not None
                 and instance_.parent.original == holder)
    hidden_note = f"; the originals ({', '.join(o.name for o in hidden[:5])}) are hidden" if hidden and hide_source \
        else ""
    return ToolResult(text=f"scattered {placed} instances of {source or collection} on {ground.name} "
                           f"as {holder.name} (geometry nodes){hidden_note}",
                      data={"name": holder.name, "instances": placed, "density_per_m2": round(count / area, 4)})


def rename_object(name: str, new_name: str) -> ToolResult:
    obj = get_object(name)
    if not new_name.strip():
        raise ToolError("new_name is empty")
    obj.name = new_name
    note = "" if obj.name == new_name else f" (Blender made it unique: {obj.name})"
    return ToolResult(text=f"renamed {name} to {obj.name}{note}", data={"name": obj.name})


def set_parent(name: str, parent: str = "", keep_transform: bool = True) -> ToolResult:
    child = get_object(name)
    world = child.matrix_world.copy()
    if not parent:
        child.parent = None
        if keep_transform:
            child.matrix_world = world
        return ToolResult(text=f"cleared the parent of {child.name}")
    new_parent = get_object(parent)
    ancestor = new_parent
    while ancestor is not None:
        if ancestor == child:
            raise ToolError(f"{parent!r} is {name!r} or one of its children; that would be a cycle")
        ancestor = ancestor.parent
    child.parent = new_parent
    if keep_transform:
        child.matrix_parent_inverse = new_parent.matrix_world.inverted()
    return ToolResult(text=f"parented {child.name} to {new_parent.name}")


def transform_object(name: str, location: list[float] | None = None, rotation: list[float] | None = None,
                     scale: list[float] | None = None, mode: str = "absolute") -> ToolResult:
    obj = get_object(name)
    if location is None and rotation is None and scale is None:
        raise ToolError("give at least one of location, rotation, scale")
    if mode == "relative":
        if location is not None:
            obj.location = obj.location + vector(location)
        if rotation is not None:
            obj.rotation_euler = [a + math.radians(d) for a, d in zip(obj.rotation_euler, rotation)]
        if scale is not None:
            obj.scale = [s * f for s, f in zip(obj.scale, scale)]
    else:
        if location is not None:
            obj.location = location
        if rotation is not None:
            obj.rotation_euler = euler_degrees(rotation)
        if scale is not None:
            obj.scale = scale
    bpy.context.view_layer.update()
    return ToolResult(text=f"{obj.name}: location {rounded(obj.location)}, "
                           f"rotation {rounded((math.degrees(a) for a in obj.rotation_euler), 2)}, "
                           f"scale {rounded(obj.scale)}", data=_brief(obj))


def apply_transforms(name: str, location: bool = False, rotation: bool = True, scale: bool = True) -> ToolResult:
    obj = get_object(name)
    if obj.data is not None and obj.data.users > 1:
        raise ToolError(f"{obj.name} shares its data with other objects; transforms cannot be applied")
    select_only([obj])
    bpy.ops.object.transform_apply(location=location, rotation=rotation, scale=scale)
    return ToolResult(text=f"applied transforms of {obj.name}", data=_brief(obj))


def create_collection(name: str, parent: str = "") -> ToolResult:
    owner = get_collection(parent) if parent else scene().collection
    collection = bpy.data.collections.new(name)
    owner.children.link(collection)
    return ToolResult(text=f"created collection {collection.name}", data={"name": collection.name})


def move_to_collection(name: str, collection: str) -> ToolResult:
    obj = get_object(name)
    target = get_collection(collection)
    for owner in list(obj.users_collection):
        owner.objects.unlink(obj)
    target.objects.link(obj)
    return ToolResult(text=f"moved {obj.name} to {target.name}")


AI_COMMAND_HANDLERS = {
    "list_objects": list_objects,
    "object_info": object_info,
    "select_objects": select_objects,
    "delete_objects": delete_objects,
    "clear_scene": clear_scene,
    "duplicate_object": duplicate_object,
    "join_objects": join_objects,
    "scatter": scatter,
    "rename_object": rename_object,
    "set_parent": set_parent,
    "transform_object": transform_object,
    "apply_transforms": apply_transforms,
    "create_collection": create_collection,
    "move_to_collection": move_to_collection,
}
