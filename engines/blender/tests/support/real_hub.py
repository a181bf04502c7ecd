# SPDX-License-Identifier: GPL-2.0-or-later
"""The real hub for Blender tests: the `atelier` binary as a child process, REST and browser tabs.

``HubUnderTest`` starts ``atelier serve --port 0`` on a temporary data dir with a TOML config
declaring a ``blender`` engine kind that launches real Blender with ``bootstrap.py``, creates a
user token with ``atelier token create`` (so everything runs as an ordinary user, not the admin)
and talks REST over loopback. ``BrowserTab`` is one ``/ws/browser`` connection
(python3-websockets 10.4 asyncio client) that records every envelope and every binary frame.

The binary is ``$ATELIER_BINARY`` (CTest sets it to the build's ``atelier``).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import shutil
import signal
import subprocess
import time
import urllib.error
import urllib.request
from typing import Any, Callable

import websockets

from support import paths


class HubNotAvailable(RuntimeError):
    """The hub binary or Blender is missing: the test must fail with this reason, not skip."""


def hub_binary() -> str:
    binary = os.environ.get("ATELIER_BINARY", "")
    if not binary or not os.access(binary, os.X_OK):
        raise HubNotAvailable(f"ATELIER_BINARY={binary!r} is not an executable atelier binary "
                              "(ctest sets it; by hand: ATELIER_BINARY=build/asan/atelier)")
    return binary


def blender_binary() -> str:
    found = shutil.which(paths.BLENDER)
    if found is None:
        raise HubNotAvailable(f"{paths.BLENDER!r} is not installed (scripts/deps.sh test installs blender)")
    return found


def blender_command(*extra_args: str) -> list[str]:
    """What the hub runs for a Blender engine (DESIGN §12)."""
    return [blender_binary(), "-b", "--factory-startup", *extra_args, "--python", paths.BOOTSTRAP]


def toml_string(text: str) -> str:
    return json.dumps(text)  # a JSON string is a valid TOML basic string


class HubUnderTest:
    """``atelier serve`` with one engine kind; ``start()`` returns when it listens."""

    def __init__(self, root: str, command: list[str] | None, kind: str = "blender", pool: int = 0,
                 extra_args: list[str] | None = None, env: dict[str, str] | None = None,
                 config_path: str | None = None) -> None:
        """``command``: the engine kind's command, written to a fresh config; or None and
        ``config_path``: serve with that config file as it is."""
        self.root = root
        self.data_dir = os.path.join(root, "data")
        self.config_path = config_path or os.path.join(root, "atelier.toml")
        self.kind = kind
        self.command = command
        self.pool = pool
        self.extra_args = extra_args or []
        self.env = env or {}
        self.process: subprocess.Popen[bytes] | None = None
        self.port = 0
        self.token = ""        # alice's token (a member, created with `atelier token create`)
        self.admin_token = ""  # from the ready lines; not used by tests except to say so
        self._stdout_path = os.path.join(root, "hub.out")
        self._stderr_path = os.path.join(root, "hub.log")

    def _environment(self) -> dict[str, str]:
        env = {name: value for name, value in os.environ.items() if not name.startswith("ATELIER_")}
        env.pop("PYTHONPATH", None)  # a pyenv PYTHONPATH must not leak into Blender's Python
        env.update(self.env)
        return env

    def start(self, timeout: float = 60) -> None:
        binary = hub_binary()
        os.makedirs(self.data_dir, exist_ok=True)
        if self.command is not None:
            with open(self.config_path, "w", encoding="utf-8") as config:
                config.write(f"[engines.{self.kind}]\n"
                             f"command = [{', '.join(toml_string(part) for part in self.command)}]\n"
                             f"pool = {self.pool}\n")
        created = subprocess.run([binary, "token", "create", "--user", "alice", "--label", "blender tests",
                                  "--data-dir", self.data_dir], env=self._environment(),
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=60)
        if created.returncode != 0:
            raise RuntimeError(f"atelier token create failed ({created.returncode}): {created.stderr}")
        self.token = created.stdout.strip()
        with open(self._stdout_path, "wb") as out, open(self._stderr_path, "wb") as err:
            self.process = subprocess.Popen(
                [binary, "serve", "--config", self.config_path, "--port", "0", "--data-dir", self.data_dir,
                 "--threads", "2", *self.extra_args],
                env=self._environment(), stdout=out, stderr=err, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with open(self._stdout_path, encoding="utf-8", errors="replace") as out:
                text = out.read()
            if "atelier open " in text:
                listening = next(line for line in text.splitlines() if line.startswith("atelier listening on"))
                self.port = int(listening.rsplit(":", 1)[1])
                self.admin_token = text.split("?token=", 1)[1].split()[0]
                return
            if self.process.poll() is not None:
                raise RuntimeError(f"the hub exited with {self.process.returncode}: {self.log()[-4000:]}")
            time.sleep(0.05)
        raise RuntimeError(f"the hub did not print its ready lines within {timeout} s: {self.log()[-4000:]}")

    def stop(self, timeout: float = 30) -> int | None:
        """SIGTERM (sessions save, engines stop), then SIGKILL after ``timeout``; returns the exit code."""
        if self.process is None or self.process.poll() is not None:
            return None if self.process is None else self.process.returncode
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            return None

    def log(self) -> str:
        try:
            with open(self._stderr_path, encoding="utf-8", errors="replace") as err:
                return err.read()
        except OSError:
            return ""

    # ----- REST -------------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def browser_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws/browser"

    @property
    def engine_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws/engine"

    def request(self, method: str, path: str, body: Any = None, token: str | None = None,
                timeout: float = 60) -> tuple[int, Any]:
        """One HTTP request; returns (status, parsed JSON or raw bytes)."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base_url + path, data=data, method=method)
        request.add_header("Authorization", f"Bearer {token or self.token}")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                status, payload, kind = response.status, response.read(), response.headers.get("Content-Type", "")
        except urllib.error.HTTPError as error:
            status, payload, kind = error.code, error.read(), error.headers.get("Content-Type", "")
        if "json" in kind:
            return status, json.loads(payload)
        return status, payload

    def create_project(self, name: str) -> str:
        status, project = self.request("POST", "/api/projects", {"name": name, "kind": self.kind})
        if status != 201:
            raise RuntimeError(f"POST /api/projects answered {status}: {project}")
        return project["id"]

    def sessions(self) -> list[dict[str, Any]]:
        return self.request("GET", "/api/sessions")[1]["items"]

    def session(self, session_id: str) -> dict[str, Any]:
        return next(s for s in self.sessions() if s["id"] == session_id)

    def workdir(self, session_id: str) -> str:
        return os.path.join(self.data_dir, "sessions", session_id, "work")

    def all_engine_logs(self) -> str:
        """Every engine log of this hub: sessions' and pooled engines' (``sessions/pool-*``)."""
        root = os.path.join(self.data_dir, "sessions")
        logs = []
        for name in sorted(os.listdir(root)) if os.path.isdir(root) else []:
            logs.append(self.engine_log(name))
        return "\n".join(logs)

    def engine_log(self, session_id: str) -> str:
        try:
            with open(os.path.join(self.data_dir, "sessions", session_id, "engine.log"), encoding="utf-8",
                      errors="replace") as log:
                return log.read()
        except OSError:
            return ""


class BrowserTab:
    """One browser tab on ``/ws/browser``: sends envelopes, records everything that arrives."""

    def __init__(self, socket: Any) -> None:
        self.socket = socket
        self.messages: list[dict[str, Any]] = []
        self.frames: list[bytes] = []
        self.frame_times: list[float] = []
        self.closed: str | None = None
        self._ids = itertools.count(1)
        self._changed = asyncio.Condition()
        self._reader = asyncio.ensure_future(self._read())

    @classmethod
    async def open(cls, hub: HubUnderTest, token: str | None = None) -> "BrowserTab":
        socket = await websockets.connect(hub.browser_url, max_size=32 * 1024 * 1024,
                                          extra_headers={"Authorization": f"Bearer {token or hub.token}"})
        return cls(socket)

    async def close(self) -> None:
        await self.socket.close()
        self._reader.cancel()
        try:
            await self._reader
        except (asyncio.CancelledError, Exception):  # noqa: BLE001 - closing, whatever state it was in
            pass

    async def _read(self) -> None:
        try:
            async for raw in self.socket:
                if isinstance(raw, bytes):
                    self.frames.append(raw)
                    self.frame_times.append(time.perf_counter())
                else:
                    self.messages.append(json.loads(raw))
                async with self._changed:
                    self._changed.notify_all()
        except websockets.exceptions.ConnectionClosed as closed:
            self.closed = f"{closed.code} {closed.reason}"
        finally:
            self.closed = self.closed or "closed"
            async with self._changed:
                self._changed.notify_all()

    async def send(self, type_: str, payload: dict[str, Any] | None = None) -> str:
        message_id = f"m{next(self._ids)}"
        await self.socket.send(json.dumps({"type": type_, "id": message_id, "payload": payload or {}}))
        return message_id

    async def wait_for(self, predicate: Callable[["BrowserTab"], Any], timeout: float = 60,
                       what: str = "a message") -> Any:
        """Wait until ``predicate(self)`` is truthy and return its value; fails with what arrived."""
        async def waiting() -> Any:
            async with self._changed:
                while True:
                    value = predicate(self)
                    if value:
                        return value
                    if self.closed:
                        raise AssertionError(f"the tab closed ({self.closed}) while waiting for {what}")
                    await self._changed.wait()
        try:
            return await asyncio.wait_for(waiting(), timeout)
        except asyncio.TimeoutError:
            recent = [(m.get("type"), m.get("payload")) for m in self.messages[-8:]]
            raise AssertionError(f"no {what} within {timeout} s; last messages: {str(recent)[:3000]}") from None

    def reply_to(self, message_id: str, type_: str | None = None) -> dict[str, Any] | None:
        for message in self.messages:
            if message.get("re") == message_id and (type_ is None or message.get("type") == type_):
                return message
        return None

    async def reply(self, message_id: str, type_: str | None = None, timeout: float = 60) -> dict[str, Any]:
        return await self.wait_for(lambda tab: tab.reply_to(message_id, type_), timeout,
                                   f"reply {type_ or ''} to {message_id}")

    def of_type(self, type_: str, since: int = 0) -> list[dict[str, Any]]:
        return [m for m in self.messages[since:] if m.get("type") == type_]

    async def next_of_type(self, type_: str, since: int, timeout: float = 60,
                           where: Callable[[dict[str, Any]], bool] = lambda m: True) -> dict[str, Any]:
        """The first ``type_`` message at index ≥ ``since`` matching ``where``."""
        found = await self.wait_for(lambda tab: [m for m in tab.of_type(type_, since) if where(m)], timeout,
                                    f"{type_} message")
        return found[0]

    async def command(self, tool: str, arguments: dict[str, Any] | None = None,
                      timeout: float = 120) -> dict[str, Any]:
        """``command:send`` and its ``command:result`` payload."""
        message_id = await self.send("command:send", {"tool": tool, "arguments": arguments or {}})
        reply = await self.reply(message_id, timeout=timeout)
        if reply["type"] == "error":
            return {"ok": False, "error": reply["payload"]}
        return reply["payload"]

    async def start_session(self, project_id: str, session_id: str | None = None,
                            timeout: float = 120) -> dict[str, Any]:
        """``session:start`` and the ``session:ready`` that follows; returns its payload."""
        since = len(self.messages)
        payload: dict[str, Any] = {"project_id": project_id}
        if session_id:
            payload["session_id"] = session_id
        message_id = await self.send("session:start", payload)
        first = await self.reply(message_id, timeout=timeout)
        if first["type"] == "session:ready":
            return first["payload"]
        if first["type"] == "error":
            raise AssertionError(f"session:start failed: {first['payload']}")
        def ready_or_lost(tab: "BrowserTab") -> dict[str, Any] | None:
            for message in tab.messages[since:]:
                if message.get("type") == "session:ready" or (
                        message.get("type") == "session:status" and message["payload"].get("state") == "lost"):
                    return message
            return None
        ready = await self.wait_for(ready_or_lost, timeout, "session:ready")
        if ready["type"] != "session:ready":
            raise AssertionError(f"the session was lost before it was ready: {ready['payload']}")
        return ready["payload"]
