# SPDX-License-Identifier: GPL-2.0-or-later
"""Viewport preview frames: a Workbench render from atelier's own viewport camera.

The viewport camera is not part of the document: it is linked into the scene
only for the duration of one render and removed afterwards, so it never shows
up in summaries, undo steps, saved files or exports. Every render setting the
preview touches is restored afterwards for the same reason.
"""

from __future__ import annotations

import contextlib
import math
import os
import tempfile
import time
from dataclasses import dataclass, field
from typing import Any, Iterator

import bpy
from mathutils import Vector

from .frame import CODEC_JPEG, CODEC_WEBP
from .helpers import (VIEWPORT_CAMERA_NAME, eevee_engine_id, look_at_rotation, scene, scene_objects,
                      world_bounds)

# From +X/-Y, the side Blender's default camera (and so most render cameras) looks from.
DEFAULT_YAW = math.radians(-40.0)
DEFAULT_PITCH = math.radians(28.0)
ORBIT_RADIANS_PER_PIXEL = 0.01
PAN_PER_PIXEL = 0.0015  # times the view distance
ZOOM_STEP = 0.9         # distance multiplier per unit of delta (positive delta zooms in)
LENS_MM = 35.0
PREVIEW_WORLD_PROBE = "64"  # px of Eevee's world cubemap in "rendered" previews
SENSOR_MM = 36.0
SHADINGS = ("solid", "material", "rendered")
VIEWS = ("camera", "free")
# Workbench anti-aliasing of solid frames. Measured on 3.4.1 (llvmpipe, 640x360): off ~30 ms,
# "5" samples ~6x that, FXAA ~13x (sic): see docs/benchmarks.md.
SOLID_AA = "5"
PREVIEW_EEVEE_SAMPLES = 4  # Eevee anti-aliases by accumulating samples
PREVIEW_WORLD_NAME = "atelier.preview.world"
STUDIO_HDRI = "forest.exr"  # Blender's material-preview default


def _studio_world() -> bpy.types.World | None:
    """A temporary world lit by one of Blender's bundled HDRIs, as Blender's material preview is;
    removed after the frame (the image stays loaded, with no users, so it is never saved)."""
    from .compat import studio_world_directory
    directory = studio_world_directory()
    if directory is None:
        return None
    image = bpy.data.images.load(os.path.join(directory, STUDIO_HDRI), check_existing=True)
    world = bpy.data.worlds.new(PREVIEW_WORLD_NAME)
    world.use_nodes = True
    tree = world.node_tree
    background = next(n for n in tree.nodes if n.type == "BACKGROUND")
    texture = tree.nodes.new("ShaderNodeTexEnvironment")
    texture.image = image
    tree.links.new(texture.outputs["Color"], background.inputs["Color"])
    return world


@contextlib.contextmanager
def saved_attributes(owner: Any, names: list[str]) -> Iterator[None]:
    """Restore the given attributes of ``owner`` on exit, whatever happens."""
    values = {name: getattr(owner, name) for name in names}
    try:
        yield
    finally:
        for name, value in values.items():
            try:
                setattr(owner, name, value)
            except (AttributeError, TypeError, ValueError):
                pass


@dataclass
class ViewState:
    """An orbit camera: target point, distance and angles. ``auto`` frames everything on each render."""

    auto: bool = True
    target: Vector = field(default_factory=lambda: Vector((0.0, 0.0, 0.0)))
    distance: float = 12.0
    yaw: float = DEFAULT_YAW
    pitch: float = DEFAULT_PITCH
    lens: float = 35.0  # mm; the scene camera's when the free view starts from it

    def eye(self) -> Vector:
        direction = Vector((math.cos(self.pitch) * math.cos(self.yaw),
                            math.cos(self.pitch) * math.sin(self.yaw),
                            math.sin(self.pitch)))
        return self.target + direction * self.distance


@dataclass
class RenderedFrame:
    data: bytes
    width: int
    height: int
    codec: int
    render_ms: float
    encode_ms: float
    view: str = "free"
    shading: str = "solid"
    antialias: bool = True


class PreviewRenderer:
    """Renders preview frames of the current scene."""

    def __init__(self, width: int = 640, height: int = 360) -> None:
        self.width = width
        self.height = height
        self.codec = CODEC_JPEG
        self.quality = 80
        self.shading = "solid"  # one of SHADINGS
        self.view_mode = "free"  # one of VIEWS
        self.antialias = True
        self.view = ViewState()
        directory = "/dev/shm" if os.path.isdir("/dev/shm") else tempfile.gettempdir()
        self._path_base = os.path.join(directory, f"atelier-preview-{os.getpid()}")

    # ----- the view ------------------------------------------------------------------------

    def _fit_all(self, width: int | None = None, height: int | None = None,
                 keep_angles: bool = True) -> ViewState:
        bounds = world_bounds(obj for obj in scene_objects() if obj.visible_get())
        keep = keep_angles and not self.view.auto
        state = ViewState(auto=True, yaw=self.view.yaw if keep else DEFAULT_YAW,
                          pitch=self.view.pitch if keep else DEFAULT_PITCH)
        if bounds is None:
            return state
        low, high = bounds
        state.target = (low + high) / 2
        radius = max((high - low).length / 2, 0.5)
        aspect = (width or self.width) / (height or self.height)
        half_fov = math.atan(SENSOR_MM / 2 / LENS_MM)  # horizontal; sensor fit is AUTO
        if aspect < 1:
            half_fov = math.atan(math.tan(half_fov) * aspect)
        else:
            half_fov = math.atan(math.tan(half_fov) / aspect)
        state.distance = radius / math.sin(half_fov) * 1.15
        return state

    def camera(self, action: str, dx: float = 0.0, dy: float = 0.0, delta: float = 0.0) -> None:
        """Apply one viewport/camera action to the view."""
        if action == "reset":
            self.view = ViewState()
            return
        if action not in ("orbit", "pan", "zoom"):
            raise ValueError(f"unknown camera action {action!r}; use orbit, pan, zoom or reset")
        self.leave_camera_view()
        if self.view.auto:
            self.view = self._fit_all()
            self.view.auto = False
        view = self.view
        if action == "orbit":
            view.yaw -= dx * ORBIT_RADIANS_PER_PIXEL
            view.pitch = max(-1.55, min(1.55, view.pitch + dy * ORBIT_RADIANS_PER_PIXEL))
        elif action == "pan":
            forward = (view.target - view.eye()).normalized()
            right = forward.cross(Vector((0.0, 0.0, 1.0)))
            if right.length < 1e-6:
                right = Vector((1.0, 0.0, 0.0))
            right.normalize()
            up = right.cross(forward).normalized()
            scale = view.distance * PAN_PER_PIXEL
            view.target = view.target - right * (dx * scale) + up * (dy * scale)
        elif action == "zoom":
            view.distance = max(0.05, min(1e5, view.distance * (ZOOM_STEP ** delta)))
        else:
            raise ValueError(f"unknown camera action {action!r}; use orbit, pan, zoom or reset")

    # ----- rendering -----------------------------------------------------------------------

    def _camera_object(self, view: ViewState) -> bpy.types.Object:
        # Looked up by name every time: undo and file loads rebuild bpy.data.
        obj = bpy.data.objects.get(VIEWPORT_CAMERA_NAME)
        if obj is None or obj.type != "CAMERA":
            data = bpy.data.cameras.new(VIEWPORT_CAMERA_NAME)
            obj = bpy.data.objects.new(VIEWPORT_CAMERA_NAME, data)
        eye = view.eye()
        obj.location = eye
        obj.rotation_euler = look_at_rotation(eye, view.target)
        obj.data.lens = view.lens
        obj.data.sensor_width = SENSOR_MM
        obj.data.clip_start = max(0.001, view.distance / 1000)
        obj.data.clip_end = view.distance * 20 + 100
        return obj

    def remove_camera(self) -> None:
        obj = bpy.data.objects.get(VIEWPORT_CAMERA_NAME)
        if obj is not None:
            data = obj.data
            bpy.data.objects.remove(obj)
            if data is not None and data.users == 0:
                bpy.data.cameras.remove(data)

    def scene_camera(self) -> bpy.types.Object | None:
        """The scene's active camera (what a render sees), or None."""
        camera = scene().camera
        if camera is None or camera.name == VIEWPORT_CAMERA_NAME or camera.type != "CAMERA":
            return None
        return camera

    def leave_camera_view(self) -> None:
        """Orbiting or panning while looking through the scene camera continues from where that
        camera is, in the free view (as Blender's viewport leaves camera view when orbited)."""
        if self.view_mode != "camera":
            return
        self.view_mode = "free"
        camera = self.scene_camera()
        if camera is None:
            return
        matrix = camera.matrix_world
        eye = matrix.translation.copy()
        forward = (matrix.to_3x3() @ Vector((0.0, 0.0, -1.0))).normalized()
        bounds = world_bounds(obj for obj in scene_objects() if obj.visible_get())
        distance = max(((bounds[0] + bounds[1]) / 2 - eye).length, 0.5) if bounds else 10.0
        state = ViewState(auto=False, target=eye + forward * distance, distance=distance,
                          lens=camera.data.lens * SENSOR_MM / camera.data.sensor_width)
        state.pitch = math.asin(max(-1.0, min(1.0, -forward.z)))
        state.yaw = math.atan2(-forward.y, -forward.x)
        self.view = state

    def render(self, width: int | None = None, height: int | None = None,
               shading: str | None = None, world_probe: str | None = PREVIEW_WORLD_PROBE,
               view: str | None = None, antialias: bool | None = None) -> RenderedFrame:
        """One frame. ``shading``: "solid" (Workbench), "material" (Eevee lit by a studio HDRI) or
        "rendered" (Eevee with the scene's lights and world). ``view``: "camera" (the scene's
        active camera; the free view when there is none), "free" (the orbit camera the hub
        drives) or "overview" (every object framed). ``world_probe``: Eevee's world cubemap size
        (None: the scene's own, as a real render uses it)."""
        current = scene()
        width = width or self.width
        height = height or self.height
        shading = shading or self.shading
        antialias = self.antialias if antialias is None else antialias
        if shading not in SHADINGS:
            raise ValueError(f"shading must be one of {', '.join(SHADINGS)}, not {shading!r}")
        view = view or self.view_mode
        if view not in VIEWS + ("overview",):
            raise ValueError(f"view must be one of {', '.join(VIEWS)} or overview, not {view!r}")
        codec = self.codec
        path = self._path_base + (".webp" if codec == CODEC_WEBP else ".jpg")
        render = current.render
        started = time.perf_counter()
        scene_camera = self.scene_camera() if view == "camera" else None
        used_view = "camera" if scene_camera is not None else ("overview" if view == "overview" else "free")
        camera = None
        if scene_camera is None:
            state = self.view if (used_view == "free" and not self.view.auto) else \
                self._fit_all(width, height, keep_angles=used_view == "free")
            camera = self._camera_object(state)
            current.collection.objects.link(camera)
        preview_world = None
        try:
            with contextlib.ExitStack() as stack:
                stack.enter_context(saved_attributes(current, ["camera", "world"]))
                stack.enter_context(saved_attributes(render, [
                    "engine", "resolution_x", "resolution_y", "resolution_percentage", "film_transparent",
                    "use_border", "use_compositing", "use_sequencer", "filter_size"]))
                settings = render.image_settings
                stack.enter_context(saved_attributes(settings, ["file_format", "color_mode", "quality"]))
                stack.enter_context(saved_attributes(current.display, ["render_aa"]))
                shading_settings = current.display.shading
                stack.enter_context(saved_attributes(shading_settings, [
                    "light", "color_type", "background_type", "show_shadows", "show_cavity"]))
                if shading in ("rendered", "material"):
                    stack.enter_context(saved_attributes(current.eevee, ["taa_render_samples"]))
                    render.engine = eevee_engine_id()
                    current.eevee.taa_render_samples = PREVIEW_EEVEE_SAMPLES if antialias else 1
                    if world_probe and hasattr(current.eevee, "gi_cubemap_resolution"):
                        # Every Eevee render bakes the world probe again: ~2.5 s at the default
                        # 512 px on 2 cores (llvmpipe), ~0.1 s at 64 px, which a preview can afford.
                        stack.enter_context(saved_attributes(current.eevee, ["gi_cubemap_resolution"]))
                        # 64 px up to 4.1; Eevee Next (4.2+) starts at 128 px.
                        from .compat import set_enum_at_least
                        set_enum_at_least(current.eevee, "gi_cubemap_resolution", world_probe)
                    if shading == "material":
                        preview_world = _studio_world()
                        if preview_world is not None:
                            current.world = preview_world
                else:
                    # Solid previews show #RRGGBB colours as given; Filmic would wash them out.
                    stack.enter_context(saved_attributes(current.view_settings, ["view_transform", "look"]))
                    current.view_settings.view_transform = "Standard"
                    current.view_settings.look = "None"
                    render.engine = "BLENDER_WORKBENCH"
                    current.display.render_aa = SOLID_AA if antialias else "OFF"
                    shading_settings.light = "STUDIO"
                    shading_settings.color_type = "MATERIAL"
                    shading_settings.background_type = "WORLD"
                    shading_settings.show_shadows = False
                    shading_settings.show_cavity = False
                current.camera = scene_camera or camera
                render.resolution_x = width
                render.resolution_y = height
                render.resolution_percentage = 100
                render.film_transparent = False
                render.use_border = False
                render.use_compositing = False
                render.use_sequencer = False
                bpy.ops.render.render(write_still=False)
                rendered = time.perf_counter()
                settings.file_format = "WEBP" if codec == CODEC_WEBP else "JPEG"
                settings.color_mode = "RGB"
                settings.quality = self.quality
                bpy.data.images["Render Result"].save_render(path, scene=current)
        finally:
            if camera is not None:
                current.collection.objects.unlink(camera)
                self.remove_camera()
            if preview_world is not None:
                bpy.data.worlds.remove(preview_world)
        with open(path, "rb") as handle:
            data = handle.read()
        done = time.perf_counter()
        return RenderedFrame(data=data, width=width, height=height, codec=codec,
                             render_ms=(rendered - started) * 1000, encode_ms=(done - rendered) * 1000,
                             view=used_view, shading=shading, antialias=antialias)

    def cleanup(self) -> None:
        for suffix in (".jpg", ".webp"):
            with contextlib.suppress(OSError):
                os.remove(self._path_base + suffix)
