# SPDX-License-Identifier: GPL-2.0-or-later
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

from atelier_router import compat
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
            # The scene's choice (render__set_render_settings cycles_denoise) where this build can.
            current.cycles.use_denoising = current.cycles.use_denoising and denoiser_available()
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
    # Eevee Next (4.2+) has no light cache (and no gi_cache_info): nothing to bake or free.
    baking = (current.render.engine == "BLENDER_EEVEE" and hasattr(bpy.ops.scene, "light_cache_bake")
              and hasattr(current.eevee, "gi_cache_info")
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
        strip = compat.sequencer_strips(editor).new_image("frames", frames[0], channel=1, frame_start=1)
        for frame in frames[1:]:
            strip.elements.append(os.path.basename(frame))
        encoder.frame_start, encoder.frame_end = 1, len(frames)
        render = encoder.render
        render.resolution_x, render.resolution_y, render.resolution_percentage = width, height, 100
        render.fps, render.fps_base = fps, fps_base
        render.use_sequencer = True
        encoder.view_settings.view_transform = "Standard"  # frames are already display-referred
        compat.set_ffmpeg_output(render.image_settings)
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


def denoiser_available() -> bool:
    """Whether this Blender's Cycles has OpenImageDenoise (Debian's 3.4 build has not)."""
    try:
        import _cycles
    except ImportError:
        return False
    return bool(getattr(_cycles, "with_openimagedenoise", False))


_VIEW_TRANSFORMS = {"standard": "Standard", "filmic": "Filmic", "agx": "AgX", "khronos_pbr_neutral": "Khronos PBR Neutral"}
_ENGINES = {"eevee": None, "cycles": "CYCLES", "workbench": "BLENDER_WORKBENCH"}


def set_render_settings(engine: str = "", view_transform: str = "", look: str = "", exposure: float | None = None,
                        film_transparent: bool | None = None, eevee: dict | None = None,
                        cycles_denoise: bool | None = None, width: int = 0, height: int = 0) -> ToolResult:
    """Scene render settings, saved with the scene (one undo step)."""
    current = scene()
    notes: list[str] = []
    if engine:
        if engine not in _ENGINES:
            raise ToolError(f"unknown engine {engine!r}; use {', '.join(_ENGINES)}")
        current.render.engine = _ENGINES[engine] or compat.eevee_engine_id()
    if view_transform:
        # The items depend on the OCIO configuration, so the RNA enum lists none: try it.
        try:
            current.view_settings.view_transform = _VIEW_TRANSFORMS.get(view_transform, view_transform)
        except TypeError as exc:
            raise ToolError(f"view transform {view_transform!r} is not in Blender {compat.version_string()}: "
                            f"{exc}") from None
    if look:
        transform = current.view_settings.view_transform
        for candidate in (look, f"{transform} - {look}", "None" if look.lower() == "none" else look):
            try:
                current.view_settings.look = candidate
                break
            except TypeError:
                continue
        else:
            raise ToolError(f"no look {look!r} for the {transform} view transform (e.g. 'Medium High Contrast')")
    if exposure is not None:
        current.view_settings.exposure = exposure
    if film_transparent is not None:
        current.render.film_transparent = film_transparent
    if eevee:
        unknown = set(eevee) - {"ssr", "refraction", "bloom", "ao"}
        if unknown or not all(isinstance(v, bool) for v in eevee.values()):
            raise ToolError("eevee takes {ssr, refraction, bloom, ao} as true/false"
                            + (f"; unknown: {', '.join(sorted(unknown))}" if unknown else ""))
        for feature, note in compat.set_eevee_options(current.eevee, **eevee).items():
            notes.append(f"eevee {feature}: {note}")
    if cycles_denoise is not None:
        if cycles_denoise and not denoiser_available():
            notes.append("cycles denoising: this Blender build has no denoiser (OpenImageDenoise), so renders stay "
                         "noisy; use more samples")
        current.cycles.use_denoising = cycles_denoise and denoiser_available()
    if width:
        current.render.resolution_x = width
    if height:
        current.render.resolution_y = height
    state = render_settings_state()
    return ToolResult(text="render settings: " + ", ".join(f"{k} {v}" for k, v in state.items() if k != "eevee")
                           + f", eevee {state['eevee']}" + ("; " + "; ".join(notes) if notes else ""),
                      data={**state, "notes": notes})


def render_settings_state() -> dict:
    current = scene()
    return {"engine": current.render.engine, "view_transform": current.view_settings.view_transform,
            "look": current.view_settings.look, "exposure": round(current.view_settings.exposure, 3),
            "film_transparent": current.render.film_transparent,
            "resolution": [current.render.resolution_x, current.render.resolution_y],
            "eevee": compat.eevee_options(current.eevee),
            "cycles_denoise": bool(current.cycles.use_denoising) if hasattr(current, "cycles") else None}


_FILE_KINDS = {
    "models": (".glb", ".gltf", ".fbx", ".obj", ".stl"),
    "images": (".png", ".jpg", ".jpeg", ".webp", ".tif", ".tiff", ".bmp"),
    "hdris": (".hdr", ".exr"),
    "fonts": (".ttf", ".otf"),
    "audio": (".wav", ".mp3", ".ogg", ".flac"),
}
_SKIPPED_DIRS = {".git", "renders", "exports", "node_modules", "__pycache__"}


def list_project_files(ctx: ToolContext, kind: str = "models") -> ToolResult:
    """Files in the project by kind; models are what import_model loads."""
    if kind != "all" and kind not in _FILE_KINDS:
        raise ToolError(f"unknown kind {kind!r}; use {', '.join(_FILE_KINDS)} or all")
    extensions = tuple(e for k, group in _FILE_KINDS.items() if kind in ("all", k) for e in group)
    rows = []
    root = os.path.realpath(ctx.workdir)
    for directory, subdirectories, files in os.walk(root):
        subdirectories[:] = sorted(d for d in subdirectories if d not in _SKIPPED_DIRS and not d.startswith("."))
        for name in sorted(files):
            if name.lower().endswith(extensions):
                path = os.path.join(directory, name)
                rows.append({"path": os.path.relpath(path, root), "bytes": os.path.getsize(path)})
    what = "model files import_model can load" if kind == "models" else f"{kind} files"
    text = "\n".join(f"{r['path']} ({r['bytes']} bytes)" for r in rows) or f"no {what} in the project"
    return ToolResult(text=text, data={"files": rows, "kind": kind})


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
    data = {"path": relative, "bytes": os.path.getsize(path)}
    text = f"exported {relative} ({data['bytes']} bytes)"
    url = ctx.download_url(relative)
    if url is not None:
        data["url"] = url
        text += f"; download: {url}"
    return ToolResult(text=text, data=data)


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
    "set_render_settings": set_render_settings,
    "list_project_files": list_project_files,
}
