"""Lighting tools: lights, world colour and strength, sky presets."""

from __future__ import annotations

import math
from typing import Any

import bpy
from mathutils import Vector

from atelier_router.helpers import (euler_degrees, get_object, hex_to_linear, linear_to_hex,
                                    look_at_rotation, rounded, scene)
from atelier_router.tools import ToolError, ToolResult

_DEFAULT_ENERGY = {"sun": 3.0, "point": 1000.0, "spot": 1000.0, "area": 500.0}


def _describe(obj: bpy.types.Object) -> dict[str, Any]:
    light = obj.data
    return {"name": obj.name, "type": light.type.lower(), "energy": round(light.energy, 3),
            "color": linear_to_hex(light.color), "location": rounded(obj.location)}


def _aim(obj: bpy.types.Object, target: str, point: list[float] | None) -> None:
    if target:
        obj.rotation_euler = look_at_rotation(obj.location, get_object(target).matrix_world.translation)
    elif point is not None:
        obj.rotation_euler = look_at_rotation(obj.location, Vector(point))


def add_light(type: str, name: str = "", location: list[float] | None = None,
              rotation: list[float] | None = None, energy: float = 0.0, color: str = "#FFFFFF",
              size: float = 0.25, spot_angle: float = 45.0, target: str = "",
              target_point: list[float] | None = None) -> ToolResult:
    data = bpy.data.lights.new(name or type.capitalize(), type=type.upper())
    data.energy = energy if energy > 0 else _DEFAULT_ENERGY[type]
    data.color = hex_to_linear(color)
    if type == "sun":
        data.angle = math.radians(max(0.0, min(180.0, size * 10)))
    elif type == "area":
        data.size = size
    else:
        data.shadow_soft_size = size
    if type == "spot":
        data.spot_size = math.radians(spot_angle)
    obj = bpy.data.objects.new(name or type.capitalize(), data)
    scene().collection.objects.link(obj)
    obj.location = location if location is not None else [4.0, -4.0, 6.0]
    obj.rotation_euler = euler_degrees(rotation or [0, 0, 0])
    _aim(obj, target, target_point)
    return ToolResult(text=f"added {type} light {obj.name}", data=_describe(obj))


def set_light(name: str, energy: float | None = None, color: str | None = None,
              size: float | None = None, location: list[float] | None = None, target: str = "",
              target_point: list[float] | None = None) -> ToolResult:
    obj = get_object(name, "LIGHT")
    light = obj.data
    if energy is not None:
        light.energy = energy
    if color:
        light.color = hex_to_linear(color)
    if size is not None:
        if light.type == "AREA":
            light.size = size
        elif light.type == "SUN":
            light.angle = math.radians(size * 10)
        else:
            light.shadow_soft_size = size
    if location is not None:
        obj.location = location
    _aim(obj, target, target_point)
    return ToolResult(text=f"updated light {obj.name}", data=_describe(obj))


def _world() -> bpy.types.World:
    current = scene()
    if current.world is None:
        current.world = bpy.data.worlds.new("World")
    world = current.world
    world.use_nodes = True
    return world


def _background(world: bpy.types.World) -> bpy.types.Node:
    tree = world.node_tree
    node = next((n for n in tree.nodes if n.type == "BACKGROUND"), None)
    if node is None:
        node = tree.nodes.new("ShaderNodeBackground")
        output = next((n for n in tree.nodes if n.type == "OUTPUT_WORLD"), None) \
            or tree.nodes.new("ShaderNodeOutputWorld")
        tree.links.new(node.outputs["Background"], output.inputs["Surface"])
    return node


def set_world(color: str = "#303030", strength: float = 1.0) -> ToolResult:
    world = _world()
    background = _background(world)
    for link in list(background.inputs["Color"].links):
        world.node_tree.links.remove(link)
    background.inputs["Color"].default_value = (*hex_to_linear(color), 1.0)
    background.inputs["Strength"].default_value = strength
    world.color = hex_to_linear(color)  # what Workbench previews show
    return ToolResult(text=f"world colour {color}, strength {strength}")


# Sun elevation/rotation (degrees), sky strength, preview colour, and a matching sun light.
_SKY_PRESETS: dict[str, dict[str, Any]] = {
    "day": {"elevation": 50, "rotation": 30, "strength": 0.3, "preview": "#8DB8E8",
            "sun_color": "#FFF4E0", "sun_energy": 4.0},
    "sunset": {"elevation": 4, "rotation": 250, "strength": 0.4, "preview": "#E89A6A",
               "sun_color": "#FF9A50", "sun_energy": 2.5},
    "overcast": {"elevation": 35, "rotation": 0, "strength": 0.15, "preview": "#B8BEC4",
                 "sun_color": "#E8ECF0", "sun_energy": 0.6},
    "night": {"elevation": -8, "rotation": 0, "strength": 0.05, "preview": "#0B1020",
              "sun_color": "#9FB4FF", "sun_energy": 0.15},
}


def sky_preset(preset: str, add_sun: bool = True) -> ToolResult:
    settings = _SKY_PRESETS.get(preset)
    if settings is None:
        raise ToolError(f"unknown sky preset {preset!r}; use {', '.join(_SKY_PRESETS)}")
    world = _world()
    tree = world.node_tree
    background = _background(world)
    sky = next((n for n in tree.nodes if n.type == "TEX_SKY"), None) or tree.nodes.new("ShaderNodeTexSky")
    sky.sky_type = "NISHITA"
    sky.sun_elevation = math.radians(settings["elevation"])
    sky.sun_rotation = math.radians(settings["rotation"])
    tree.links.new(sky.outputs["Color"], background.inputs["Color"])
    background.inputs["Strength"].default_value = settings["strength"]
    world.color = hex_to_linear(settings["preview"])
    sun_name = "Sky Sun"
    sun = scene().objects.get(sun_name)
    if add_sun:
        if sun is None:
            sun = bpy.data.objects.new(sun_name, bpy.data.lights.new(sun_name, type="SUN"))
            scene().collection.objects.link(sun)
        sun.data.energy = settings["sun_energy"]
        sun.data.color = hex_to_linear(settings["sun_color"])
        elevation, rotation = math.radians(settings["elevation"]), math.radians(settings["rotation"])
        # A sun shines along its local -Z; point it from the sky position towards the origin.
        direction = Vector((math.cos(elevation) * math.sin(rotation), -math.cos(elevation) * math.cos(rotation),
                            math.sin(elevation)))
        sun.location = direction * 10
        sun.rotation_euler = look_at_rotation(sun.location, Vector((0, 0, 0)))
    return ToolResult(text=f"sky preset {preset}" + (f" with sun {sun_name}" if add_sun else ""),
                      data={"preset": preset})


def list_lights() -> ToolResult:
    rows = [_describe(o) for o in scene().objects if o.type == "LIGHT"]
    return ToolResult(text="\n".join(str(r) for r in rows) or "no lights", data={"lights": rows})


AI_COMMAND_HANDLERS = {
    "add_light": add_light,
    "set_light": set_light,
    "set_world": set_world,
    "sky_preset": sky_preset,
    "list_lights": list_lights,
}
