# SPDX-License-Identifier: GPL-2.0-or-later
"""The engine: Blender's main-thread loop that executes the hub's requests.

``bpy.app.timers`` never fire under ``blender -b`` and Blender exits when the
startup script returns, so :meth:`Engine.run` is a plain loop on the main thread
that takes work from a queue filled by the network thread (:mod:`.link`). All
bpy calls happen here; the network thread only parses, records ``$/cancel``
and coalesces ``viewport/camera`` requests.
"""

from __future__ import annotations

import os
import queue
import sys
import threading
import time
import traceback
from dataclasses import dataclass
from typing import Any, Callable, Mapping

import bpy

from . import compat, protocol
from .addons import AddonRegistry
from .frame import CODEC_JPEG, CODEC_MIME, CODEC_WEBP, encode_frame
from .helpers import eevee_engine_id
from .link import (EVENT_CONNECTED, EVENT_DISCONNECTED, EVENT_GAVE_UP, EVENT_REJECTED, HubLink,
                   ReconnectPolicy)
from .preview import SHADINGS, VIEWS, PreviewRenderer, RenderedFrame, saved_attributes
from .protocol import INVALID_PARAMS, Message, RpcError, params_object
from .summary import scene_summary
from .tools import CancelSet, ToolContext, ToolResult, call_result, error_for_exception, invoke

ENGINE_KIND = "blender"
EXECUTE_PYTHON_TOOL = "router__execute_python"
ENGINE_VERSION = "0.1.0"
INSTRUCTIONS = (
    "You are driving Blender {blender} through tools. Units are metres, Z is up, rotations are in degrees. "
    "Objects are addressed by their exact names; call scene__list_objects or router__scene_summary when unsure. "
    "Every mutating tool is one undo step (router__undo reverts it; router__history lists the steps). "
    "Check your work through the render camera: router__screenshot with view camera (shading rendered shows "
    "lights, world and materials as a render will; solid is faster and shows only colours)."
)


@dataclass
class EngineConfig:
    """Configuration from the environment the hub sets (DESIGN §12)."""

    hub_url: str | None
    token: str
    session_id: str
    workdir: str
    execute_python: bool = False
    give_up_after_s: float = 120.0
    addons: list[str] | None = None
    debug: bool = False
    warmup: bool = False
    project_id: str = ""  # ATELIER_PROJECT_ID, or project/open's: names outputs' download URLs

    @classmethod
    def from_environ(cls, env: Mapping[str, str], options: list[str] | None = None) -> "EngineConfig":
        """From the hub's environment, plus the engine kind's options: the arguments after ``--``
        in its command (``--execute-python``, ``--warmup``). Options exist because the hub
        passes its own ``ATELIER_*`` settings to no engine, so a config file cannot set them."""
        options = options or []
        unknown = [option for option in options if option not in ENGINE_OPTIONS]
        if unknown:
            raise ValueError(f"unknown engine option(s) {' '.join(unknown)}; known: {' '.join(ENGINE_OPTIONS)}")
        addons = env.get("ATELIER_BLENDER_ADDONS")
        return cls(
            hub_url=env.get("ATELIER_HUB_URL") or None,
            token=env.get("ATELIER_ENGINE_TOKEN", ""),
            session_id=env.get("ATELIER_SESSION_ID", ""),
            workdir=os.path.abspath(env.get("ATELIER_WORKDIR") or os.getcwd()),
            execute_python=env.get("ATELIER_BLENDER_EXECUTE_PYTHON", "") == "1" or "--execute-python" in options,
            give_up_after_s=float(env.get("ATELIER_RECONNECT_GIVE_UP_S", "120")),
            addons=[a.strip() for a in addons.split(",") if a.strip()] if addons else None,
            debug=env.get("ATELIER_DEBUG", "") == "1",
            warmup=env.get("ATELIER_WARMUP", "") == "1" or "--warmup" in options,
            project_id=env.get("ATELIER_PROJECT_ID", ""),
        )


# Options of the engine kind's command, after `--`: blender -b ... --python bootstrap.py -- --warmup
ENGINE_OPTIONS = {
    "--execute-python": "enable router__execute_python (arbitrary Python; off by default)",
    "--warmup": "render one tiny Eevee frame before connecting, so the user's first Eevee render is not the "
                "slow one (for pooled engines, whose start-up nobody waits for)",
}


_current: "Engine | None" = None


def current_engine() -> "Engine":
    """The running engine (router tools use it); raises when none is running."""
    if _current is None:
        raise RuntimeError("the atelier engine is not running")
    return _current


class Engine:
    def __init__(self, config: EngineConfig) -> None:
        global _current
        _current = self
        self.config = config
        self.cancels = CancelSet()
        self.registry = AddonRegistry(self.log)
        if not config.execute_python:
            self.registry.switched_off.add(EXECUTE_PYTHON_TOOL)
        self.preview = PreviewRenderer()
        self.link: HubLink | None = None
        self.frame_seq = 0
        self.last_preview: RenderedFrame | None = None
        self.exit_code = 0
        # The factory scene, untouched since start (no file opened, no mutating call): a pooled
        # engine in this state keeps its scene, and what its warm-up compiled, on project/open.
        self.pristine = False
        # Whether the document differs from scene.blend in the working tree. A .blend is not
        # byte-reproducible, so saving an unchanged scene would still give the hub a new version.
        self.unsaved = True
        self._work: queue.Queue[tuple[str, Any]] = queue.Queue()
        self._camera_lock = threading.Lock()
        self._camera_pending: list[Message] = []
        self._refine_pending = False
        self._after_reply: list[Callable[[], None]] = []
        self._stopping = False
        self._hello_result: dict[str, Any] = {}
        # Labels of the undo steps this engine pushed ("modeling__add_primitive shape=monkey"),
        # oldest first, and which one the document is at; router__history reads them.
        self.history: list[str] = ["start"]
        self.history_position = 0
        self.dispatcher = protocol.Dispatcher()
        for method, handler in {
            "tools/call": self._rpc_tools_call,
            "project/save": self._rpc_project_save,
            "project/open": self._rpc_project_open,
            "project/files_changed": self._rpc_files_changed,
            "viewport/configure": self._rpc_viewport_configure,
            "engine/warmup": self._rpc_warmup,
            "engine/shutdown": self._rpc_shutdown,
            "engine/ping": lambda message: {"pong": True},
        }.items():
            self.dispatcher.register(method, handler)

    # ----- logging --------------------------------------------------------------------------

    def log(self, level: str, message: str, **fields: Any) -> None:
        """Log to stderr (the hub keeps it as the engine log) and, when connected, as ``log``."""
        print(f"[atelier {level}] {message}", file=sys.stderr, flush=True)
        if self.link is not None and self.link.connected:
            self.link.notify("log", {"level": level, "message": message, **fields})

    def notify(self, method: str, params: dict[str, Any]) -> None:
        if self.link is not None:
            self.link.notify(method, params)

    # ----- startup ---------------------------------------------------------------------------

    def prepare(self) -> None:
        """Everything before the hub is contacted: addons, the project file, the first undo step."""
        _patch_numpy()
        self.registry.scan()
        self.registry.enable_all(self.config.addons)
        os.makedirs(self.config.workdir, exist_ok=True)
        blend = os.path.join(self.config.workdir, "scene.blend")
        if os.path.isfile(blend):
            self.open_project(blend)
        else:
            bpy.ops.ed.undo_push(message="atelier: start")
            self.pristine = True

    def open_project(self, path: str) -> None:
        bpy.ops.wm.open_mainfile(filepath=path, load_ui=False)
        # A file load resets the undo stack; undo needs a first step again (DESIGN §8).
        bpy.ops.ed.undo_push(message="atelier: open")
        self.reset_history(f"opened {os.path.basename(path)}")
        self.unsaved = not os.path.isfile(os.path.join(os.path.dirname(path), "scene.glb"))
        self.log("info", f"opened {path}")

    def hello_params(self) -> dict[str, Any]:
        # `version` is what the hub records and the studio shows: the application's version
        # (docs/protocol.md), so users see the Blender they run; the addons' own version is
        # `engine_version`.
        blender = compat.version_string()
        return {"token": self.config.token, "kind": ENGINE_KIND, "version": blender,
                "engine_version": ENGINE_VERSION, "app": {"name": "Blender", "version": blender},
                "protocol": protocol.PROTOCOL_VERSION, "instructions": INSTRUCTIONS.format(blender=blender),
                "blender_version": bpy.app.version_string, "session_id": self.config.session_id}

    def tools_update_text(self) -> str:
        return protocol.notification("tools/update", self.registry.tools_update_params())

    def run(self) -> int:
        """Connect and serve until engine/shutdown or until the hub is gone for good."""
        self.prepare()
        if not self.config.hub_url:
            self.log("error", "ATELIER_HUB_URL is not set; nothing to connect to")
            return 2
        self.link = HubLink(self.config.hub_url, self.hello_params(), self._on_message, self._on_event,
                            ReconnectPolicy(give_up_after_s=self.config.give_up_after_s))
        self.link.set_tools_update(self.tools_update_text())
        if self.config.warmup:
            # Before connecting: a pooled engine is then warm by the time the hub can hand it out.
            self._guard("warm-up", self.warmup)
        self.link.start()
        # The first Workbench render of a process costs ~1 s of shader setup; pay it while the
        # hello is in flight rather than on the user's first command.
        self._guard("preview warm-up", lambda: self.preview.render(64, 36))
        while not self._stopping:
            try:
                kind, payload = self._work.get(timeout=0.2)
            except queue.Empty:
                kind, payload = "idle", None
            if kind == "rpc":
                self._process(payload)
            elif kind == "event":
                self._handle_event(*payload)
            elif kind == "idle":
                self.refine_preview()
            self._render_pending_camera()
        self.link.stop()
        self.preview.cleanup()
        return self.exit_code

    # ----- network thread callbacks ------------------------------------------------------------

    def _on_message(self, text: str) -> None:
        try:
            message = protocol.parse(text)
        except RpcError as exc:
            if self.link is not None:
                self.link.send_text(protocol.error(protocol.request_id_of(text), exc.code, exc.message))
            return
        if message.method == "$/cancel":
            call_id = (message.params or {}).get("call_id") if isinstance(message.params, dict) else None
            if call_id is not None:
                self.cancels.cancel(str(call_id))
            if message.kind == "request" and self.link is not None:
                self.link.send_text(protocol.result(message.id, {}))
            return
        if message.method == "viewport/camera":
            with self._camera_lock:
                self._camera_pending.append(message)
            self._work.put(("wake", None))
            return
        self._work.put(("rpc", message))

    def _on_event(self, kind: str, payload: Any) -> None:
        self._work.put(("event", (kind, payload)))

    # ----- main thread ----------------------------------------------------------------------

    def _handle_event(self, kind: str, payload: Any) -> None:
        if kind == EVENT_CONNECTED:
            self._hello_result = payload
            self.log("info", f"connected to the hub ({self.config.hub_url})")
            for addon in self.registry.scanned():
                for error in addon.errors:
                    self.log("error", f"addon {addon.module}: invalid addon_ai.json: {error}",
                             addon=addon.addon_id, path=error.path)
                if addon.unavailable:
                    self.log("error", f"addon {addon.module}: unavailable: {addon.unavailable}",
                             addon=addon.addon_id, path="/ai_integration/requirements/blender_version_min")
            if payload.get("warmup"):
                self._guard("warm-up", self.warmup)
            # The scene this engine starts with (the project's scene.blend) and its first frame,
            # so a session's tabs describe it before the first command.
            self._guard("scene", lambda: self._announce_change(scene_summary(self.config.workdir)))
        elif kind == EVENT_DISCONNECTED:
            self.log("warning", f"hub connection lost: {payload.get('reason')}; reconnecting")
        elif kind == EVENT_REJECTED:
            self.log("error", f"the hub refused engine/hello: {payload.get('message', payload)}")
            self.exit_code = 3
            self._stopping = True
        elif kind == EVENT_GAVE_UP:
            self.log("error", f"giving up on the hub: {payload.get('reason')}")
            self.exit_code = 4
            self._stopping = True

    def _process(self, message: Message) -> None:
        self._after_reply = []
        reply = self.dispatcher.dispatch(message)
        if reply is not None and self.link is not None:
            self.link.send_text(reply)
        after, self._after_reply = self._after_reply, []
        for action in after:
            self._guard("after reply", action)

    def _guard(self, what: str, action: Callable[[], Any]) -> None:
        try:
            action()
        except Exception as exc:  # noqa: BLE001 - keep serving; report instead
            self.log("error", f"{what} failed: {type(exc).__name__}: {exc}", traceback=traceback.format_exc())
            if what.startswith("preview"):
                self.notify("preview/error", {"message": f"{type(exc).__name__}: {exc}",
                                              "traceback": traceback.format_exc()})

    # ----- tools -----------------------------------------------------------------------------

    def _rpc_tools_call(self, message: Message) -> dict[str, Any]:
        params = params_object(message)
        tool = params.get("tool")
        arguments = params.get("arguments") or {}
        if not isinstance(tool, str) or not isinstance(arguments, dict):
            raise RpcError(INVALID_PARAMS, "tools/call needs {tool: string, arguments: object, call_id}")
        call_id = params.get("call_id", message.id)
        return self.call_tool(tool, arguments, None if call_id is None else str(call_id))

    def call_tool(self, name: str, arguments: dict[str, Any], call_id: str | None = None) -> dict[str, Any]:
        """Run one tool; for mutating tools push an undo step and schedule scene/changed + a frame.

        A mutating tool that fails is rolled back to the previous undo step, so a call either
        happens completely or not at all.
        """
        spec = self.registry.resolve(name)
        if self.cancels.is_cancelled(call_id):
            self.cancels.discard(call_id)
            raise RpcError(protocol.CANCELLED, f"call {call_id} was cancelled before it started")
        ctx = ToolContext(call_id=call_id, workdir=self.config.workdir, cancels=self.cancels,
                          notify=self.notify, project_id=self.config.project_id)
        started = time.perf_counter()
        try:
            result = invoke(spec, arguments, ctx)
        except Exception as exc:  # noqa: BLE001 - every tool failure becomes a JSON-RPC error
            trace = traceback.format_exc()
            if spec.mutates and not getattr(spec.handler, "atelier_no_undo_push", False):
                self._roll_back()
            raise error_for_exception(exc, trace) from None
        finally:
            self.cancels.discard(call_id)
        elapsed_ms = (time.perf_counter() - started) * 1000
        scene = None
        if spec.mutates:
            self.pristine = False
            self.unsaved = True
            if not getattr(spec.handler, "atelier_no_undo_push", False):
                bpy.ops.ed.undo_push(message=f"atelier: {name}")
                self.record_step(history_label(name, arguments))
            scene = scene_summary(self.config.workdir)
            self._after_reply.append(lambda: self._announce_change(scene))
        elif getattr(spec.handler, "atelier_redraws", False):
            # A change of view, not of the document (the current frame): a frame shows it.
            self._after_reply.append(lambda: self._guard("preview", self.send_preview))
        if self.config.debug:
            print(f"[atelier debug] {name} took {elapsed_ms:.1f} ms", file=sys.stderr, flush=True)
        return call_result(result, scene)

    def reset_history(self, label: str) -> None:
        self.history, self.history_position = [label], 0

    def record_step(self, label: str) -> None:
        # A new step after undo discards the redo branch, as Blender's undo stack does.
        self.history = self.history[:self.history_position + 1] + [label]
        self.history_position = len(self.history) - 1

    def move_in_history(self, steps: int) -> None:
        """After ``steps`` undo (negative) or redo (positive) steps Blender performed."""
        self.history_position = max(0, min(len(self.history) - 1, self.history_position + steps))

    def _roll_back(self) -> None:
        try:
            bpy.ops.ed.undo_push(message="atelier: failed call")
            bpy.ops.ed.undo()
        except RuntimeError as exc:
            self.log("warning", f"could not roll back a failed call: {exc}")

    def _rpc_files_changed(self, message: Message) -> None:
        """An upload or import put files in the project: the summary lists its assets, so a new one
        reaches the tabs and the agent's next step (the scene itself did not change: no frame)."""
        self.notify("scene/changed", {"summary": scene_summary(self.config.workdir)})

    def _announce_change(self, scene: dict[str, Any]) -> None:
        self.notify("scene/changed", {"summary": scene})
        self._guard("preview", self.send_preview)

    # ----- preview ---------------------------------------------------------------------------

    def refine_preview(self) -> None:
        """Navigation frames skip anti-aliasing to keep orbiting fluid; once the camera has been
        still for an idle tick (0.2 s without work), the same view is sent again anti-aliased."""
        if self._refine_pending:
            self._refine_pending = False
            self._guard("preview (refine)", self.send_preview)

    def send_preview(self, navigating: bool = False) -> RenderedFrame:
        """Render and send one frame. ``navigating``: a viewport/camera frame, rendered without
        anti-aliasing; an anti-aliased one follows when the camera rests (see run())."""
        frame = self.preview.render(antialias=False if navigating else None)
        self._refine_pending = navigating and self.preview.antialias
        self.frame_seq = (self.frame_seq + 1) & 0xFFFFFFFF
        self.last_preview = frame
        if self.link is not None:
            self.link.send_frame(encode_frame(self.frame_seq, frame.width, frame.height, frame.codec, frame.data))
        return frame

    def screenshot(self, width: int | None = None, height: int | None = None, view: str = "camera",
                   shading: str = "solid") -> ToolResult:
        from .tools import ImageContent
        camera = self.preview.scene_camera()
        note = ""
        if view == "camera" and camera is None:
            view, note = "overview", " (the scene has no active camera, so this is an overview)"
        if view == "camera" and camera is not None and not width and not height:
            # The render's aspect, so the image is framed as a render will be.
            render = bpy.context.scene.render
            longest = max(self.preview.width, self.preview.height)
            scale = longest / max(render.resolution_x, render.resolution_y)
            width, height = max(16, round(render.resolution_x * scale)), max(16, round(render.resolution_y * scale))
        frame = self.preview.render(width, height, shading=shading, view=view)
        seen = f"through the scene camera {camera.name}" if frame.view == "camera" and camera is not None \
            else "an overview framing every object"
        return ToolResult(text=f"screenshot {frame.width}x{frame.height}, {frame.shading} shading, {seen}{note}",
                          data={"width": frame.width, "height": frame.height, "view": frame.view,
                                "shading": frame.shading},
                          images=[ImageContent(CODEC_MIME[frame.codec], frame.data)])

    def _render_pending_camera(self) -> None:
        with self._camera_lock:
            pending, self._camera_pending = self._camera_pending, []
        if not pending:
            return
        errors: dict[int, str] = {}
        for index, message in enumerate(pending):
            params = message.params if isinstance(message.params, dict) else {}
            try:
                self.preview.camera(str(params.get("action", "")), float(params.get("dx", 0) or 0),
                                    float(params.get("dy", 0) or 0), float(params.get("delta", 0) or 0))
            except (ValueError, TypeError) as exc:
                errors[index] = str(exc)
        self._guard("preview (camera)", lambda: self.send_preview(navigating=True))
        if self.link is None:
            return
        for index, message in enumerate(pending):
            if message.kind != "request":
                continue
            if index in errors:
                self.link.send_text(protocol.error(message.id, INVALID_PARAMS, errors[index]))
            else:
                self.link.send_text(protocol.result(message.id, {"seq": self.frame_seq,
                                                                 "coalesced": index != len(pending) - 1,
                                                                 "view": self.preview.view_mode}))

    def _rpc_viewport_configure(self, message: Message) -> dict[str, Any]:
        params = params_object(message)
        width = int(params.get("width", self.preview.width))
        height = int(params.get("height", self.preview.height))
        if not (16 <= width <= 4096 and 16 <= height <= 4096):
            raise RpcError(INVALID_PARAMS, f"viewport size {width}x{height} must be within 16..4096")
        codec = params.get("codec", self.preview.codec)
        codec = {"jpeg": CODEC_JPEG, "webp": CODEC_WEBP}.get(codec, codec) if isinstance(codec, str) else codec
        if codec not in (CODEC_JPEG, CODEC_WEBP):
            raise RpcError(INVALID_PARAMS, "codec must be 1/\"jpeg\" or 2/\"webp\"")
        shading = params.get("shading", self.preview.shading)
        if shading not in SHADINGS:
            raise RpcError(INVALID_PARAMS, f"shading must be one of {', '.join(map(repr, SHADINGS))}")
        view = params.get("view", self.preview.view_mode)
        if view not in VIEWS:
            raise RpcError(INVALID_PARAMS, f"view must be one of {', '.join(map(repr, VIEWS))}")
        antialias = params.get("antialias", self.preview.antialias)
        if not isinstance(antialias, bool):
            raise RpcError(INVALID_PARAMS, "antialias must be true or false")
        quality = int(params.get("quality", self.preview.quality))
        self.preview.antialias = antialias
        self.preview.width, self.preview.height = width, height
        self.preview.codec, self.preview.shading = codec, shading
        self.preview.view_mode = view
        self.preview.quality = max(1, min(100, quality))
        self._after_reply.append(lambda: self._guard("preview", self.send_preview))
        return {"width": width, "height": height, "codec": codec, "shading": shading, "view": view,
                "antialias": antialias,
                "camera": None if view != "camera" or self.preview.scene_camera() is None
                else self.preview.scene_camera().name}

    # ----- project ---------------------------------------------------------------------------

    def save_project(self) -> dict[str, Any]:
        started = time.perf_counter()
        workdir = self.config.workdir
        os.makedirs(workdir, exist_ok=True)
        blend = os.path.join(workdir, "scene.blend")
        glb = os.path.join(workdir, "scene.glb")
        if not self.unsaved and os.path.isfile(blend) and os.path.isfile(glb):
            return {"files": ["scene.blend", "scene.glb"], "ms": 0.0, "unchanged": True}
        self.preview.remove_camera()
        bpy.ops.wm.save_as_mainfile(filepath=blend, check_existing=False, compress=False)
        bpy.ops.export_scene.gltf(filepath=glb, export_format="GLB")
        for leftover in (blend + "1",):  # Blender's backup of the previous save
            if os.path.exists(leftover):
                os.remove(leftover)
        self.unsaved = False
        return {"files": ["scene.blend", "scene.glb"], "ms": round((time.perf_counter() - started) * 1000, 1)}

    def open_workdir(self, workdir: str, session_id: str | None = None,
                     project_id: str | None = None) -> dict[str, Any]:
        """Make ``workdir`` the project: open its scene.blend, or start from the factory scene.

        This is how a pooled engine, launched before any session existed, is handed a session's
        working tree (the hub's ``project/open``)."""
        started = time.perf_counter()
        workdir = os.path.abspath(workdir)
        if not os.path.isdir(workdir):
            raise RpcError(INVALID_PARAMS, f"project/open: {workdir} is not a directory")
        self.config.workdir = workdir
        if session_id is not None:
            self.config.session_id = session_id
        if project_id is not None:
            self.config.project_id = project_id
        os.chdir(workdir)
        blend = os.path.join(workdir, "scene.blend")
        if os.path.isfile(blend):
            self.open_project(blend)
            self.pristine = False
        else:
            self.unsaved = True
            if not self.pristine:
                # Keeps enabled addons (checked on 3.4). Not for a pristine engine: reloading would
                # throw away the shaders its warm-up compiled (the first Eevee render pays again).
                bpy.ops.wm.read_homefile(use_factory_startup=True, load_ui=False)
                bpy.ops.ed.undo_push(message="atelier: new project")
            self.reset_history("new project")
        self.preview.view = type(self.preview.view)()  # a new project starts with the framing view
        summary = scene_summary(self.config.workdir)
        self._after_reply.append(lambda: self._announce_change(summary))
        return {"workdir": workdir, "opened": "scene.blend" if os.path.isfile(blend) else None,
                "ms": round((time.perf_counter() - started) * 1000, 1)}

    def _rpc_project_open(self, message: Message) -> dict[str, Any]:
        params = params_object(message)
        workdir = params.get("workdir")
        session_id = params.get("session_id")
        if not isinstance(workdir, str) or not workdir:
            raise RpcError(INVALID_PARAMS, "project/open needs {workdir: string, session_id?: string}")
        try:
            project_id = params.get("project_id")
            return self.open_workdir(workdir, session_id if isinstance(session_id, str) else None,
                                     project_id if isinstance(project_id, str) else None)
        except RpcError:
            raise
        except Exception as exc:  # noqa: BLE001
            raise RpcError(protocol.TOOL_FAILED, f"opening {workdir} failed: {exc}",
                           {"traceback": traceback.format_exc()}) from None

    def _rpc_project_save(self, message: Message) -> dict[str, Any]:
        try:
            return self.save_project()
        except Exception as exc:  # noqa: BLE001
            raise RpcError(protocol.TOOL_FAILED, f"saving the project failed: {exc}",
                           {"traceback": traceback.format_exc()}) from None

    # ----- lifecycle -------------------------------------------------------------------------

    def warmup(self) -> dict[str, Any]:
        """One tiny Eevee render so the user's first Eevee render is not the slow one (~4 s)."""
        started = time.perf_counter()
        current = bpy.context.scene
        with saved_attributes(current.render, ["engine", "resolution_x", "resolution_y",
                                               "resolution_percentage"]), \
                saved_attributes(current.eevee, ["taa_render_samples"]):
            current.render.engine = eevee_engine_id()
            current.render.resolution_x, current.render.resolution_y = 64, 36
            current.render.resolution_percentage = 100
            current.eevee.taa_render_samples = 1
            # The scene's own world probe size, as the user's renders will use it (not the preview's).
            self.preview.render(64, 36, shading="rendered", world_probe=None)
        elapsed = round((time.perf_counter() - started) * 1000, 1)
        self.log("info", f"warm-up render took {elapsed} ms")
        return {"ms": elapsed}

    def _rpc_warmup(self, message: Message) -> dict[str, Any]:
        return self.warmup()

    def _rpc_shutdown(self, message: Message) -> dict[str, Any]:
        self._stopping = True
        return {}


def history_label(tool: str, arguments: dict[str, Any], limit: int = 100) -> str:
    """'modeling__add_primitive shape=monkey location=[0, 0, 1]': what a step did, for router__history."""
    parts = [tool] + [f"{key}={value}" for key, value in arguments.items() if key != "ctx"]
    label = " ".join(parts)
    return label if len(label) <= limit else label[:limit - 1] + "…"


def _patch_numpy() -> None:
    # glTF import uses np.bool, which numpy 1.24 removed (DESIGN §8).
    try:
        import numpy
    except ImportError:
        return
    if "bool" not in numpy.__dict__:
        numpy.bool = bool  # type: ignore[attr-defined]


def run_from_environment(options: list[str] | None = None) -> int:
    """Entry point of bootstrap.py; ``options`` are the command's arguments after ``--``."""
    try:
        config = EngineConfig.from_environ(os.environ, options)
    except ValueError as exc:
        print(f"[atelier error] {exc}", file=sys.stderr, flush=True)
        return 2
    return Engine(config).run()
