# SPDX-License-Identifier: GPL-2.0-or-later
"""Scanning and validation of addon_ai.json manifests (DESIGN §3).

This module is pure Python on purpose: it is imported by the router inside
Blender and by the unit tests under Debian's /usr/bin/python3, so it must not
import bpy. The rules mirror the hub's registry so that an addon rejected by
the hub is already reported in the engine log with the same wording.

Error paths are JSON Pointers into the manifest (RFC 6901), e.g.
``/ai_integration/tools/0/parameters/2/options``.
"""

from __future__ import annotations

import json
import math
import os
import re
from dataclasses import dataclass, field
from typing import Any, Iterable

MANIFEST_FILENAME = "addon_ai.json"

PARAMETER_TYPES = frozenset({
    "string", "integer", "float", "boolean", "enum", "vector3", "color",
    "object_name", "material_name", "collection_name", "file_path", "dict",
})

NUMERIC_TYPES = frozenset({"integer", "float"})
NAME_TYPES = frozenset({"string", "object_name", "material_name", "collection_name", "file_path"})

_COLOR_PATTERN = re.compile(r"^#[0-9A-Fa-f]{6}$")
_IDENTIFIER_PATTERN = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


@dataclass(frozen=True)
class ManifestError:
    """One problem in a manifest: where (JSON Pointer) and why."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path or '/'}: {self.message}"


@dataclass
class ScannedAddon:
    """An addon folder that carries an addon_ai.json, valid or not."""

    module: str
    directory: str
    manifest: dict[str, Any] | None
    errors: list[ManifestError] = field(default_factory=list)
    # Why this Blender cannot load the addon (requirements.blender_version_min), or None.
    unavailable: str | None = None

    @property
    def valid(self) -> bool:
        return self.manifest is not None and not self.errors

    @property
    def addon_id(self) -> str:
        """The manifest's addon_info.id, else the module name."""
        if isinstance(self.manifest, dict):
            info = self.manifest.get("addon_info")
            if isinstance(info, dict) and isinstance(info.get("id"), str) and info["id"]:
                return info["id"]
        return self.module


def _pointer(*parts: str | int) -> str:
    escaped = (str(part).replace("~", "~0").replace("/", "~1") for part in parts)
    return "".join("/" + part for part in escaped)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _is_integer(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, float) and value.is_integer())


def value_matches_type(param: dict[str, Any], value: Any) -> str | None:
    """Return None when ``value`` fits the parameter's type, else why it does not."""
    kind = param.get("type")
    if kind in NAME_TYPES:
        return None if isinstance(value, str) else "must be a string"
    if kind == "integer":
        return None if _is_integer(value) else "must be an integer"
    if kind == "float":
        return None if _is_number(value) else "must be a number"
    if kind == "boolean":
        return None if isinstance(value, bool) else "must be true or false"
    if kind == "enum":
        options = param.get("options") or []
        return None if value in options else f"must be one of {options}"
    if kind == "vector3":
        ok = isinstance(value, list) and len(value) == 3 and all(_is_number(v) for v in value)
        return None if ok else "must be an array of three numbers [x, y, z]"
    if kind == "color":
        ok = isinstance(value, str) and _COLOR_PATTERN.match(value) is not None
        return None if ok else 'must be a colour string "#RRGGBB"'
    if kind == "dict":
        return None if isinstance(value, dict) else "must be an object"
    return f"has unknown type {kind!r}"


def _validate_parameter(param: Any, where: tuple[str | int, ...]) -> list[ManifestError]:
    errors: list[ManifestError] = []
    if not isinstance(param, dict):
        return [ManifestError(_pointer(*where), "parameter must be an object")]
    name = param.get("name")
    if not isinstance(name, str) or not _IDENTIFIER_PATTERN.match(name):
        errors.append(ManifestError(_pointer(*where, "name"),
                                    "parameter name must be a string of 1-64 letters, digits, '_', '-' or '.'"))
    kind = param.get("type")
    if not isinstance(kind, str):
        errors.append(ManifestError(_pointer(*where, "type"), "parameter type is missing"))
        return errors
    if kind not in PARAMETER_TYPES:
        errors.append(ManifestError(_pointer(*where, "type"),
                                    f"unknown parameter type {kind!r} (known: {', '.join(sorted(PARAMETER_TYPES))})"))
        return errors
    if "required" in param and not isinstance(param["required"], bool):
        errors.append(ManifestError(_pointer(*where, "required"), "required must be true or false"))
    if "description" in param and not isinstance(param["description"], str):
        errors.append(ManifestError(_pointer(*where, "description"), "description must be a string"))

    if kind == "enum":
        options = param.get("options")
        if not isinstance(options, list) or not options:
            errors.append(ManifestError(_pointer(*where, "options"), "enum parameter needs a non-empty options list"))
        elif len(set(map(json.dumps, options))) != len(options):
            errors.append(ManifestError(_pointer(*where, "options"), "enum options must be unique"))
    elif "options" in param:
        errors.append(ManifestError(_pointer(*where, "options"), f"options are only allowed on enum, not {kind}"))

    for bound in ("min", "max"):
        if bound not in param:
            continue
        if kind not in NUMERIC_TYPES:
            errors.append(ManifestError(_pointer(*where, bound), f"{bound} is only allowed on integer and float"))
        elif not _is_number(param[bound]):
            errors.append(ManifestError(_pointer(*where, bound), f"{bound} must be a number"))
    low, high = param.get("min"), param.get("max")
    if _is_number(low) and _is_number(high) and low > high:
        errors.append(ManifestError(_pointer(*where, "min"), f"min ({low}) is greater than max ({high})"))

    if "default" in param and param["default"] is not None and not errors:
        default = param["default"]
        problem = value_matches_type(param, default)
        if problem:
            errors.append(ManifestError(_pointer(*where, "default"), f"default {problem}"))
        elif kind in NUMERIC_TYPES:
            if _is_number(low) and default < low:
                errors.append(ManifestError(_pointer(*where, "default"), f"default {default} is below min {low}"))
            if _is_number(high) and default > high:
                errors.append(ManifestError(_pointer(*where, "default"), f"default {default} is above max {high}"))
    return errors


def _validate_tool(tool: Any, index: int) -> list[ManifestError]:
    where: tuple[str | int, ...] = ("ai_integration", "tools", index)
    if not isinstance(tool, dict):
        return [ManifestError(_pointer(*where), "tool must be an object")]
    errors: list[ManifestError] = []
    name = tool.get("name")
    if not isinstance(name, str) or not _IDENTIFIER_PATTERN.match(name):
        errors.append(ManifestError(_pointer(*where, "name"),
                                    "tool name must be a string of 1-64 letters, digits, '_', '-' or '.'"))
    if not isinstance(tool.get("description"), str) or not tool.get("description"):
        errors.append(ManifestError(_pointer(*where, "description"), "tool description is missing"))
    for key in ("usage", "category"):
        if key in tool and not isinstance(tool[key], str):
            errors.append(ManifestError(_pointer(*where, key), f"{key} must be a string"))
    if "examples" in tool and not (isinstance(tool["examples"], list)
                                   and all(isinstance(e, str) for e in tool["examples"])):
        errors.append(ManifestError(_pointer(*where, "examples"), "examples must be a list of strings"))
    for key in ("mutates", "returns_image"):
        if key in tool and not isinstance(tool[key], bool):
            errors.append(ManifestError(_pointer(*where, key), f"{key} must be true or false"))
    if "timeout_s" in tool and not (_is_number(tool["timeout_s"]) and tool["timeout_s"] > 0):
        errors.append(ManifestError(_pointer(*where, "timeout_s"), "timeout_s must be a positive number"))

    has_parameters = "parameters" in tool
    if has_parameters and "input_schema" in tool:
        errors.append(ManifestError(_pointer(*where), "give either parameters or input_schema, not both"))
    if "input_schema" in tool:
        schema = tool["input_schema"]
        if not isinstance(schema, dict) or schema.get("type", "object") != "object":
            errors.append(ManifestError(_pointer(*where, "input_schema"),
                                        "input_schema must be a JSON Schema object with type \"object\""))
    if has_parameters:
        params = tool["parameters"]
        if not isinstance(params, list):
            errors.append(ManifestError(_pointer(*where, "parameters"), "parameters must be a list"))
        else:
            seen: dict[str, int] = {}
            for p_index, param in enumerate(params):
                errors.extend(_validate_parameter(param, (*where, "parameters", p_index)))
                p_name = param.get("name") if isinstance(param, dict) else None
                if isinstance(p_name, str):
                    if p_name in seen:
                        errors.append(ManifestError(
                            _pointer(*where, "parameters", p_index, "name"),
                            f"duplicate parameter name {p_name!r} (first at index {seen[p_name]})"))
                    else:
                        seen[p_name] = p_index
    return errors


def validate_manifest(manifest: Any) -> list[ManifestError]:
    """Check a parsed addon_ai.json; return every problem found (empty when valid)."""
    if not isinstance(manifest, dict):
        return [ManifestError("", "manifest must be a JSON object")]
    errors: list[ManifestError] = []
    info = manifest.get("addon_info")
    if not isinstance(info, dict):
        errors.append(ManifestError("/addon_info", "addon_info object is missing"))
    else:
        addon_id = info.get("id")
        if not isinstance(addon_id, str) or not _IDENTIFIER_PATTERN.match(addon_id):
            errors.append(ManifestError("/addon_info/id",
                                        "id must be a string of 1-64 letters, digits, '_', '-' or '.'"))
        for key in ("name", "version"):
            if not isinstance(info.get(key), str) or not info.get(key):
                errors.append(ManifestError(_pointer("addon_info", key), f"{key} must be a non-empty string"))
        for key in ("author", "category", "description"):
            if key in info and not isinstance(info[key], str):
                errors.append(ManifestError(_pointer("addon_info", key), f"{key} must be a string"))

    integration = manifest.get("ai_integration")
    if not isinstance(integration, dict):
        errors.append(ManifestError("/ai_integration", "ai_integration object is missing"))
        return errors
    if "agent_description" in integration and not isinstance(integration["agent_description"], str):
        errors.append(ManifestError("/ai_integration/agent_description", "agent_description must be a string"))
    hints = integration.get("context_hints", [])
    if not isinstance(hints, list) or not all(isinstance(h, str) for h in hints):
        errors.append(ManifestError("/ai_integration/context_hints", "context_hints must be a list of strings"))
    if "requirements" in integration and not isinstance(integration["requirements"], dict):
        errors.append(ManifestError("/ai_integration/requirements", "requirements must be an object"))
    elif "blender_version_min" in integration.get("requirements", {}):
        minimum = integration["requirements"]["blender_version_min"]
        if not isinstance(minimum, str) or _version_tuple(minimum) is None:
            errors.append(ManifestError("/ai_integration/requirements/blender_version_min",
                                        'blender_version_min must be a version string like "4.2"'))
    tools = integration.get("tools")
    if not isinstance(tools, list):
        errors.append(ManifestError("/ai_integration/tools", "tools must be a list"))
        return errors
    seen: dict[str, int] = {}
    for index, tool in enumerate(tools):
        errors.extend(_validate_tool(tool, index))
        name = tool.get("name") if isinstance(tool, dict) else None
        if isinstance(name, str):
            if name in seen:
                errors.append(ManifestError(_pointer("ai_integration", "tools", index, "name"),
                                            f"duplicate tool name {name!r} (first at index {seen[name]})"))
            else:
                seen[name] = index
    return errors


def _version_tuple(text: str) -> tuple[int, ...] | None:
    parts = text.strip().split(".")
    if not text.strip() or not all(part.isdigit() for part in parts):
        return None
    return tuple(int(part) for part in parts)


def requirement_problem(manifest: Any, running: tuple[int, ...]) -> str | None:
    """Why an addon cannot run on Blender ``running`` (``requirements.blender_version_min``), or None.

    Versions compare part by part ("4.2" < "4.10"); a malformed requirement is a manifest error,
    reported by :func:`validate_manifest`, not here."""
    integration = manifest.get("ai_integration") if isinstance(manifest, dict) else None
    requirements = integration.get("requirements") if isinstance(integration, dict) else None
    minimum = requirements.get("blender_version_min") if isinstance(requirements, dict) else None
    wanted = _version_tuple(minimum) if isinstance(minimum, str) else None
    if wanted is None:
        return None
    length = max(len(wanted), len(running))
    if tuple(running) + (0,) * (length - len(running)) >= wanted + (0,) * (length - len(wanted)):
        return None
    return (f"needs Blender {minimum} or newer (requirements.blender_version_min); "
            f"this is Blender {'.'.join(map(str, running))}")


def load_manifest(path: str) -> tuple[dict[str, Any] | None, list[ManifestError]]:
    """Read and validate one addon_ai.json file."""
    try:
        with open(path, encoding="utf-8") as handle:
            manifest = json.load(handle)
    except json.JSONDecodeError as error:
        return None, [ManifestError("", f"invalid JSON at line {error.lineno} column {error.colno}: {error.msg}")]
    except OSError as error:
        return None, [ManifestError("", f"cannot read {path}: {error.strerror}")]
    return manifest, validate_manifest(manifest)


def scan_addon_directories(directories: Iterable[str]) -> list[ScannedAddon]:
    """Find every addon folder (``<dir>/<module>/addon_ai.json``) under the given addon directories.

    Directories that do not exist are skipped. The first directory wins when two
    hold a module of the same name, as Blender's own addon path order does.
    """
    found: dict[str, ScannedAddon] = {}
    for directory in directories:
        if not os.path.isdir(directory):
            continue
        for module in sorted(os.listdir(directory)):
            addon_dir = os.path.join(directory, module)
            manifest_path = os.path.join(addon_dir, MANIFEST_FILENAME)
            if module in found or not os.path.isfile(manifest_path):
                continue
            manifest, errors = load_manifest(manifest_path)
            found[module] = ScannedAddon(module=module, directory=addon_dir, manifest=manifest, errors=errors)
    return list(found.values())


def tool_list(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    """The tool entries of a manifest that are objects with a name (tolerates invalid manifests)."""
    integration = manifest.get("ai_integration") if isinstance(manifest, dict) else None
    tools = integration.get("tools") if isinstance(integration, dict) else None
    if not isinstance(tools, list):
        return []
    return [tool for tool in tools if isinstance(tool, dict) and isinstance(tool.get("name"), str)]


def sanitize_tool_name(name: str) -> str:
    """Provider-safe form of a qualified tool name: ``^[a-zA-Z0-9_-]{1,64}$`` (DESIGN §3)."""
    cleaned = re.sub(r"[^A-Za-z0-9_-]", "_", name)
    return cleaned[:64] or "_"


def qualified_tool_name(addon_id: str, tool_name: str) -> str:
    """The name the hub uses in tools/call: ``<addon_id>__<tool_name>``."""
    return f"{addon_id}__{tool_name}"
