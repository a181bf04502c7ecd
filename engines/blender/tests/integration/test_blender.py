# SPDX-License-Identifier: GPL-2.0-or-later
"""Blender integration tests without the hub: the in-Blender suite, and engine-only requests.

Both start real Blender headless (``blender -b --factory-startup``) with
BLENDER_USER_SCRIPTS pointing at a temporary folder holding our addons (plus the
broken fixture addons for the in-Blender suite). Everything a browser reaches runs
through the real hub in test_hub.py. Run with Debian's Python:

    /usr/bin/python3 -m unittest discover -s engines/blender/tests/integration -t engines/blender/tests
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

from support import paths
from support.fake_hub import FakeHub
from support.jpeg import jpeg_size
from atelier_router import protocol
from atelier_router.frame import CODEC_JPEG, decode_frame


def require_blender() -> None:
    """Blender is a test dependency (scripts/deps.sh test installs it): missing fails, never skips."""
    if shutil.which(paths.BLENDER) is None:
        raise AssertionError(f"{paths.BLENDER!r} is not installed; scripts/deps.sh test installs blender "
                             "(or set ATELIER_BLENDER to its path)")


def blender_environment(scripts: str, workdir: str, **extra: str) -> dict[str, str]:
    env = dict(os.environ, BLENDER_USER_SCRIPTS=scripts, ATELIER_WORKDIR=workdir, **extra)
    env.pop("PYTHONPATH", None)  # a pyenv PYTHONPATH must not leak into Blender's Python
    return env


class InBlenderSuite(unittest.TestCase):
    """tests/in_blender/: tool handlers called directly inside one Blender process."""

    def test_tool_handlers_in_real_blender(self) -> None:
        require_blender()
        with tempfile.TemporaryDirectory(prefix="atelier-blender-") as root:
            scripts = paths.make_scripts_dir(os.path.join(root, "scripts"),
                                             [os.path.join(paths.FIXTURES_DIR, "addons")])
            workdir = os.path.join(root, "work")
            os.makedirs(workdir)
            command = [paths.BLENDER, "-b", "--factory-startup", "--python-exit-code", "1",
                       "--python", os.path.join(paths.TESTS_DIR, "in_blender", "run.py")]
            completed = subprocess.run(command, env=blender_environment(scripts, workdir), cwd=workdir,
                                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=600)
        report = [line for line in completed.stdout.splitlines()
                  if line.startswith(("test_", "Ran ", "OK", "FAILED", "FAIL:", "ERROR:")) or " ... " in line]
        sys.stderr.write("\n  in Blender: " + "\n  in Blender: ".join(report[-40:]) + "\n")
        if completed.returncode != 0:
            sys.stderr.write(completed.stdout[-20000:])
        self.assertEqual(completed.returncode, 0, "the in-Blender suite failed (output above)")


class EngineRequestsTheHubDoesNotSendYet(unittest.TestCase):
    """bootstrap.py in real Blender against a scripted peer, for what no hub path reaches yet.

    Everything a browser can do goes through the real hub in test_hub.py. This class keeps the
    engine-protocol requests the hub does not send today (``viewport/configure``,
    ``project/open`` for pooled engines, ``engine/warmup``), frames the hub would never send
    (malformed JSON-RPC), and the ``--warmup`` engine option.
    """

    loop: asyncio.AbstractEventLoop
    hub: FakeHub
    process: asyncio.subprocess.Process
    root: str
    workdir: str

    @classmethod
    def setUpClass(cls) -> None:
        require_blender()
        cls.loop = asyncio.new_event_loop()
        cls.root = tempfile.mkdtemp(prefix="atelier-e2e-")
        cls.workdir = os.path.join(cls.root, "work")
        os.makedirs(cls.workdir)
        scripts = paths.make_scripts_dir(os.path.join(cls.root, "scripts"))
        cls.hub = FakeHub(token="launch-token-1")
        cls.await_(cls.hub.start())
        env = blender_environment(scripts, cls.workdir, ATELIER_HUB_URL=cls.hub.url,
                                  ATELIER_ENGINE_TOKEN="launch-token-1", ATELIER_SESSION_ID="session-1")
        cls.log = open(os.path.join(cls.root, "engine.log"), "wb")
        cls.process = cls.await_(asyncio.create_subprocess_exec(
            paths.BLENDER, "-b", "--factory-startup", "--python", paths.BOOTSTRAP, "--", "--warmup",
            env=env, cwd=cls.workdir, stdout=cls.log, stderr=subprocess.STDOUT))
        cls.await_(cls.hub.wait_connected(timeout=120))

    @classmethod
    def tearDownClass(cls) -> None:
        if cls.process.returncode is None:
            cls.process.kill()
            cls.await_(cls.process.wait())
        cls.await_(cls.hub.stop())
        cls.loop.close()
        cls.log.close()
        shutil.rmtree(cls.root, ignore_errors=True)

    @classmethod
    def await_(cls, coroutine):  # type: ignore[no-untyped-def]
        return cls.loop.run_until_complete(coroutine)

    def engine_log(self) -> str:
        with open(os.path.join(self.root, "engine.log"), encoding="utf-8", errors="replace") as handle:
            return handle.read()

    def test_1_the_warmup_option_renders_eevee_before_connecting(self) -> None:
        deadline = time.monotonic() + 60  # the main thread logs the connection after its first frame
        while "connected to the hub" not in self.engine_log() and time.monotonic() < deadline:
            time.sleep(0.05)
        log = self.engine_log()
        self.assertIn("warm-up render took", log)
        self.assertLess(log.index("warm-up render took"), log.index("connected to the hub"))

    def test_2_malformed_requests_get_errors_and_the_connection_stays(self) -> None:
        self.await_(self.hub.send_raw("{this is not json"))
        parse_error = self.await_(self.hub.wait_for(lambda h: [r for r in h.orphan_replies if r.get("error")]))[0]
        self.assertEqual((parse_error["id"], parse_error["error"]["code"]), (None, protocol.PARSE_ERROR))
        reply = self.await_(self.hub.request("no/such/method"))
        self.assertEqual(reply["error"]["code"], protocol.METHOD_NOT_FOUND)
        reply = self.await_(self.hub.request("tools/call", {"tool": "nobody__nothing", "arguments": {},
                                                            "call_id": "x"}))
        self.assertEqual(reply["error"]["code"], protocol.UNKNOWN_TOOL)
        self.assertIn("modeling__add_primitive", reply["error"]["data"]["tools"])

    def test_3_viewport_configure_changes_the_frame_size(self) -> None:
        reply = self.await_(self.hub.request("viewport/configure", {"width": 320, "height": 180}))
        self.assertEqual((reply["result"]["width"], reply["result"]["height"]), (320, 180))
        frame = self.await_(self.hub.wait_for(lambda h: [f for f in h.frames if decode_frame(f)[0].width == 320]))[0]
        header, jpeg = decode_frame(frame)
        self.assertEqual((header.height, header.codec, jpeg_size(jpeg)), (180, CODEC_JPEG, (320, 180)))
        reply = self.await_(self.hub.request("viewport/configure", {"width": 8, "height": 8}))
        self.assertEqual(reply["error"]["code"], protocol.INVALID_PARAMS)

    def test_4_project_open_hands_the_engine_another_working_tree(self) -> None:
        async def call(tool: str, arguments: dict) -> dict:
            return await self.hub.request("tools/call", {"tool": tool, "arguments": arguments, "call_id": tool})

        async def scenario(other: str) -> tuple[dict, dict, dict, dict]:
            await call("modeling__add_primitive", {"shape": "torus", "name": "Keep", "location": [1, 2, 3]})
            await self.hub.request("project/save")
            changes = len(self.hub.notifications_named("scene/changed"))
            fresh = await self.hub.request("project/open", {"workdir": other, "session_id": "session-2"})
            changed = await self.hub.wait_for(lambda h: h.notifications_named("scene/changed")[changes:])
            missing = await call("scene__object_info", {"name": "Keep"})
            back = await self.hub.request("project/open", {"workdir": self.workdir})
            kept = await call("scene__object_info", {"name": "Keep"})
            return fresh, changed[0], missing, {"back": back, "kept": kept}

        other = os.path.join(self.root, "other")
        os.makedirs(other)
        fresh, changed, missing, rest = self.await_(scenario(other))
        self.assertEqual((fresh["result"]["workdir"], fresh["result"]["opened"]), (other, None))
        self.assertNotIn("Keep", [o["name"] for o in changed["params"]["summary"]["objects"]])
        self.assertEqual(missing["error"]["code"], protocol.TOOL_FAILED)
        self.assertEqual(rest["back"]["result"]["opened"], "scene.blend")
        self.assertEqual(rest["kept"]["result"]["data"]["location"], [1.0, 2.0, 3.0])
        reply = self.await_(self.hub.request("project/open", {"workdir": os.path.join(self.root, "nowhere")}))
        self.assertEqual(reply["error"]["code"], protocol.INVALID_PARAMS)

    def test_5_engine_warmup_request_renders_eevee(self) -> None:
        reply = self.await_(self.hub.request("engine/warmup", timeout=120))
        self.assertGreater(reply["result"]["ms"], 0)

    def test_6_shutdown_ends_the_process_cleanly(self) -> None:
        reply = self.await_(self.hub.request("engine/shutdown"))
        self.assertEqual(reply["result"], {})
        self.assertEqual(self.await_(asyncio.wait_for(self.process.wait(), 30)), 0)


if __name__ == "__main__":
    unittest.main()
