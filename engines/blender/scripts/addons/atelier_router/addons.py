# SPDX-License-Identifier: GPL-2.0-or-later
"""Which AI-capable addons exist, which are enabled, and the tool table built from them."""

from __future__ import annotations

import importlib
import sys
from typing import Any, Callable

import addon_utils
import bpy

from . import compat
from .manifest import (ScannedAddon, qualified_tool_name, requirement_problem, sanitize_tool_name,
                       scan_addon_directories, tool_list)
from .protocol import INVALID_PARAMS, UNKNOWN_TOOL, RpcError
from .tools import ToolSpec

ROUTER_MODULE = __package__ or "atelier_router"

LogFunction = Callable[..., None]


class AddonRegistry:
    """Scans addon folders for addon_ai.json, enables addons, resolves tool names to handlers."""

    def __init__(self, log: LogFunction) -> None:
        self._log = log
        self._scanned: dict[str, ScannedAddon] = {}
        self._tools: dict[str, ToolSpec] = {}
        self.version = 0
        # Qualified names of tools the engine's configuration switches off (execute_python unless
        # --execute-python): left out of tools/update, so the model is never offered them.
        self.switched_off: set[str] = set()

    # ----- discovery ------------------------------------------------------------------------

    def scan(self) -> list[ScannedAddon]:
        addons = scan_addon_directories(addon_utils.paths())
        for addon in addons:
            addon.unavailable = requirement_problem(addon.manifest, compat.version())
        self._scanned = {addon.module: addon for addon in addons}
        return addons

    def scanned(self) -> list[ScannedAddon]:
        return list(self._scanned.values())

    def is_enabled(self, module: str) -> bool:
        return module in bpy.context.preferences.addons.keys()

    def _find(self, key: str) -> ScannedAddon:
        if key in self._scanned:
            return self._scanned[key]
        for addon in self._scanned.values():
            if addon.addon_id == key:
                return addon
        self.scan()  # an addon may have been installed since the last scan
        for addon in self._scanned.values():
            if key in (addon.module, addon.addon_id):
                return addon
        known = ", ".join(sorted(a.addon_id for a in self._scanned.values()))
        raise RpcError(INVALID_PARAMS, f"No AI-capable addon {key!r}; known: {known}")

    # ----- enabling ------------------------------------------------------------------------

    def enable_all(self, only: list[str] | None = None) -> None:
        """Enable every scanned addon (or those named in ``only``, plus the router)."""
        for addon in self.scanned():
            if only is not None and addon.module not in only and addon.addon_id not in only \
                    and addon.module != ROUTER_MODULE:
                continue
            self._enable_module(addon)
        self.rebuild()

    def _enable_module(self, addon: ScannedAddon) -> bool:
        if addon.unavailable:
            # Not loaded at all: its handlers may use APIs this Blender lacks. Reported like an
            # invalid manifest (the engine log, `log` to the hub, list_addons).
            self._log("error", f"addon {addon.module}: unavailable: {addon.unavailable}", addon=addon.addon_id,
                      path="/ai_integration/requirements/blender_version_min")
            return False
        for error in addon.errors:
            self._log("error", f"addon {addon.module}: invalid addon_ai.json: {error}",
                      addon=addon.addon_id, path=error.path)
        if self.is_enabled(addon.module):
            return True
        module = addon_utils.enable(addon.module, default_set=True, persistent=True)
        if module is None:
            self._log("error", f"addon {addon.module}: Blender could not enable it (see the traceback above)",
                      addon=addon.addon_id)
            return False
        return True

    def enable(self, key: str) -> ScannedAddon:
        addon = self._find(key)
        if addon.unavailable:
            raise ValueError(f"addon {addon.addon_id!r} is unavailable: {addon.unavailable}")
        if not self._enable_module(addon):
            raise RuntimeError(f"Blender could not enable addon {addon.module!r}")
        self.rebuild()
        return addon

    def disable(self, key: str) -> ScannedAddon:
        addon = self._find(key)
        if addon.module == ROUTER_MODULE:
            raise ValueError("the router addon cannot be disabled")
        addon_utils.disable(addon.module, default_set=True)
        self.rebuild()
        return addon

    # ----- the tool table ------------------------------------------------------------------

    def _handlers_of(self, module_name: str) -> dict[str, Callable[..., Any]]:
        module = sys.modules.get(module_name) or importlib.import_module(module_name)
        handlers = getattr(module, "AI_COMMAND_HANDLERS", None)
        if callable(handlers):
            handlers = handlers()
        return dict(handlers) if isinstance(handlers, dict) else {}

    def rebuild(self) -> None:
        tools: dict[str, ToolSpec] = {}
        for addon in self.scanned():
            if not addon.valid or not self.is_enabled(addon.module):
                continue
            try:
                handlers = self._handlers_of(addon.module)
            except Exception as exc:  # noqa: BLE001 - a broken addon must not break the others
                self._log("error", f"addon {addon.module}: cannot load its handlers: {exc}", addon=addon.addon_id)
                handlers = {}
            assert addon.manifest is not None
            for tool in tool_list(addon.manifest):
                handler = handlers.get(tool["name"])
                if handler is None:
                    self._log("warning", f"addon {addon.module}: no handler for tool {tool['name']!r}",
                              addon=addon.addon_id)
                spec = ToolSpec(addon_id=addon.addon_id, manifest=tool, handler=handler)
                qualified = qualified_tool_name(addon.addon_id, tool["name"])
                tools.setdefault(qualified, spec)
                tools.setdefault(sanitize_tool_name(qualified), spec)
        self._tools = tools
        self.version += 1

    def resolve(self, name: str) -> ToolSpec:
        spec = self._tools.get(name)
        if spec is None:
            known = self.tool_names()
            raise RpcError(UNKNOWN_TOOL, f"Unknown tool {name!r}. Known tools: {', '.join(known)}", {"tools": known})
        return spec

    def tool_names(self) -> list[str]:
        """The tools offered (switched-off ones left out)."""
        return sorted({qualified_tool_name(s.addon_id, s.name) for s in self._tools.values()} - self.switched_off)

    # ----- what the hub and the model see --------------------------------------------------

    def tools_update_params(self) -> dict[str, Any]:
        """``tools/update`` params: the manifest of every enabled addon, invalid ones included."""
        manifests: list[dict[str, Any]] = []
        for addon in self.scanned():
            if not self.is_enabled(addon.module):
                continue
            if isinstance(addon.manifest, dict):
                manifests.append(self._without_switched_off(addon))
            else:
                # Unreadable JSON: send a stub under the module's name so the hub reports the addon
                # instead of silently missing it; the parse error itself is in the engine log.
                manifests.append({"addon_info": {"id": addon.module, "name": addon.module, "version": "0"},
                                  "ai_integration": None})
        return {"addons": manifests}

    def _without_switched_off(self, addon: ScannedAddon) -> dict[str, Any]:
        manifest = addon.manifest
        assert manifest is not None
        hidden = {name for name in self.switched_off if name.startswith(addon.addon_id + "__")}
        if not hidden:
            return manifest
        integration = dict(manifest["ai_integration"])
        integration["tools"] = [tool for tool in integration.get("tools", [])
                                if not (isinstance(tool, dict)
                                        and qualified_tool_name(addon.addon_id, str(tool.get("name"))) in hidden)]
        return {**manifest, "ai_integration": integration}

    def describe(self) -> list[dict[str, Any]]:
        rows = []
        for addon in self.scanned():
            info = addon.manifest.get("addon_info", {}) if isinstance(addon.manifest, dict) else {}
            rows.append({
                "id": addon.addon_id,
                "module": addon.module,
                "name": info.get("name", addon.module) if isinstance(info, dict) else addon.module,
                "enabled": self.is_enabled(addon.module),
                "valid": addon.valid,
                "available": addon.unavailable is None,
                "unavailable_reason": addon.unavailable,
                "errors": [str(error) for error in addon.errors],
                "tools": [tool["name"] for tool in tool_list(addon.manifest)] if addon.manifest else [],
            })
        return rows
