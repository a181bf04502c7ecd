# SPDX-License-Identifier: GPL-2.0-or-later
"""The engine's WebSocket link to the hub, on a daemon thread with its own asyncio loop.

Blender's main thread is busy with bpy work (renders can take minutes), so the
connection lives on a separate thread: it answers WebSocket pings while the
main thread renders, reconnects with backoff when the hub goes away, and hands
every incoming text message to a callback. Nothing here touches bpy.

Outgoing traffic is two lanes: JSON text messages in order, and viewport
frames where only the newest unsent frame is kept (a slow hub sees fewer
frames, never stale ones).
"""

from __future__ import annotations

import asyncio
import collections
import logging
import random
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable

import websockets
import websockets.exceptions

from . import protocol

log = logging.getLogger("atelier.link")

HELLO_ID = "engine-hello"


@dataclass
class ReconnectPolicy:
    """Exponential backoff with jitter (DESIGN §5 numbers), and when to give up."""

    base_s: float = 0.5
    cap_s: float = 10.0
    give_up_after_s: float = 120.0
    hello_timeout_s: float = 15.0

    def delay(self, attempt: int) -> float:
        ceiling = min(self.cap_s, self.base_s * (2 ** attempt))
        return ceiling * random.uniform(0.5, 1.0)


# Events reported to the engine, from the network thread.
EVENT_CONNECTED = "connected"        # payload: the engine/hello result
EVENT_DISCONNECTED = "disconnected"  # payload: {"reason"}
EVENT_REJECTED = "rejected"          # payload: the engine/hello error object; the link stops
EVENT_GAVE_UP = "gave_up"            # payload: {"reason"}; the link stops


class HubLink:
    """A reconnecting JSON-RPC-over-WebSocket client. Thread-safe send methods."""

    def __init__(self, url: str, hello_params: dict[str, Any],
                 on_message: Callable[[str], None],
                 on_event: Callable[[str, Any], None],
                 policy: ReconnectPolicy | None = None,
                 max_message_bytes: int = 8 * 1024 * 1024) -> None:
        self._url = url
        self._hello_params = hello_params
        self._on_message = on_message
        self._on_event = on_event
        self._policy = policy or ReconnectPolicy()
        self._max_message_bytes = max_message_bytes
        self._lock = threading.Lock()
        self._texts: collections.deque[str] = collections.deque()
        self._frame: bytes | None = None
        self._tools_update: str | None = None
        self._connected = False
        self._stopping = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None
        self._thread: threading.Thread | None = None
        self._started = threading.Event()

    # ----- called from any thread -------------------------------------------------------------

    def start(self) -> None:
        self._thread = threading.Thread(target=self._thread_main, name="atelier-hub-link", daemon=True)
        self._thread.start()
        self._started.wait(5)

    @property
    def connected(self) -> bool:
        return self._connected

    def send_text(self, text: str) -> bool:
        """Queue a JSON message; dropped (returns False) while disconnected."""
        with self._lock:
            if not self._connected:
                return False
            self._texts.append(text)
        self._poke()
        return True

    def notify(self, method: str, params: Any = None) -> bool:
        return self.send_text(protocol.notification(method, params))

    def send_frame(self, data: bytes) -> bool:
        """Offer a binary frame; replaces an older frame that has not been sent yet."""
        with self._lock:
            if not self._connected:
                return False
            self._frame = data
        self._poke()
        return True

    def set_tools_update(self, text: str) -> None:
        """The current tools/update; sent after every hello, and now if connected."""
        with self._lock:
            self._tools_update = text
            if self._connected:
                self._texts.append(text)
        self._poke()

    def stop(self, flush_timeout_s: float = 2.0) -> None:
        """Flush queued messages (bounded wait), close the connection, end the thread."""
        deadline = time.monotonic() + flush_timeout_s
        while time.monotonic() < deadline:
            with self._lock:
                if not self._connected or (not self._texts and self._frame is None):
                    break
            time.sleep(0.01)
        self._stopping = True
        self._poke()
        if self._thread is not None:
            self._thread.join(timeout=flush_timeout_s + 3)

    def _poke(self) -> None:
        loop, wake = self._loop, self._wake
        if loop is not None and wake is not None and not loop.is_closed():
            try:
                loop.call_soon_threadsafe(wake.set)
            except RuntimeError:
                pass  # the loop closed between the check and the call

    # ----- network thread ---------------------------------------------------------------------

    def _thread_main(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            loop.run_until_complete(self._run())
        finally:
            loop.close()

    async def _run(self) -> None:
        self._wake = asyncio.Event()
        self._started.set()
        attempt = 0
        last_connected = time.monotonic()
        while not self._stopping:
            reason = "connection failed"
            try:
                async with websockets.connect(self._url, max_size=self._max_message_bytes,
                                              ping_interval=20, ping_timeout=60, open_timeout=10,
                                              close_timeout=2) as ws:
                    outcome = await self._session(ws)
                    if outcome == "rejected":
                        return
                    attempt = 0
                    last_connected = time.monotonic()
                    reason = outcome
            except (OSError, asyncio.TimeoutError, websockets.exceptions.WebSocketException) as exc:
                reason = f"{type(exc).__name__}: {exc}"
            was_connected = self._set_connected(False)
            if was_connected:
                last_connected = time.monotonic()
                self._on_event(EVENT_DISCONNECTED, {"reason": reason})
            if self._stopping:
                return
            if time.monotonic() - last_connected > self._policy.give_up_after_s:
                self._on_event(EVENT_GAVE_UP, {"reason": f"no hub for {self._policy.give_up_after_s:.0f} s: {reason}"})
                return
            delay = self._policy.delay(attempt)
            attempt += 1
            log.info("hub link: %s; reconnecting in %.2f s", reason, delay)
            try:
                await asyncio.wait_for(self._wait_stopping(), timeout=delay)
            except asyncio.TimeoutError:
                pass

    async def _wait_stopping(self) -> None:
        assert self._wake is not None
        while not self._stopping:
            await self._wake.wait()
            self._wake.clear()

    def _set_connected(self, value: bool) -> bool:
        with self._lock:
            previous = self._connected
            self._connected = value
            if value:
                self._texts.clear()
                self._frame = None
                if self._tools_update is not None:
                    self._texts.append(self._tools_update)
            return previous

    async def _session(self, ws: Any) -> str:
        """One connection: hello, then read and write until it closes. Returns why it ended."""
        early: list[str] = []
        await ws.send(protocol.request(HELLO_ID, "engine/hello", self._hello_params))
        hello = await asyncio.wait_for(self._await_hello(ws, early), timeout=self._policy.hello_timeout_s)
        if hello.error is not None:
            self._stopping = True
            self._on_event(EVENT_REJECTED, hello.error)
            return "rejected"
        # tools/update is queued first by _set_connected, so it follows the hello result.
        self._set_connected(True)
        self._on_event(EVENT_CONNECTED, hello.result if isinstance(hello.result, dict) else {})
        for text in early:
            self._on_message(text)
        writer = asyncio.ensure_future(self._writer(ws))
        try:
            async for raw in ws:
                if isinstance(raw, str):
                    self._on_message(raw)
            return f"hub closed the connection ({ws.close_code} {ws.close_reason})".strip()
        except websockets.exceptions.ConnectionClosed as exc:
            return f"connection closed ({exc.code} {exc.reason})"
        finally:
            writer.cancel()
            try:
                await writer
            except (asyncio.CancelledError, websockets.exceptions.ConnectionClosed):
                pass

    async def _await_hello(self, ws: Any, early: list[str]) -> protocol.Message:
        async for raw in ws:
            if not isinstance(raw, str):
                continue
            try:
                message = protocol.parse(raw)
            except protocol.RpcError:
                early.append(raw)
                continue
            if message.kind == "response" and message.id == HELLO_ID:
                return message
            early.append(raw)
        raise websockets.exceptions.ConnectionClosedError(None, None)

    async def _writer(self, ws: Any) -> None:
        assert self._wake is not None
        while True:
            while True:
                with self._lock:
                    text = self._texts.popleft() if self._texts else None
                    frame = None
                    if text is None and self._frame is not None:
                        frame, self._frame = self._frame, None
                if text is None and frame is None:
                    break
                await ws.send(text if text is not None else frame)
            if self._stopping:
                await ws.close(1001, "engine shutting down")
                return
            await self._wake.wait()
            self._wake.clear()
