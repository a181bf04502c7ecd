"""Blender integration tests: the in-Blender suite, and the network path end to end.

Both start real Blender headless (``blender -b --factory-startup``) with
BLENDER_USER_SCRIPTS pointing at a temporary folder holding our addons plus the
broken fixture addons. Run with Debian's Python:

    /usr/bin/python3 -m unittest discover -s engines/blender/tests/integration -t engines/blender/tests
"""

from __future__ import annotations

import asyncio
import json
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

BLENDER_AVAILABLE = shutil.which(paths.BLENDER) is not None


def blender_environment(scripts: str, workdir: str, **extra: str) -> dict[str, str]:
    env = dict(os.environ, BLENDER_USER_SCRIPTS=scripts, ATELIER_WORKDIR=workdir, **extra)
    env.pop("PYTHONPATH", None)  # a pyenv PYTHONPATH must not leak into Blender's Python
    return env


@unittest.skipUnless(BLENDER_AVAILABLE, "blender is not installed")
class InBlenderSuite(unittest.TestCase):
    """tests/in_blender/: tool handlers called directly inside one Blender process."""

    def test_tool_handlers_in_real_blender(self) -> None:
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


@unittest.skipUnless(BLENDER_AVAILABLE, "blender is not installed")
class EndToEnd(unittest.TestCase):
    """bootstrap.py in real Blender, talking to a fake hub over a real WebSocket."""

    loop: asyncio.AbstractEventLoop
    hub: FakeHub
    process: asyncio.subprocess.Process
    root: str
    workdir: str
    started: float

    @classmethod
    def setUpClass(cls) -> None:
        cls.loop = asyncio.new_event_loop()
        cls.root = tempfile.mkdtemp(prefix="atelier-e2e-")
        cls.workdir = os.path.join(cls.root, "work")
        os.makedirs(cls.workdir)
        scripts = paths.make_scripts_dir(os.path.join(cls.root, "scripts"),
                                         [os.path.join(paths.FIXTURES_DIR, "addons")])
        cls.hub = FakeHub(token="launch-token-1")
        cls.await_(cls.hub.start())
        env = blender_environment(scripts, cls.workdir, ATELIER_HUB_URL=cls.hub.url,
                                  ATELIER_ENGINE_TOKEN="launch-token-1", ATELIER_SESSION_ID="session-1")
        cls.log = open(os.path.join(cls.root, "engine.log"), "wb")
        cls.started = time.monotonic()
        cls.process = cls.await_(asyncio.create_subprocess_exec(
            paths.BLENDER, "-b", "--factory-startup", "--python", paths.BOOTSTRAP,
            env=env, cwd=cls.workdir, stdout=cls.log, stderr=subprocess.STDOUT))
        cls.await_(cls.hub.wait_connected(timeout=60))
        cls.connect_seconds = time.monotonic() - cls.started

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

    def call(self, tool: str, arguments: dict | None = None, call_id: str = "c", timeout: float = 120) -> dict:
        return self.await_(self.hub.request("tools/call", {"tool": tool, "arguments": arguments or {},
                                                        "call_id": call_id}, timeout=timeout))

    def wait_for(self, predicate, timeout: float = 60):  # type: ignore[no-untyped-def]
        return self.await_(self.hub.wait_for(predicate, timeout))

    def test_1_hello_carries_the_launch_token_kind_and_protocol(self) -> None:
        hello = self.hub.hello
        self.assertEqual((hello["token"], hello["kind"], hello["protocol"]), ("launch-token-1", "blender", 1))
        self.assertIn("Blender", hello["instructions"])
        self.assertTrue(hello["version"])
        sys.stderr.write(f"\n  engine connected {self.connect_seconds:.2f} s after launch\n")

    def test_2_tools_update_sends_every_enabled_manifest_including_broken_ones(self) -> None:
        updates = self.wait_for(lambda h: h.notifications_named("tools/update"))
        self.assertIs(self.hub.notifications[0], updates[0])  # the first thing after hello
        ids = [m["addon_info"]["id"] for m in updates[0]["params"]["addons"]]
        for addon in ("router", "scene", "modeling", "materials", "lighting", "camera", "animation", "render",
                      "broken"):
            self.assertIn(addon, ids)
        logs = self.wait_for(lambda h: [n for n in h.notifications_named("log")
                                        if "broken_manifest" in n["params"]["message"]])
        self.assertIn("/ai_integration/tools/0/parameters/0/type", logs[0]["params"]["message"])

    def test_3_add_primitive_gives_result_scene_changed_and_a_640x360_frame(self) -> None:
        self.wait_for(lambda h: h.frames)  # the initial frame after connecting
        frames_before = len(self.hub.frames)
        changes_before = len(self.hub.notifications_named("scene/changed"))
        started = time.perf_counter()
        reply = self.call("modeling__add_primitive", {"shape": "cube", "name": "HubCube", "location": [0, 0, 1],
                                                       "color": "#3366FF"}, call_id="call-1")
        round_trip_ms = (time.perf_counter() - started) * 1000
        result = reply["result"]
        self.assertEqual(result["content"][0]["type"], "text")
        self.assertIn("HubCube", result["content"][0]["text"])
        self.assertIn("HubCube", [o["name"] for o in result["scene"]["objects"]])
        changed = self.wait_for(lambda h: h.notifications_named("scene/changed")[changes_before:])
        cube = next(o for o in changed[0]["params"]["summary"]["objects"] if o["name"] == "HubCube")
        self.assertEqual((cube["type"], cube["location"], cube["dimensions"]), ("mesh", [0.0, 0.0, 1.0], [2.0, 2.0, 2.0]))
        self.assertEqual(cube["material"], "HubCube colour")
        self.wait_for(lambda h: len(h.frames) > frames_before)
        frame_ms = (time.perf_counter() - started) * 1000
        header, jpeg = decode_frame(self.hub.frames[-1])
        previous, _ = decode_frame(self.hub.frames[frames_before - 1])
        self.assertEqual((header.width, header.height, header.codec), (640, 360, CODEC_JPEG))
        self.assertGreater(header.seq, previous.seq)
        self.assertEqual(jpeg_size(jpeg), (640, 360))
        trivial = []
        for _ in range(20):
            started = time.perf_counter()
            self.call("router__scene_summary")
            trivial.append((time.perf_counter() - started) * 1000)
        trivial.sort()
        sys.stderr.write(f"\n  add_primitive round trip {round_trip_ms:.1f} ms, frame after {frame_ms:.1f} ms; "
                         f"scene_summary round trip p50 {trivial[10]:.2f} ms\n")
        undone = self.call("router__undo")["result"]
        self.assertNotIn("HubCube", [o["name"] for o in undone["scene"]["objects"]])

    def test_4_protocol_errors_do_not_drop_the_connection(self) -> None:
        self.await_(self.hub.send_raw("{this is not json"))
        parse_error = self.wait_for(lambda h: [r for r in h.orphan_replies if r.get("error")])[0]
        self.assertEqual((parse_error["id"], parse_error["error"]["code"]), (None, protocol.PARSE_ERROR))
        reply = self.await_(self.hub.request("no/such/method"))
        self.assertEqual(reply["error"]["code"], protocol.METHOD_NOT_FOUND)
        reply = self.call("scene__object_info", {"name": "Ghost"})
        self.assertEqual(reply["error"]["code"], protocol.TOOL_FAILED)
        self.assertIn("'Ghost'", reply["error"]["message"])
        self.assertIn("Traceback", reply["error"]["data"]["traceback"])
        reply = self.call("nobody__nothing")
        self.assertEqual(reply["error"]["code"], protocol.UNKNOWN_TOOL)
        reply = self.call("router__execute_python", {"code": "result = 1"})
        self.assertEqual(reply["error"]["code"], protocol.TOOL_REFUSED)

    def test_5_viewport_configure_and_coalesced_camera_requests(self) -> None:
        reply = self.await_(self.hub.request("viewport/configure", {"width": 320, "height": 180}))
        self.assertEqual(reply["result"]["width"], 320)
        header, jpeg = decode_frame(self.wait_for(
            lambda h: [f for f in h.frames if decode_frame(f)[0].width == 320])[0])
        self.assertEqual(jpeg_size(jpeg), (320, 180))
        self.call("camera__add_camera", {"name": "Cam"})

        async def busy_then_orbit() -> tuple[dict, list[dict], int]:
            render = asyncio.ensure_future(self.hub.request(
                "tools/call", {"tool": "render__render_still", "call_id": "still",
                               "arguments": {"engine": "eevee", "samples": 1, "width": 64, "height": 36}},
                timeout=120))
            await asyncio.sleep(0.3)  # the engine is rendering now
            frames_before = len(self.hub.frames)
            orbits = [asyncio.ensure_future(self.hub.request("viewport/camera", {"action": "orbit", "dx": 20 * i,
                                                                                  "dy": 5}))
                      for i in range(5)]
            replies = [await o for o in orbits]
            return await render, replies, len(self.hub.frames) - frames_before

        still, orbit_replies, new_frames = self.await_(busy_then_orbit())
        self.assertIn("result", still, still)
        self.assertTrue(all("result" in r for r in orbit_replies), orbit_replies)
        self.assertEqual(sum(1 for r in orbit_replies if not r["result"]["coalesced"]), 1)
        self.assertEqual(new_frames, 1)  # five requests while busy, one frame
        with open(os.path.join(self.workdir, "renders", "still.png"), "rb") as handle:
            self.assertEqual(handle.read(4), b"\x89PNG")
        self.await_(self.hub.request("viewport/camera", {"action": "reset"}))
        self.await_(self.hub.request("viewport/configure", {"width": 640, "height": 360}))

    def test_6_cancel_stops_a_long_render_with_progress(self) -> None:
        async def render_and_cancel() -> dict:
            call = asyncio.ensure_future(self.hub.request(
                "tools/call", {"tool": "render__render_animation", "call_id": "anim-1",
                               "arguments": {"engine": "workbench", "width": 32, "height": 18,
                                             "frame_start": 1, "frame_end": 200}}, timeout=120))
            await self.hub.wait_for(lambda h: [n for n in h.notifications_named("render/progress")
                                               if n["params"]["call_id"] == "anim-1"], 60)
            await self.hub.send({"jsonrpc": "2.0", "method": "$/cancel", "params": {"call_id": "anim-1"}})
            return await call

        reply = self.await_(render_and_cancel())
        self.assertEqual(reply["error"]["code"], protocol.CANCELLED, reply)
        progress = [n["params"] for n in self.hub.notifications_named("render/progress")
                    if n["params"]["call_id"] == "anim-1"]
        self.assertLess(progress[-1]["done"], 200)
        self.assertEqual(progress[0]["total"], 201)

    def test_7_warmup_renders_eevee_once(self) -> None:
        reply = self.await_(self.hub.request("engine/warmup", timeout=120))
        self.assertGreater(reply["result"]["ms"], 0)
        sys.stderr.write(f"\n  Eevee warm-up took {reply['result']['ms']:.0f} ms\n")

    def test_7_project_save_writes_blend_and_glb(self) -> None:
        self.call("modeling__add_primitive", {"shape": "monkey", "name": "Saved"})
        reply = self.await_(self.hub.request("project/save"))
        self.assertEqual(reply["result"]["files"], ["scene.blend", "scene.glb"])
        with open(os.path.join(self.workdir, "scene.glb"), "rb") as handle:
            self.assertEqual(handle.read(4), b"glTF")
        self.assertTrue(os.path.getsize(os.path.join(self.workdir, "scene.blend")) > 1000)

    def test_8_shutdown_ends_the_process_cleanly(self) -> None:
        reply = self.await_(self.hub.request("engine/shutdown"))
        self.assertEqual(reply["result"], {})
        self.assertEqual(self.await_(asyncio.wait_for(self.process.wait(), 30)), 0)


@unittest.skipUnless(BLENDER_AVAILABLE, "blender is not installed")
class Restore(unittest.TestCase):
    """A relaunched engine opens the saved scene.blend; a refused hello ends the process."""

    def test_engine_opens_the_saved_scene_and_exits_when_hello_is_refused(self) -> None:
        async def scenario(root: str) -> None:
            workdir = os.path.join(root, "work")
            os.makedirs(workdir)
            scripts = paths.make_scripts_dir(os.path.join(root, "scripts"))
            hub = FakeHub(token="t1")
            await hub.start()
            env = blender_environment(scripts, workdir, ATELIER_HUB_URL=hub.url, ATELIER_ENGINE_TOKEN="t1")
            first = await asyncio.create_subprocess_exec(paths.BLENDER, "-b", "--factory-startup", "--python",
                                                         paths.BOOTSTRAP, env=env, cwd=workdir,
                                                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            await hub.wait_connected(60)
            await hub.request("tools/call", {"tool": "modeling__add_primitive", "call_id": "1",
                                             "arguments": {"shape": "torus", "name": "Keep", "location": [1, 2, 3]}})
            await hub.request("project/save")
            await hub.request("engine/shutdown")
            self.assertEqual(await first.wait(), 0)
            await hub.stop()

            hub = FakeHub(token="t2")
            await hub.start()
            env.update(ATELIER_HUB_URL=hub.url, ATELIER_ENGINE_TOKEN="t2")
            second = await asyncio.create_subprocess_exec(paths.BLENDER, "-b", "--factory-startup", "--python",
                                                          paths.BOOTSTRAP, env=env, cwd=workdir,
                                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            await hub.wait_connected(60)
            reply = await hub.request("tools/call", {"tool": "scene__object_info", "call_id": "2",
                                                     "arguments": {"name": "Keep"}})
            self.assertEqual(reply["result"]["data"]["location"], [1.0, 2.0, 3.0])
            await hub.request("engine/shutdown")
            self.assertEqual(await second.wait(), 0)
            await hub.stop()

            hub = FakeHub(token="someone-else")
            await hub.start()
            env.update(ATELIER_HUB_URL=hub.url, ATELIER_ENGINE_TOKEN="stale")
            refused = await asyncio.create_subprocess_exec(paths.BLENDER, "-b", "--factory-startup", "--python",
                                                           paths.BOOTSTRAP, env=env, cwd=workdir,
                                                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            self.assertEqual(await asyncio.wait_for(refused.wait(), 60), 3)
            await hub.stop()

        with tempfile.TemporaryDirectory(prefix="atelier-restore-") as root:
            asyncio.run(scenario(root))


if __name__ == "__main__":
    unittest.main()
