# SPDX-License-Identifier: GPL-2.0-or-later
"""JSON-RPC 2.0 messages of the engine protocol (DESIGN §4), without bpy.

The engine is a JSON-RPC peer: it sends requests (``engine/hello``) and
notifications (``tools/update``, ``scene/changed``, ``render/progress``,
``log``), and answers the hub's requests. :class:`Dispatcher` turns one parsed
incoming message into at most one reply, so the routing rules can be tested
without Blender.
"""

from __future__ import annotations

import json
import traceback
from dataclasses import dataclass
from typing import Any, Callable

PROTOCOL_VERSION = 1

# The same numbers as the hub's src/protocol/rpc_codes.h.
PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603
TOOL_FAILED = -32000       # kEngineError: the tool raised; message says why, data.traceback where
CANCELLED = -32003         # kCancelled: the call was cancelled with $/cancel
UNKNOWN_TOOL = -32005      # kUnknownTool: data.tools lists the valid names
TOOL_REFUSED = -32007      # kUnsupported: the tool exists but this engine's config disables it

RequestId = int | str


class RpcError(Exception):
    """An error to be answered as a JSON-RPC error object."""

    def __init__(self, code: int, message: str, data: Any = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.data = data

    def to_json(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.data is not None:
            error["data"] = self.data
        return error


@dataclass
class Message:
    """One parsed JSON-RPC message. ``kind`` is request, notification or response."""

    kind: str
    method: str | None = None
    params: Any = None
    id: RequestId | None = None
    result: Any = None
    error: dict[str, Any] | None = None


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def request(request_id: RequestId, method: str, params: Any = None) -> str:
    message: dict[str, Any] = {"jsonrpc": "2.0", "id": request_id, "method": method}
    if params is not None:
        message["params"] = params
    return _dumps(message)


def notification(method: str, params: Any = None) -> str:
    message: dict[str, Any] = {"jsonrpc": "2.0", "method": method}
    if params is not None:
        message["params"] = params
    return _dumps(message)


def result(request_id: RequestId | None, value: Any) -> str:
    return _dumps({"jsonrpc": "2.0", "id": request_id, "result": value})


def error(request_id: RequestId | None, code: int, message: str, data: Any = None) -> str:
    return _dumps({"jsonrpc": "2.0", "id": request_id, "error": RpcError(code, message, data).to_json()})


def parse(text: str | bytes) -> Message:
    """Parse one text frame. Raises RpcError(PARSE_ERROR / INVALID_REQUEST)."""
    try:
        value = json.loads(text)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:  # RecursionError: nesting too deep
        raise RpcError(PARSE_ERROR, f"parse error: {exc}") from None
    if not isinstance(value, dict) or value.get("jsonrpc") != "2.0":
        raise RpcError(INVALID_REQUEST, "invalid request: expected a JSON-RPC 2.0 object")
    message_id = value.get("id")
    if message_id is not None and (isinstance(message_id, bool) or not isinstance(message_id, (int, str))):
        raise RpcError(INVALID_REQUEST, "invalid request: id must be a string or an integer")
    if "method" in value:
        method = value["method"]
        if not isinstance(method, str) or not method:
            raise RpcError(INVALID_REQUEST, "invalid request: method must be a non-empty string")
        params = value.get("params")
        if params is not None and not isinstance(params, (dict, list)):
            raise RpcError(INVALID_REQUEST, "invalid request: params must be an object or an array")
        kind = "request" if "id" in value else "notification"
        return Message(kind=kind, method=method, params=params, id=message_id)
    if "result" in value or "error" in value:
        err = value.get("error")
        if err is not None and not isinstance(err, dict):
            raise RpcError(INVALID_REQUEST, "invalid response: error must be an object")
        return Message(kind="response", id=message_id, result=value.get("result"), error=err)
    raise RpcError(INVALID_REQUEST, "invalid request: neither a method nor a result")


def request_id_of(text: str | bytes) -> RequestId | None:
    """Best-effort id of an unparseable-as-RPC message, for the error reply."""
    try:
        value = json.loads(text)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None
    if isinstance(value, dict) and isinstance(value.get("id"), (int, str)) and not isinstance(value.get("id"), bool):
        return value["id"]
    return None


Handler = Callable[[Message], Any]


class Dispatcher:
    """Routes requests and notifications to handlers by method name.

    A handler returns the result value of a request (ignored for
    notifications) or raises :class:`RpcError`. Any other exception becomes an
    INTERNAL_ERROR carrying the Python traceback, so a bug in one handler never
    takes the engine down.
    """

    def __init__(self) -> None:
        self._handlers: dict[str, Handler] = {}

    def register(self, method: str, handler: Handler) -> None:
        self._handlers[method] = handler

    def methods(self) -> list[str]:
        return sorted(self._handlers)

    def dispatch(self, message: Message) -> str | None:
        """Run the handler; return the reply text for requests, None for notifications."""
        if message.kind == "response":
            return None
        handler = self._handlers.get(message.method or "")
        if handler is None:
            if message.kind == "notification":
                return None
            return error(message.id, METHOD_NOT_FOUND, f"method not found: {message.method}")
        try:
            value = handler(message)
        except RpcError as exc:
            return None if message.kind == "notification" else error(message.id, exc.code, exc.message, exc.data)
        except Exception as exc:  # noqa: BLE001 - last-resort boundary: report, keep serving
            if message.kind == "notification":
                return None
            return error(message.id, INTERNAL_ERROR, f"{type(exc).__name__}: {exc}",
                         {"traceback": traceback.format_exc()})
        return None if message.kind == "notification" else result(message.id, value)


def params_object(message: Message) -> dict[str, Any]:
    """The params of a message as an object; raise INVALID_PARAMS otherwise."""
    if message.params is None:
        return {}
    if not isinstance(message.params, dict):
        raise RpcError(INVALID_PARAMS, f"{message.method}: params must be an object")
    return message.params
