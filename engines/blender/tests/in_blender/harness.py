# SPDX-License-Identifier: GPL-2.0-or-later
"""One engine per Blender process for the in-Blender tests, and image statistics helpers."""

from __future__ import annotations

import os
import tempfile
from typing import Any

import addon_utils
import bpy
import numpy

# Enable the router through Blender before importing it, as bootstrap.py does; a plain import
# first would make Blender "reload" the module on the next file load.
addon_utils.enable("atelier_router", default_set=True, persistent=True)

from atelier_router.engine import Engine, EngineConfig  # noqa: E402
from atelier_router.protocol import RpcError  # noqa: E402

_engine: Engine | None = None


def engine() -> Engine:
    """The shared engine: addons enabled, scene prepared, not connected to any hub."""
    global _engine
    if _engine is None:
        workdir = os.environ.get("ATELIER_WORKDIR") or tempfile.mkdtemp(prefix="atelier-test-")
        _engine = Engine(EngineConfig(hub_url=None, token="", session_id="test", workdir=workdir))
        _engine.notifications = []  # type: ignore[attr-defined]
        _engine.notify = lambda method, params: _engine.notifications.append((method, params))  # type: ignore
        _engine.prepare()
    return _engine


def call(tool: str, **arguments: Any) -> dict[str, Any]:
    """tools/call through the engine, including the after-reply work (scene/changed + frame)."""
    current = engine()
    current._after_reply = []
    try:
        return current.call_tool(tool, arguments, call_id=arguments.pop("_call_id", None))
    finally:
        after, current._after_reply = current._after_reply, []
        for action in after:
            action()


def call_error(tool: str, **arguments: Any) -> RpcError:
    try:
        call(tool, **arguments)
    except RpcError as error:
        return error
    raise AssertionError(f"{tool} did not fail")


def fresh_scene() -> None:
    """An empty scene with a neutral world; one undo step."""
    call("scene__clear_scene")
    # A new world, so nothing of an earlier test's world (an image background the camera sees, a
    # sky, an HDRI) outlives it: clear_scene removes objects, not the world.
    scene = bpy.context.scene
    old = scene.world
    scene.world = bpy.data.worlds.new("World")
    if old is not None and old.users == 0:
        bpy.data.worlds.remove(old)
    call("lighting__set_world", color="#303030", strength=1.0)
    engine().preview.view.auto = True
    engine().preview.shading = "solid"
    engine().preview.view_mode = "free"


def image_stats(data: bytes, suffix: str = ".jpg") -> numpy.ndarray:
    """Mean RGB (0..1) of an encoded image, decoded by Blender."""
    path = os.path.join(tempfile.gettempdir(), f"atelier-stats-{os.getpid()}{suffix}")
    with open(path, "wb") as handle:
        handle.write(data)
    image = bpy.data.images.load(path, check_existing=False)
    try:
        pixels = numpy.empty(len(image.pixels), dtype=numpy.float32)
        image.pixels.foreach_get(pixels)
        return pixels.reshape(-1, 4)[:, :3].mean(axis=0)
    finally:
        bpy.data.images.remove(image)
        os.remove(path)
