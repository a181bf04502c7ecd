# SPDX-License-Identifier: GPL-2.0-or-later
"""Lighting tools: lights, world colour and strength, sky presets."""

from __future__ import annotations

import math
import os
from typing import Any

import bpy
from mathutils import Vector

from atelier_router import compat
from atelier_router.helpers import (confined_path, euler_degrees, get_object, hex_to_linear, linear_to_hex,
                                    look_at_rotation, rounded, scene, world_bounds)
from atelier_router.tools import ToolContext, ToolError, ToolResult

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
              target_point: list[float] | None = None, sun_angle: float = 2.0) -> ToolResult:
    data = bpy.data.lights.new(name or type.capitalize(), type=type.upper())
    data.energy = energy if energy > 0 else _DEFAULT_ENERGY[type]
    data.color = hex_to_linear(color)
    if type == "sun":
        data.angle = math.radians(sun_angle)
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
              target_point: list[float] | None = None, sun_angle: float | None = None) -> ToolResult:
    obj = get_object(name, "LIGHT")
    light = obj.data
    if energy is not None:
        light.energy = energy
    if color:
        light.color = hex_to_linear(color)
    if size is not None:
        if light.type == "AREA":
            light.size = size
        elif light.type != "SUN":
            light.shadow_soft_size = size
    if sun_angle is not None and light.type == "SUN":
        light.angle = math.radians(sun_angle)
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


def sky_preset(preset: str = "day", add_sun: bool = True, elevation: float | None = None,
               rotation: float | None = None, strength: float | None = None) -> ToolResult:
    settings = _SKY_PRESETS.get(preset)
    if settings is None:
        raise ToolError(f"unknown sky preset {preset!r}; use {', '.join(_SKY_PRESETS)}")
    settings = dict(settings)
    for key, value in (("elevation", elevation), ("rotation", rotation), ("strength", strength)):
        if value is not None:
            settings[key] = value
    world = _world()
    tree = world.node_tree
    background = _background(world)
    sky = next((n for n in tree.nodes if n.type == "TEX_SKY"), None) or tree.nodes.new("ShaderNodeTexSky")
    sky.sky_type = compat.sky_type_physical(sky)
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
    return ToolResult(text=f"sky preset {preset} (sun elevation {settings['elevation']} degrees, rotation "
                           f"{settings['rotation']} degrees, strength {settings['strength']})"
                           + (f" with sun {sun_name}" if add_sun else ""),
                      data={"preset": preset, "elevation": settings["elevation"], "rotation": settings["rotation"],
                            "strength": settings["strength"]})


def _find_hdri(ctx: ToolContext, image: str) -> str:
    bundled = compat.studio_world_directory()
    if "/" not in image and "." not in image:
        names = sorted(os.path.splitext(f)[0] for f in os.listdir(bundled)) if bundled else []
        if image in names:
            return os.path.join(bundled, image + ".exr")
        raise ToolError(f"no bundled HDRI {image!r}; bundled: {', '.join(names) or 'none'}; "
                        "or give a project file such as assets/sky.hdr")
    path = confined_path(ctx.workdir, image)
    if not os.path.isfile(path):
        raise ToolError(f"no file {image!r} in the project (render__list_project_files kind=hdris lists them)")
    return path


def hdri_world(ctx: ToolContext, image: str, strength: float = 1.0, rotation: float = 0.0) -> ToolResult:
    path = _find_hdri(ctx, image)
    try:
        loaded = bpy.data.images.load(path, check_existing=True)
    except RuntimeError as exc:
        raise ToolError(f"{image!r} is not an image Blender can read: {exc}") from None
    world = _world()
    tree = world.node_tree
    background = _background(world)
    texture = next((n for n in tree.nodes if n.type == "TEX_ENVIRONMENT"), None) \
        or tree.nodes.new("ShaderNodeTexEnvironment")
    texture.image = loaded
    mapping = next((n for n in tree.nodes if n.type == "MAPPING"), None) or tree.nodes.new("ShaderNodeMapping")
    coordinates = next((n for n in tree.nodes if n.type == "TEX_COORD"), None) or tree.nodes.new("ShaderNodeTexCoord")
    mapping.inputs["Rotation"].default_value = (0.0, 0.0, math.radians(rotation))
    tree.links.new(coordinates.outputs["Generated"], mapping.inputs["Vector"])
    tree.links.new(mapping.outputs["Vector"], texture.inputs["Vector"])
    tree.links.new(texture.outputs["Color"], background.inputs["Color"])
    background.inputs["Strength"].default_value = strength
    world.color = (0.35, 0.35, 0.35)  # what Workbench previews show: a neutral grey
    return ToolResult(text=f"world lit by {os.path.basename(path)} at strength {strength}, turned {rotation} degrees",
                      data={"image": os.path.basename(path), "strength": strength})


# Each light: (azimuth from the target's front in degrees, elevation in degrees, power in W per m
# of distance squared, size as a fraction of the distance, colour).
_RIGS: dict[str, list[tuple[str, float, float, float, float, str]]] = {
    "three_point": [("Key", -45, 35, 60, 0.5, "#FFF4E8"), ("Fill", 50, 15, 20, 0.8, "#E8F0FF"),
                    ("Rim", 160, 45, 50, 0.3, "#FFFFFF")],
    "soft": [("Key", -40, 40, 40, 1.2, "#FFFFFF"), ("Fill", 45, 20, 25, 1.2, "#FFFFFF"),
             ("Top", 0, 85, 20, 1.5, "#FFFFFF")],
    "dramatic": [("Key", -80, 20, 90, 0.25, "#FFE8D0"), ("Fill", 60, 10, 5, 0.6, "#C8D8FF"),
                 ("Rim", 170, 30, 80, 0.2, "#FFFFFF")],
}
RIG_COLLECTION = "Studio Lights"


def studio_lights(target: str, preset: str = "three_point", distance: float = 0.0, power: float = 1.0,
                  rotation: float = 0.0) -> ToolResult:
    rig = _RIGS.get(preset)
    if rig is None:
        raise ToolError(f"unknown rig {preset!r}; use {', '.join(_RIGS)}")
    aim = get_object(target)
    bounds = world_bounds([aim])
    centre = (bounds[0] + bounds[1]) / 2 if bounds else aim.matrix_world.translation.copy()
    size = (bounds[1] - bounds[0]).length if bounds else 1.0
    distance = distance if distance > 0 else max(size * 2.0, 1.0)
    collection = bpy.data.collections.get(RIG_COLLECTION)
    if collection is None:
        collection = bpy.data.collections.new(RIG_COLLECTION)
        scene().collection.children.link(collection)
    for old in list(collection.objects):
        data = old.data
        bpy.data.objects.remove(old, do_unlink=True)
        if data is not None and data.users == 0:
            bpy.data.lights.remove(data)
    made = []
    for label, azimuth, elevation, watts, fraction, color in rig:
        heading = math.radians(azimuth + rotation - 90)  # azimuth 0: in front of the target (-Y)
        up = math.radians(elevation)
        offset = Vector((math.cos(up) * math.cos(heading), math.cos(up) * math.sin(heading), math.sin(up)))
        data = bpy.data.lights.new(f"Studio {label}", type="AREA")
        data.energy = watts * distance * distance * power
        data.size = distance * fraction
        data.color = hex_to_linear(color)
        obj = bpy.data.objects.new(f"Studio {label}", data)
        collection.objects.link(obj)
        obj.location = centre + offset * distance
        obj.rotation_euler = look_at_rotation(obj.location, centre)
        made.append(_describe(obj))
    return ToolResult(text=f"{preset} rig around {aim.name}: " + ", ".join(
        f"{m['name']} {m['energy']} W" for m in made), data={"lights": made, "collection": RIG_COLLECTION})


AI_COMMAND_HANDLERS = {
    "add_light": add_light,
    "set_light": set_light,
    "set_world": set_world,
    "sky_preset": sky_preset,
    "hdri_world": hdri_world,
    "studio_lights": studio_lights,
}
