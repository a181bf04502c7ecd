# SPDX-License-Identifier: GPL-2.0-or-later
"""Differences between the Blender versions atelier runs on (3.4 LTS, 4.2+ with Eevee Next, 5.x).

Every API that changed name or shape across those versions is wrapped here, once, so tool
handlers read the same everywhere. Each helper probes the running Blender's RNA (an enum's
items, whether an attribute exists) rather than comparing version numbers where it can: a
probe is right on versions nobody has tried yet. `make test` runs Debian 12's 3.4.1; `make
test-blender-versions` runs the same tests with Debian trixie's 4.3.2 and sid's 5.2.2
(docs/blender.md).
"""

from __future__ import annotations

from typing import Any

import bpy


def version() -> tuple[int, int, int]:
    return tuple(bpy.app.version)  # type: ignore[return-value]


def version_string() -> str:
    """"3.4.1" (without Debian's or a build's suffix)."""
    return ".".join(str(part) for part in bpy.app.version)


def parse_version(text: str) -> tuple[int, ...]:
    """"4.2" -> (4, 2); raises ValueError on anything but dot-separated whole numbers."""
    parts = text.strip().split(".")
    if not text.strip() or not all(part.isdigit() for part in parts):
        raise ValueError(f"{text!r} is not a version like \"4.2\" or \"3.4.1\"")
    return tuple(int(part) for part in parts)


def enum_identifiers(owner: Any, prop: str) -> list[str]:
    return [item.identifier for item in owner.bl_rna.properties[prop].enum_items]


def set_enum_at_least(owner: Any, prop: str, wanted: str) -> str:
    """Set a numeric enum (a resolution such as "64") to the smallest item >= wanted, else the
    largest: Eevee's world probe resolution starts at 64 up to 4.1 and at 128 in 4.2+. Returns
    the item set."""
    items = sorted((int(item), item) for item in enum_identifiers(owner, prop) if item.isdigit())
    if not items:
        raise ValueError(f"{prop} has no numeric items")
    chosen = next((item for value, item in items if value >= int(wanted)), items[-1][1])
    setattr(owner, prop, chosen)
    return chosen


def eevee_engine_id() -> str:
    """'BLENDER_EEVEE' up to 4.1 and again in 5.x, 'BLENDER_EEVEE_NEXT' in 4.2-4.x."""
    engines = enum_identifiers(bpy.context.scene.render, "engine")
    for candidate in ("BLENDER_EEVEE_NEXT", "BLENDER_EEVEE"):
        if candidate in engines:
            return candidate
    return "BLENDER_EEVEE"


def is_eevee(engine: str) -> bool:
    return engine.startswith("BLENDER_EEVEE")


def set_eevee_options(eevee: Any, ssr: bool | None = None, refraction: bool | None = None,
                      bloom: bool | None = None, ao: bool | None = None) -> dict[str, str]:
    """Switch Eevee features; returns {feature: note} for what this Blender has not got.

    3.x-4.1: use_ssr, use_ssr_refraction, use_bloom, use_gtao. 4.2+ (Eevee Next): one ray-tracing
    switch (use_raytracing) covers reflections and refraction; bloom is gone (a compositor Glare
    node does it) and ambient occlusion is always on (horizon scan)."""
    notes: dict[str, str] = {}

    def set_first(feature: str, value: bool | None, *names: str) -> None:
        if value is None:
            return
        for name in names:
            if hasattr(eevee, name):
                setattr(eevee, name, value)
                return
        notes[feature] = f"not in Blender {version_string()}"

    set_first("ssr", ssr, "use_ssr", "use_raytracing")
    set_first("refraction", refraction, "use_ssr_refraction", "use_raytracing")
    if refraction and not hasattr(eevee, "use_ssr_refraction") and hasattr(eevee, "use_raytracing"):
        eevee.use_raytracing = True
    set_first("bloom", bloom, "use_bloom")
    if ao is not None and not hasattr(eevee, "use_gtao"):
        notes["ao"] = "always on in this Blender"
    else:
        set_first("ao", ao, "use_gtao")
    return notes


def eevee_options(eevee: Any) -> dict[str, Any]:
    """The features set_eevee_options switches, as this Blender has them (None: not there)."""
    def first(*names: str) -> Any:
        return next((bool(getattr(eevee, name)) for name in names if hasattr(eevee, name)), None)
    return {"ssr": first("use_ssr", "use_raytracing"), "refraction": first("use_ssr_refraction", "use_raytracing"),
            "bloom": first("use_bloom"), "ao": first("use_gtao")}


def set_material_refraction(material: Any, on: bool) -> None:
    """Eevee screen-space refraction of one material (3.x: use_screen_refraction; 4.2+:
    use_raytrace_refraction)."""
    for name in ("use_screen_refraction", "use_raytrace_refraction"):
        if hasattr(material, name):
            setattr(material, name, on)
    if on and hasattr(material, "blend_method") and material.blend_method == "OPAQUE" \
            and hasattr(material, "use_screen_refraction"):
        # 3.x refracts only non-opaque materials in Eevee.
        material.blend_method = "BLEND" if "BLEND" in enum_identifiers(material, "blend_method") else "HASHED"


def sky_type_physical(node: Any) -> str:
    """The physically based sky model: 'NISHITA' (2.90-4.x); 5.x renamed the models."""
    types = enum_identifiers(node, "sky_type")
    for candidate in ("NISHITA", "MULTIPLE_SCATTERING", "SINGLE_SCATTERING"):
        if candidate in types:
            return candidate
    return types[0]


def new_group_socket(tree: Any, in_out: str, socket_type: str, name: str) -> Any:
    """An input ('INPUT') or output ('OUTPUT') socket of a node group: tree.inputs/outputs up to
    3.6, tree.interface from 4.0."""
    interface = getattr(tree, "interface", None)
    if interface is not None and hasattr(interface, "new_socket"):
        return interface.new_socket(name=name, in_out=in_out, socket_type=socket_type)
    sockets = tree.inputs if in_out == "INPUT" else tree.outputs
    return sockets.new(socket_type, name)


def subdivision_simple(modifier: Any) -> bool:
    """Make a Subdivision Surface modifier 'Simple' (no smoothing); False where the mode is gone."""
    if "SIMPLE" in enum_identifiers(modifier, "subdivision_type"):
        modifier.subdivision_type = "SIMPLE"
        return True
    return False


def studio_world_directory() -> str | None:
    """Blender's bundled HDRIs (datafiles/studiolights/world), wherever this build keeps them."""
    import os
    path = bpy.utils.system_resource("DATAFILES", path="studiolights/world")
    return path if path and os.path.isdir(path) else None


def new_rotate_node(nodes: Any) -> Any:
    """A node rotating its first input by its second in local space: Rotate Euler (3.x) or
    Rotate Rotation (4.2+, where Rotate Euler is deprecated)."""
    for idname in ("FunctionNodeRotateRotation", "FunctionNodeRotateEuler"):
        if not hasattr(bpy.types, idname):
            continue
        node = nodes.new(idname)
        for attribute in ("rotation_space", "space"):
            if hasattr(node, attribute):
                setattr(node, attribute, "LOCAL")
        return node
    raise RuntimeError("this Blender has no rotate node for geometry nodes")


def action_fcurves(owner: Any) -> Any:
    """The F-curves of the action animating ``owner`` (an ID with animation_data), or [].

    Up to 4.x: ``action.fcurves``. 5.0 removed it with slotted actions (4.4+): the curves live in
    the channel bag of the owner's slot, in a strip of a layer of the action."""
    animation = getattr(owner, "animation_data", None)
    if animation is None or animation.action is None:
        return []
    action = animation.action
    if hasattr(action, "fcurves"):
        return action.fcurves
    slot = getattr(animation, "action_slot", None)
    if slot is None:
        return []
    for layer in action.layers:
        for strip in layer.strips:
            channelbag = strip.channelbag(slot)
            if channelbag is not None:
                return channelbag.fcurves
    return []


def find_fcurve(owner: Any, data_path: str, index: int) -> Any:
    """The F-curve of ``owner`` animating ``data_path[index]``, or None."""
    return next((curve for curve in action_fcurves(owner)
                 if curve.data_path == data_path and curve.array_index == index), None)


def sequencer_strips(editor: Any) -> Any:
    """A sequence editor's top-level strips: ``strips`` (4.4+; ``sequences`` is gone in 5.0)."""
    return editor.strips if hasattr(editor, "strips") else editor.sequences


def set_ffmpeg_output(settings: Any) -> None:
    """Image settings that write FFmpeg video: 5.0 split the formats by ``media_type`` and lists
    FFMPEG only under VIDEO."""
    if hasattr(settings, "media_type") and "VIDEO" in enum_identifiers(settings, "media_type"):
        settings.media_type = "VIDEO"
    settings.file_format = "FFMPEG"
