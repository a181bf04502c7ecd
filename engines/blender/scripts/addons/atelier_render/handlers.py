"""Render and file tools: stills, animations to MP4 (Blender's FFmpeg), exports and imports.

Renders go to ``renders/`` and exports to ``exports/`` in the project working tree.
Render settings are changed only for the duration of a render, so rendering
never modifies the document (these tools are ``mutates: false``).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import time
from typing import Iterator

import bpy

from atelier_router.helpers import confined_path, eevee_engine_id, get_object, scene
from atelier_router.preview import saved_attributes
from atelier_router.tools import ImageContent, ToolContext, ToolError, ToolResult

THUMBNAIL_MAX = 768


@contextlib.contextmanager
def _render_settings(engine: str, samples: int, width: int, height: int, camera: str) -> Iterator[bpy.types.Scene]:
    current = scene()
    if camera:
        cam = get_object(camera, "CAMERA")
    else:
        cam = current.camera
        if cam is None:
            raise ToolError("the scene has no active camera; add one (camera__add_camera) before rendering")
    render = current.render
    with contextlib.ExitStack() as stack:
        stack.enter_context(saved_attributes(current, ["camera"]))
        stack.enter_context(saved_attributes(render, ["engine", "resolution_x", "resolution_y",
                                                      "resolution_percentage", "filepath", "use_file_extension"]))
        stack.enter_context(saved_attributes(render.image_settings, ["file_format", "color_mode", "quality"]))
        current.camera = cam
        if engine == "cycles":
            stack.enter_context(saved_attributes(current.cycles, ["samples", "use_denoising", "device"]))
            render.engine = "CYCLES"
            current.cycles.samples = samples
            current.cycles.use_denoising = False  # Debian's build has no OpenImageDenoise
            current.cycles.device = "CPU"
        elif engine == "workbench":
            render.engine = "BLENDER_WORKBENCH"
        else:
            stack.enter_context(saved_attributes(current.eevee, ["taa_render_samples"]))
            render.engine = eevee_engine_id()
            current.eevee.taa_render_samples = samples
        render.resolution_x, render.resolution_y = width, height
        render.resolution_percentage = 100
        render.use_file_extension = True
        render.image_settings.file_format = "PNG"
        render.image_settings.color_mode = "RGBA"
        yield current


@contextlib.contextmanager
def _world_lighting_baked_once(current: bpy.types.Scene) -> Iterator[None]:
    """Eevee (3.x to 4.1) bakes the world lighting probe again for every frame it renders when the
    scene has no light cache: ~2.5 s of each frame on 2 cores, against ~0.1 s for the frame itself
    at preview sizes. An animation bakes it once before its frames and frees it afterwards, so the
    document keeps no cache it did not have (an animated world colour is then seen as at the start)."""
    baking = (current.render.engine == "BLENDER_EEVEE" and hasattr(bpy.ops.scene, "light_cache_bake")
              # Blender's own wording for "no cache" (the RNA has no boolean for it).
              and current.eevee.gi_cache_info.startswith("No light cache"))
    if not baking:
        yield
        return
    bpy.ops.scene.light_cache_bake()
    try:
        yield
    finally:
        bpy.ops.scene.light_cache_free()


def _thumbnail(path: str, width: int, height: int) -> ImageContent:
    """A JPEG no larger than THUMBNAIL_MAX for the model to look at."""
    image = bpy.data.images.load(path, check_existing=False)
    try:
        factor = min(1.0, THUMBNAIL_MAX / max(width, height))
        if factor < 1.0:
            image.scale(max(1, int(width * factor)), max(1, int(height * factor)))
        current = scene()
        settings = current.render.image_settings
        with saved_attributes(settings, ["file_format", "color_mode", "quality"]):
            settings.file_format, settings.color_mode, settings.quality = "JPEG", "RGB", 85
            target = os.path.join(tempfile.gettempdir(), f"atelier-thumb-{os.getpid()}.jpg")
            image.save_render(target, scene=current)
        with open(target, "rb") as handle:
            data = handle.read()
        os.remove(target)
        return ImageContent("image/jpeg", data)
    finally:
        bpy.data.images.remove(image)


def render_still(ctx: ToolContext, engine: str = "eevee", samples: int = 16, width: int = 1280,
                 height: int = 720, filename: str = "still.png", camera: str = "") -> ToolResult:
    if not filename.lower().endswith(".png"):
        filename += ".png"
    path = confined_path(ctx.workdir, filename, default_dir="renders")
    started = time.perf_counter()
    ctx.progress(0, 1)
    with _render_settings(engine, samples, width, height, camera) as current:
        bpy.ops.render.render(write_still=False)
        bpy.data.images["Render Result"].save_render(path, scene=current)
    ctx.progress(1, 1)
    seconds = time.perf_counter() - started
    relative = os.path.relpath(path, ctx.workdir)
    return ToolResult(text=f"rendered {relative} ({width}x{height}, {engine}, {samples} samples) in {seconds:.1f} s",
                      data={"path": relative, "width": width, "height": height, "seconds": round(seconds, 2)},
                      images=[_thumbnail(path, width, height)])


def _encode_mp4(frames: list[str], output: str, width: int, height: int, fps: int, fps_base: float) -> None:
    """Encode PNG frames to H.264 MP4 with Blender's own FFmpeg, through a throwaway sequencer scene."""
    encoder = bpy.data.scenes.new("atelier encode")
    try:
        editor = encoder.sequence_editor_create()
        strip = editor.sequences.new_image("frames", frames[0], channel=1, frame_start=1)
        for frame in frames[1:]:
            strip.elements.append(os.path.basename(frame))
        encoder.frame_start, encoder.frame_end = 1, len(frames)
        render = encoder.render
        render.resolution_x, render.resolution_y, render.resolution_percentage = width, height, 100
        render.fps, render.fps_base = fps, fps_base
        render.use_sequencer = True
        encoder.view_settings.view_transform = "Standard"  # frames are already display-referred
        render.image_settings.file_format = "FFMPEG"
        render.ffmpeg.format = "MPEG4"
        render.ffmpeg.codec = "H264"
        render.ffmpeg.constant_rate_factor = "MEDIUM"
        render.ffmpeg.audio_codec = "NONE"
        render.filepath = output
        render.use_file_extension = False
        bpy.ops.render.render(animation=True, scene=encoder.name)
    finally:
        bpy.data.scenes.remove(encoder)


FRAMES_PREFIX = "atelier-frames-"


def _frames_dir() -> str:
    """A temporary folder for an animation's frames, named after this process. Folders of
    processes that no longer exist (an engine killed mid-render) are removed first."""
    root = tempfile.gettempdir()
    for name in os.listdir(root):
        pid = name[len(FRAMES_PREFIX):].split("-", 1)[0]
        if name.startswith(FRAMES_PREFIX) and pid.isdigit() and not os.path.exists(f"/proc/{pid}"):
            shutil.rmtree(os.path.join(root, name), ignore_errors=True)
    return tempfile.mkdtemp(prefix=f"{FRAMES_PREFIX}{os.getpid()}-")


def render_animation(ctx: ToolContext, engine: str = "eevee", samples: int = 8, width: int = 1280,
                     height: int = 720, frame_start: int = 0, frame_end: int = 0, fps: int = 0,
                     filename: str = "animation.mp4", camera: str = "") -> ToolResult:
    if not filename.lower().endswith(".mp4"):
        filename += ".mp4"
    output = confined_path(ctx.workdir, filename, default_dir="renders")
    current = scene()
    start = frame_start or current.frame_start
    end = frame_end or current.frame_end
    if end < start:
        raise ToolError(f"frame_end ({end}) is before frame_start ({start})")
    # H.264 with yuv420p needs even dimensions.
    width, height = width - width % 2, height - height % 2
    fps_value, fps_base = (fps, 1.0) if fps else (current.render.fps, current.render.fps_base)
    total = end - start + 1
    frames_dir = _frames_dir()
    started = time.perf_counter()
    original_frame = current.frame_current
    try:
        frames: list[str] = []
        with _render_settings(engine, samples, width, height, camera) as rendering, \
                _world_lighting_baked_once(rendering):
            for index, frame in enumerate(range(start, end + 1)):
                ctx.check_cancelled()  # between frames: $/cancel stops a long render here
                rendering.frame_set(frame)
                path = os.path.join(frames_dir, f"frame_{index:05d}.png")
                bpy.ops.render.render(write_still=False)
                bpy.data.images["Render Result"].save_render(path, scene=rendering)
                frames.append(path)
                ctx.progress(index + 1, total + 1)
        ctx.check_cancelled()
        _encode_mp4(frames, output, width, height, fps_value, fps_base)
        ctx.progress(total + 1, total + 1)
    finally:
        current.frame_set(original_frame)
        shutil.rmtree(frames_dir, ignore_errors=True)
    if not os.path.isfile(output) or os.path.getsize(output) == 0:
        raise ToolError(f"FFmpeg produced no file at {os.path.relpath(output, ctx.workdir)}")
    seconds = time.perf_counter() - started
    relative = os.path.relpath(output, ctx.workdir)
    return ToolResult(text=f"rendered {relative}: {total} frames {width}x{height} at {fps_value} fps in {seconds:.1f} s",
                      data={"path": relative, "frames": total, "width": width, "height": height,
                            "fps": fps_value, "seconds": round(seconds, 2), "bytes": os.path.getsize(output)})


def _has_operator(group: object, name: str) -> bool:
    return name in dir(group)


def export_scene(ctx: ToolContext, format: str = "glb", filename: str = "", selected_only: bool = False) -> ToolResult:
    filename = filename or f"scene.{format}"
    if not filename.lower().endswith("." + format):
        filename += "." + format
    path = confined_path(ctx.workdir, filename, default_dir="exports")
    if format in ("glb", "gltf"):
        bpy.ops.export_scene.gltf(filepath=path, export_format="GLB" if format == "glb" else "GLTF_SEPARATE",
                                  use_selection=selected_only)
    elif format == "fbx":
        bpy.ops.export_scene.fbx(filepath=path, use_selection=selected_only)
    elif format == "obj":
        if _has_operator(bpy.ops.wm, "obj_export"):
            bpy.ops.wm.obj_export(filepath=path, export_selected_objects=selected_only)
        else:
            bpy.ops.export_scene.obj(filepath=path, use_selection=selected_only)
    elif format == "stl":
        if _has_operator(bpy.ops.wm, "stl_export"):  # Blender 4.2+
            bpy.ops.wm.stl_export(filepath=path, export_selected_objects=selected_only)
        else:
            bpy.ops.export_mesh.stl(filepath=path, use_selection=selected_only)
    else:
        raise ToolError(f"unknown export format {format!r}")
    relative = os.path.relpath(path, ctx.workdir)
    return ToolResult(text=f"exported {relative} ({os.path.getsize(path)} bytes)",
                      data={"path": relative, "bytes": os.path.getsize(path)})


def import_model(ctx: ToolContext, filename: str) -> ToolResult:
    path = confined_path(ctx.workdir, filename)
    if not os.path.isfile(path):
        raise ToolError(f"no file {filename!r} in the project")
    before = set(bpy.data.objects.keys())
    extension = os.path.splitext(path)[1].lower()
    if extension in (".glb", ".gltf"):
        bpy.ops.import_scene.gltf(filepath=path)
    elif extension == ".fbx":
        bpy.ops.import_scene.fbx(filepath=path)
    elif extension == ".obj":
        if _has_operator(bpy.ops.wm, "obj_import"):
            bpy.ops.wm.obj_import(filepath=path)
        else:
            bpy.ops.import_scene.obj(filepath=path)
    elif extension == ".stl":
        if _has_operator(bpy.ops.wm, "stl_import"):
            bpy.ops.wm.stl_import(filepath=path)
        else:
            bpy.ops.import_mesh.stl(filepath=path)
    else:
        raise ToolError(f"cannot import {extension or 'files without an extension'}; use glb, gltf, fbx, obj or stl")
    added = sorted(set(bpy.data.objects.keys()) - before)
    return ToolResult(text=f"imported {len(added)} objects: {', '.join(added)}", data={"objects": added})


AI_COMMAND_HANDLERS = {
    "render_still": render_still,
    "render_animation": render_animation,
    "export": export_scene,
    "import_model": import_model,
}
