# SPDX-License-Identifier: GPL-2.0-or-later
"""Tool invocation: the contract between the router and an addon's handlers.

An addon maps tool names to callables in a module attribute
``AI_COMMAND_HANDLERS`` (the name Cr8-style addons already export). The router
calls ``handler(**arguments)`` with the manifest defaults filled in, adding
``ctx=<ToolContext>`` when the handler has a ``ctx`` parameter. A handler may
return:

* ``None`` or a string (text for the model),
* a dict; the Cr8 shape ``{"status": "success"|"error", "message", "data"}`` is
  understood, any other dict becomes structured ``data``,
* a :class:`ToolResult` for text + data + images.

It signals failure by raising; :class:`ToolError` carries a message meant for
the model ("No object named 'Cube.001' ..."). Pure Python: no bpy here.
"""

from __future__ import annotations

import base64
import inspect
import json
import os
import threading
from urllib.parse import quote
from dataclasses import dataclass, field
from typing import Any, Callable

from .protocol import CANCELLED, TOOL_FAILED, RpcError


class ToolError(Exception):
    """An expected failure; the message is written for the model and the user."""


class ToolCancelled(Exception):
    """Raised by :meth:`ToolContext.check_cancelled` after ``$/cancel``."""


@dataclass
class ImageContent:
    mime_type: str
    data: bytes


@dataclass
class ToolResult:
    text: str = ""
    data: Any = None
    images: list[ImageContent] = field(default_factory=list)


class CancelSet:
    """Call ids cancelled by the hub; written by the network thread, read by the main thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ids: set[str] = set()

    def cancel(self, call_id: str) -> None:
        with self._lock:
            self._ids.add(str(call_id))

    def is_cancelled(self, call_id: str | None) -> bool:
        if call_id is None:
            return False
        with self._lock:
            return str(call_id) in self._ids

    def discard(self, call_id: str | None) -> None:
        if call_id is None:
            return
        with self._lock:
            self._ids.discard(str(call_id))


class ToolContext:
    """What a running tool may ask of the engine: cancellation, progress, the working tree."""

    def __init__(self, call_id: str | None = None, workdir: str = ".",
                 cancels: CancelSet | None = None,
                 notify: Callable[[str, dict[str, Any]], None] | None = None,
                 project_id: str = "") -> None:
        self.call_id = call_id
        self.workdir = workdir
        self.project_id = project_id  # "" when the hub did not say (an engine run by hand)
        self._cancels = cancels or CancelSet()
        self._notify = notify

    def download_url(self, relative: str) -> str | None:
        """The hub's download URL of a file of the working tree (an output in ``exports/`` or
        ``renders/``), or None when the project is unknown."""
        if not self.project_id:
            return None
        return f"/api/projects/{quote(self.project_id)}/files/{quote(relative.replace(os.sep, '/'))}"

    def cancelled(self) -> bool:
        return self._cancels.is_cancelled(self.call_id)

    def check_cancelled(self) -> None:
        """Call between steps of long work; raises ToolCancelled after ``$/cancel``."""
        if self.cancelled():
            raise ToolCancelled(f"call {self.call_id} was cancelled")

    def progress(self, done: int, total: int) -> None:
        """Send ``render/progress {call_id, done, total}`` to the hub."""
        self.notify("render/progress", {"call_id": self.call_id, "done": done, "total": total})

    def notify(self, method: str, params: dict[str, Any]) -> None:
        if self._notify is not None:
            self._notify(method, params)


@dataclass
class ToolSpec:
    """One callable tool: its addon, manifest entry and handler."""

    addon_id: str
    manifest: dict[str, Any]
    handler: Callable[..., Any] | None

    @property
    def name(self) -> str:
        return self.manifest["name"]

    @property
    def mutates(self) -> bool:
        return bool(self.manifest.get("mutates", True))

    @property
    def returns_image(self) -> bool:
        return bool(self.manifest.get("returns_image", False))


def apply_defaults(tool: dict[str, Any], arguments: dict[str, Any]) -> dict[str, Any]:
    """Arguments with the manifest's defaults filled in for absent parameters.

    The hub validates calls before they arrive; this only completes them, and
    also reports missing required parameters for callers that bypass the hub
    (tests, execute_python).
    """
    filled = dict(arguments)
    for param in tool.get("parameters", []) or []:
        if not isinstance(param, dict) or not isinstance(param.get("name"), str):
            continue
        name = param["name"]
        if name in filled:
            continue
        if "default" in param:
            filled[name] = param["default"]
        elif param.get("required", False):
            raise ToolError(f"missing required parameter {name!r}")
    return filled


def _accepts_ctx(handler: Callable[..., Any]) -> bool:
    try:
        parameters = inspect.signature(handler).parameters
    except (TypeError, ValueError):
        return False
    return "ctx" in parameters


def invoke(spec: ToolSpec, arguments: dict[str, Any], ctx: ToolContext) -> ToolResult:
    """Call the handler and normalise what it returns. Exceptions propagate."""
    if spec.handler is None:
        raise ToolError(f"addon {spec.addon_id!r} declares tool {spec.name!r} but has no handler for it")
    kwargs = apply_defaults(spec.manifest, arguments)
    if _accepts_ctx(spec.handler):
        kwargs["ctx"] = ctx
    return normalize_result(spec.handler(**kwargs))


def normalize_result(value: Any) -> ToolResult:
    if value is None:
        return ToolResult(text="done")
    if isinstance(value, ToolResult):
        return value
    if isinstance(value, str):
        return ToolResult(text=value)
    if isinstance(value, dict):
        status = value.get("status")
        if status in ("error", "failed", "failure"):
            raise ToolError(str(value.get("message") or value.get("error") or "the tool reported an error"))
        if status is not None or "message" in value:
            data = value.get("data")
            text = str(value.get("message") or "")
            if not text:
                text = json.dumps(data if data is not None else value, default=str)
            return ToolResult(text=text, data=data)
        return ToolResult(text=json.dumps(value, default=str), data=value)
    return ToolResult(text=json.dumps(value, default=str), data=value)


def call_result(result: ToolResult, scene: Any = None) -> dict[str, Any]:
    """The JSON-RPC result of tools/call: ``{content, data, scene}``."""
    content: list[dict[str, Any]] = []
    if result.text:
        content.append({"type": "text", "text": result.text})
    for image in result.images:
        content.append({"type": "image", "mimeType": image.mime_type,
                        "data": base64.b64encode(image.data).decode("ascii")})
    if not content:
        content.append({"type": "text", "text": "done"})
    return {"content": content, "data": result.data, "scene": scene}


def error_for_exception(exc: BaseException, trace: str) -> RpcError:
    """Map a tool's exception to the JSON-RPC error the hub receives."""
    if isinstance(exc, ToolCancelled):
        return RpcError(CANCELLED, str(exc), {"traceback": trace})
    if isinstance(exc, ToolError):
        return RpcError(TOOL_FAILED, str(exc), {"traceback": trace})
    if isinstance(exc, RpcError):
        return exc
    return RpcError(TOOL_FAILED, f"{type(exc).__name__}: {exc}", {"traceback": trace})
