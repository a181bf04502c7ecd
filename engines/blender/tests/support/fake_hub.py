# SPDX-License-Identifier: GPL-2.0-or-later
"""A minimal hub peer for tests: accepts one engine on /ws/engine and scripts a conversation.

Runs an asyncio WebSocket server (python3-websockets 10.4) on 127.0.0.1, port 0.
Text messages are parsed as JSON-RPC; binary messages are kept as viewport frames.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from typing import Any

import websockets


class FakeHub:
    def __init__(self, token: str = "test-token", hello_result: dict[str, Any] | None = None) -> None:
        self.token = token
        self.hello_result = hello_result or {"session_id": "s1"}
        self.port = 0
        self.hello: dict[str, Any] | None = None
        self.notifications: list[dict[str, Any]] = []
        self.frames: list[bytes] = []
        self.orphan_replies: list[dict[str, Any]] = []  # replies to nothing we asked (e.g. parse errors)
        self._responses: dict[Any, asyncio.Future[dict[str, Any]]] = {}
        self._ids = itertools.count(1)
        self._connected = asyncio.Event()
        self._changed = asyncio.Condition()
        self._socket: Any = None
        self._server: Any = None
        self.connections = 0

    async def start(self, port: int = 0) -> None:
        """Listen on 127.0.0.1; port 0 picks a free port (pass the old one to simulate a restart)."""
        self._server = await websockets.serve(self._serve, "127.0.0.1", port, max_size=16 * 1024 * 1024)
        self.port = self._server.sockets[0].getsockname()[1]

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws/engine"

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _serve(self, socket: Any, path: str = "") -> None:
        self.connections += 1
        async for raw in socket:
            if isinstance(raw, bytes):
                self.frames.append(raw)
                await self._notify_change()
                continue
            message = json.loads(raw)
            if message.get("method") == "engine/hello":
                self.hello = message["params"]
                if self.hello.get("token") != self.token:
                    await socket.send(json.dumps({"jsonrpc": "2.0", "id": message["id"],
                                                  "error": {"code": -32001, "message": "bad token"}}))
                    await socket.close(4001, "bad token")
                    return
                await socket.send(json.dumps({"jsonrpc": "2.0", "id": message["id"], "result": self.hello_result}))
                self._socket = socket
                self._connected.set()
            elif "method" in message:
                self.notifications.append(message)
                await self._notify_change()
            elif message.get("id") in self._responses:
                self._responses.pop(message["id"]).set_result(message)
            else:
                self.orphan_replies.append(message)
                await self._notify_change()
        self._connected.clear()

    async def _notify_change(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def wait_connected(self, timeout: float = 30) -> None:
        await asyncio.wait_for(self._connected.wait(), timeout)

    async def request(self, method: str, params: dict[str, Any] | None = None, timeout: float = 60) -> dict[str, Any]:
        request_id = next(self._ids)
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._responses[request_id] = future
        await self._socket.send(json.dumps({"jsonrpc": "2.0", "id": request_id, "method": method,
                                            "params": params or {}}))
        return await asyncio.wait_for(future, timeout)

    async def send(self, message: dict[str, Any]) -> None:
        await self._socket.send(json.dumps(message))

    async def send_raw(self, text: str) -> None:
        await self._socket.send(text)

    async def wait_for(self, predicate: Any, timeout: float = 30) -> Any:
        """Wait until predicate(self) returns something truthy; return it."""
        async def waiting() -> Any:
            async with self._changed:
                while True:
                    value = predicate(self)
                    if value:
                        return value
                    await self._changed.wait()
        return await asyncio.wait_for(waiting(), timeout)

    def notifications_named(self, method: str) -> list[dict[str, Any]]:
        return [n for n in self.notifications if n.get("method") == method]
