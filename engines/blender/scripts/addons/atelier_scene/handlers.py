"""Scene tools: find, inspect, select, delete, duplicate, rename, parent, transform, collections."""

from __future__ import annotations

import fnmatch
import math
from typing import Any

import bpy

from atelier_router.helpers import (euler_degrees, get_collection, get_object, parse_object_names, rounded,
                                    scene, scene_objects, select_only, vector)
from atelier_router.tools import ToolError, ToolResult


def _brief(obj: bpy.types.Object) -> dict[str, Any]:
    return {"name": obj.name, "type": obj.type.lower(), "location": rounded(obj.location),
            "dimensions": rounded(obj.dimensions)}


def list_objects(type: str = "any") -> ToolResult:
    objects = [o for o in scene_objects() if type == "any" or o.type == type.upper()]
    rows = [_brief(o) for o in objects]
    text = "\n".join(f"{r['name']} ({r['type']}) at {r['location']}" for r in rows) or "the scene is empty"
    return ToolResult(text=text, data={"objects": rows})


def find_objects(pattern: str, type: str = "any") -> ToolResult:
    wildcard = pattern if any(c in pattern for c in "*?[") else f"*{pattern}*"
    matches = [o for o in scene_objects()
               if fnmatch.fnmatch(o.name.lower(), wildcard.lower()) and (type == "any" or o.type == type.upper())]
    rows = [_brief(o) for o in matches]
    return ToolResult(text=", ".join(r["name"] for r in rows) or f"no object matches {pattern!r}",
                      data={"objects": rows})


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


def duplicate_object(name: str, new_name: str = "", offset: list[float] | None = None,
                     linked: bool = False) -> ToolResult:
    source = get_object(name)
    copy = source.copy()
    if source.data is not None and not linked:
        copy.data = source.data.copy()
    if source.animation_data and source.animation_data.action:
        copy.animation_data.action = source.animation_data.action.copy()
    for collection in source.users_collection:
        collection.objects.link(copy)
    if new_name:
        copy.name = new_name
    copy.location = source.location + vector(offset)
    return ToolResult(text=f"duplicated {source.name} as {copy.name}", data={"name": copy.name})


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


def list_collections() -> ToolResult:
    rows = [{"name": c.name, "objects": [o.name for o in c.objects], "children": [k.name for k in c.children]}
            for c in scene().collection.children_recursive]
    return ToolResult(text="\n".join(f"{r['name']}: {', '.join(r['objects']) or '(empty)'}" for r in rows)
                      or "no collections", data={"collections": rows})


AI_COMMAND_HANDLERS = {
    "list_objects": list_objects,
    "find_objects": find_objects,
    "object_info": object_info,
    "select_objects": select_objects,
    "delete_objects": delete_objects,
    "clear_scene": clear_scene,
    "duplicate_object": duplicate_object,
    "rename_object": rename_object,
    "set_parent": set_parent,
    "transform_object": transform_object,
    "apply_transforms": apply_transforms,
    "create_collection": create_collection,
    "move_to_collection": move_to_collection,
    "list_collections": list_collections,
}
