# SPDX-License-Identifier: GPL-2.0-or-later
"""Handlers of the router's own tools (see this addon's addon_ai.json)."""

from __future__ import annotations

import contextlib
import io
import traceback
from typing import Any

import bpy
import mathutils

from .engine import current_engine
from .summary import scene_summary
from .tools import ToolContext, ToolError, ToolResult


def _no_undo_push(handler: Any) -> Any:
    # undo/redo move along the undo stack; pushing a step after them would discard the redo branch.
    handler.atelier_no_undo_push = True
    return handler


def list_addons() -> ToolResult:
    rows = current_engine().registry.describe()
    lines = [f"{'on ' if r['enabled'] else 'off'} {r['id']} ({r['module']}): {len(r['tools'])} tools"
             + ("" if r["valid"] else f" - INVALID: {'; '.join(r['errors'])}")
             + ("" if r["available"] else f" - UNAVAILABLE: {r['unavailable_reason']}") for r in rows]
    return ToolResult(text="\n".join(lines), data={"addons": rows})


def _resend_tools() -> None:
    engine = current_engine()
    if engine.link is not None:
        engine.link.set_tools_update(engine.tools_update_text())


def enable_addon(addon: str) -> ToolResult:
    try:
        scanned = current_engine().registry.enable(addon)
    except ValueError as exc:
        raise ToolError(str(exc)) from None
    _resend_tools()
    if not scanned.valid:
        return ToolResult(text=f"enabled {scanned.module}, but its addon_ai.json is invalid: "
                               + "; ".join(str(e) for e in scanned.errors))
    return ToolResult(text=f"enabled {scanned.addon_id}", data={"addon": scanned.addon_id})


def disable_addon(addon: str) -> ToolResult:
    try:
        scanned = current_engine().registry.disable(addon)
    except ValueError as exc:
        raise ToolError(str(exc)) from None
    _resend_tools()
    return ToolResult(text=f"disabled {scanned.addon_id}", data={"addon": scanned.addon_id})


def _step(operator: Any, what: str, steps: int) -> ToolResult:
    done = 0
    for _ in range(steps):
        try:
            if operator() != {"FINISHED"}:
                break
        except RuntimeError:
            break
        done += 1
    if done == 0:
        raise ToolError(f"nothing to {what}")
    return ToolResult(text=f"{what} x{done}", data={"steps": done})


@_no_undo_push
def undo(steps: int = 1) -> ToolResult:
    result = _step(bpy.ops.ed.undo, "undo", steps)
    current_engine().move_in_history(-result.data["steps"])
    return result


@_no_undo_push
def redo(steps: int = 1) -> ToolResult:
    result = _step(bpy.ops.ed.redo, "redo", steps)
    current_engine().move_in_history(result.data["steps"])
    return result


def history() -> ToolResult:
    engine = current_engine()
    rows = [{"step": index, "label": label,
             "state": "current" if index == engine.history_position
             else ("done" if index < engine.history_position else "undone")}
            for index, label in enumerate(engine.history)]
    position = engine.history_position
    undoable = [engine.history[index] for index in range(position, 0, -1)]  # newest first
    redoable = engine.history[position + 1:]
    lines = [f"{'>' if r['state'] == 'current' else ' '} {r['step']:3d} {r['label']}"
             + (" (undone; redo brings it back)" if r["state"] == "undone" else "") for r in rows]
    lines.append(f"undo would undo: {undoable[0] if undoable else 'nothing'}; "
                 f"redo would redo: {redoable[0] if redoable else 'nothing'}")
    return ToolResult(text="\n".join(lines), data={"steps": rows, "position": engine.history_position,
                                                   "undo": undoable, "redo": redoable})


def get_scene_summary() -> ToolResult:
    summary = scene_summary(current_engine().config.workdir)
    return ToolResult(text=_summary_text(summary), data=summary)


def _summary_text(summary: dict[str, Any]) -> str:
    """The summary in the order of its keys: the scene, the world, the camera, the lights, the
    project's assets and materials, then the objects."""
    render = summary["render"]
    lines = [f"scene {summary['scene']}: frame {summary['frame_current']} of {summary['frame_range'][0]}-"
             f"{summary['frame_range'][1]} at {summary['fps']} fps; {render['engine']} "
             f"{render['resolution'][0]}x{render['resolution'][1]}, view transform {render['view_transform']}"]
    world = summary.get("world")
    if world:
        lines.append(f"world: {'sky' if world.get('sky') else world['color']}"
                     + (f", strength {world['strength']}" if "strength" in world else ""))
    camera = summary.get("camera")
    lines.append(f"active camera: {camera['name']} at {camera['location']}, {camera['lens']} mm" if camera
                 else "no active camera")
    for light in summary["lights"]:
        lines.append(f"light {light['name']} ({light['type']}, {light['energy']} W) at {light['location']}")
    if summary["assets"]:
        lines.append("assets: " + ", ".join(summary["assets"])
                     + (f" (of {summary['asset_count']})" if "asset_count" in summary else ""))
    for material in summary["materials"]:
        lines.append("material " + ", ".join(f"{k} {v}" for k, v in material.items()))
    lines.append(f"{summary['object_count']} objects:")
    for obj in summary["objects"]:
        material = f", material {obj['material']}" if obj.get("material") else ""
        lines.append(f"- {obj['name']} ({obj['type']}) at {obj['location']}, size {obj['dimensions']}{material}")
    return "\n".join(lines)


def screenshot(width: int = 0, height: int = 0, view: str = "camera", shading: str = "solid") -> ToolResult:
    return current_engine().screenshot(width or None, height or None, view=view, shading=shading)


def execute_python(code: str, ctx: ToolContext) -> ToolResult:
    engine = current_engine()
    if not engine.config.execute_python:
        from .protocol import TOOL_REFUSED, RpcError
        raise RpcError(TOOL_REFUSED, "execute_python is switched off for this engine. It is an engine option: "
                                     "the hub config's [engines.blender] command must pass --execute-python "
                                     "after \"--\" (docs/blender.md)")
    namespace: dict[str, Any] = {"bpy": bpy, "mathutils": mathutils, "C": bpy.context, "D": bpy.data,
                                 "workdir": ctx.workdir, "result": None}
    output = io.StringIO()
    try:
        with contextlib.redirect_stdout(output):
            exec(compile(code, "<execute_python>", "exec"), namespace)  # noqa: S102 - opt-in by config
    except Exception as exc:  # noqa: BLE001
        raise ToolError(f"{type(exc).__name__}: {exc}\n{output.getvalue()}\n{traceback.format_exc(limit=-3)}") \
            from None
    text = output.getvalue() or "ok"
    result = namespace.get("result")
    return ToolResult(text=text[-20000:], data=result if isinstance(result, (dict, list, str, int, float, bool))
                      else None)


AI_COMMAND_HANDLERS = {
    "list_addons": list_addons,
    "enable_addon": enable_addon,
    "disable_addon": disable_addon,
    "undo": undo,
    "history": history,
    "redo": redo,
    "scene_summary": get_scene_summary,
    "screenshot": screenshot,
    "execute_python": execute_python,
}
