# SPDX-License-Identifier: GPL-2.0-or-later
"""Blender through the real hub: browser tab → atelier → Blender → atelier → browser tab.

One real hub (``$ATELIER_BINARY serve``) with a ``blender`` engine kind that launches real
Blender headless with bootstrap.py; a user token made with ``atelier token create``; a project
of kind ``blender`` created over REST; and one ``/ws/browser`` tab that drives the session the
way the web app does. The tests of the class share that hub and session and run in order
(their names are numbered): each builds on the scene the previous ones left.

Blender's addons come from a temporary BLENDER_USER_SCRIPTS holding ours plus two fixture addons
with a broken and an unreadable addon_ai.json; the hub passes its environment (minus its own
ATELIER_* settings) to the engines it launches.

Run with Debian's Python (python3-websockets, python3-numpy) and ffmpeg installed:

    ATELIER_BINARY=build/asan/atelier /usr/bin/python3 -m unittest discover \
        -s engines/blender/tests/integration -p 'test_hub.py' -t engines/blender/tests
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unittest
from typing import Any

from support import paths
from support.jpeg import jpeg_size
from support.media import parse_glb, pixel_stats, probe_video
from support.real_hub import BrowserTab, HubUnderTest, blender_command
from atelier_router.frame import CODEC_JPEG, decode_frame

FIRST_PARTY_ADDONS = ("router", "scene", "modeling", "materials", "lighting", "camera", "animation", "render",
                      "assets")


def object_names(summary: dict[str, Any]) -> list[str]:
    return [o["name"] for o in summary.get("objects", [])]


class BlenderThroughTheHub(unittest.TestCase):
    loop: asyncio.AbstractEventLoop
    hub: HubUnderTest
    tab: BrowserTab
    root: str
    project_id: str
    session_id: str
    ready: dict[str, Any]
    cold_ready_s: float

    @classmethod
    def setUpClass(cls) -> None:
        cls.loop = asyncio.new_event_loop()
        cls.root = tempfile.mkdtemp(prefix="atelier-blender-hub-")
        scripts = paths.make_scripts_dir(os.path.join(cls.root, "scripts"),
                                         [os.path.join(paths.FIXTURES_DIR, "addons")])
        paths.install_documented_example(os.path.join(scripts, "addons"))
        cls.hub = HubUnderTest(cls.root, blender_command(), extra_args=["--session-grace", "5"],
                               env={"BLENDER_USER_SCRIPTS": scripts})
        try:
            cls.hub.start()
            cls.project_id = cls.hub.create_project("island")
            cls.tab = cls.await_(BrowserTab.open(cls.hub))
            started = time.monotonic()
            cls.ready = cls.await_(cls.tab.start_session(cls.project_id))
            cls.cold_ready_s = time.monotonic() - started
            cls.session_id = cls.ready["session_id"]
            # The engine describes the scene it starts with right after it connects.
            cls.initial_scene = cls.await_(cls.tab.next_of_type("scene:updated", 0, 60))["payload"]["summary"]
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls) -> None:
        if getattr(cls, "tab", None) is not None:
            cls.await_(cls.tab.close())
        code = cls.hub.stop()
        if code not in (0, None):
            sys.stderr.write(f"\n  the hub exited with {code}:\n{cls.hub.log()[-6000:]}\n")
        cls.loop.close()
        if os.environ.get("ATELIER_KEEP_TEST_DIRS") != "1":
            shutil.rmtree(cls.root, ignore_errors=True)
        else:
            sys.stderr.write(f"\n  kept {cls.root}\n")

    @classmethod
    def await_(cls, coroutine):  # type: ignore[no-untyped-def]
        return cls.loop.run_until_complete(coroutine)

    # ----- helpers ---------------------------------------------------------------------------

    def command(self, tool: str, arguments: dict[str, Any] | None = None, timeout: float = 180) -> dict[str, Any]:
        return self.await_(self.tab.command(tool, arguments, timeout))

    def ok(self, tool: str, arguments: dict[str, Any] | None = None, timeout: float = 180) -> dict[str, Any]:
        result = self.command(tool, arguments, timeout)
        self.assertTrue(result.get("ok"), f"{tool} failed: {result}")
        return result

    def next_frame_after(self, count: int, timeout: float = 60) -> tuple[Any, bytes]:
        """The newest frame once more than ``count`` frames have arrived: (header, jpeg)."""
        self.await_(self.tab.wait_for(lambda tab: len(tab.frames) > count, timeout, "a viewport frame"))
        return decode_frame(self.tab.frames[-1])

    def scene_after(self, since: int, timeout: float = 60) -> dict[str, Any]:
        message = self.await_(self.tab.next_of_type("scene:updated", since, timeout))
        return message["payload"]["summary"]

    def mutate(self, tool: str, arguments: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any], bytes]:
        """A mutating command: its result, the scene:updated summary and the frame that follow it."""
        messages, frames = len(self.tab.messages), len(self.tab.frames)
        result = self.ok(tool, arguments)
        summary = self.scene_after(messages)
        header, jpeg = self.next_frame_after(frames)
        self.assertEqual((header.width, header.height, header.codec), (640, 360, CODEC_JPEG))
        return result, summary, jpeg

    def engine(self) -> dict[str, Any]:
        session = self.hub.session(self.session_id)
        status, engines = self.hub.request("GET", "/api/engines")
        self.assertEqual(status, 200, engines)
        return next(e for e in engines["items"] if e["id"] == session["engine_id"])

    # ----- tests -----------------------------------------------------------------------------

    def test_01_session_ready_has_every_valid_addon_and_reports_the_broken_manifests(self) -> None:
        sys.stderr.write(f"\n  cold session:ready {self.cold_ready_s:.2f} s after session:start\n")
        self.assertEqual(self.ready["engine"]["kind"], "blender")
        tools = {tool["name"] for tool in self.ready["tools"]}
        for name in ("modeling__add_primitive", "scene__object_info", "materials__set_material", "lighting__set_world",
                     "render__render_still", "router__undo", "camera__look_at", "animation__turntable"):
            self.assertIn(name, tools)
        self.assertFalse([name for name in tools if name.startswith(("broken__", "unreadable__", "future__"))], tools)
        self.assertNotIn("router__execute_python", tools)  # switched off, so not offered at all
        # The version users see is Blender's (engine/hello's `version`), not the addons' 0.1.0.
        self.assertRegex(self.ready["engine"]["version"], r"^[2-9]\.\d+\.\d+$")
        self.assertNotEqual(self.ready["engine"]["version"], "0.1.0")
        # The hub passes on what the engine drives, for the studio's top bar ("Blender 3.4.1").
        self.assertEqual(self.ready["engine"]["app_name"], "Blender")
        self.assertEqual(self.ready["engine"]["app_version"], self.ready["engine"]["version"])

        engine = self.engine()
        self.assertEqual(engine["kind"], "blender")
        self.assertEqual({a["id"] for a in engine["addons"]}, {*FIRST_PARTY_ADDONS, "stairs"})
        errors = str(engine["manifest_errors"])
        self.assertIn("broken", errors)
        self.assertIn("/ai_integration/tools/0/parameters/0/type", errors)
        self.assertIn("unreadable", errors)
        self.assertEqual(engine["tools"], len(tools))

    def test_01b_a_new_session_is_told_the_scene_it_starts_with(self) -> None:
        self.assertEqual(object_names(self.initial_scene), ["Cube", "Light", "Camera"])

    def test_02_add_primitive_is_in_the_scene_and_the_frame_and_undo_removes_it(self) -> None:
        result, summary, jpeg = self.mutate("modeling__add_primitive",
                                            {"shape": "cube", "name": "HubCube", "location": [0, 0, 1]})
        self.assertIn("HubCube", result["content"][0]["text"])
        self.assertTrue(result["version"], result)  # saved and committed
        cube = next(o for o in summary["objects"] if o["name"] == "HubCube")
        self.assertEqual((cube["type"], cube["location"], cube["dimensions"]),
                         ("mesh", [0.0, 0.0, 1.0], [2.0, 2.0, 2.0]))
        self.assertEqual(jpeg_size(jpeg), (640, 360))
        with_cube = pixel_stats(jpeg)

        _, summary, jpeg = self.mutate("router__undo", {})
        self.assertNotIn("HubCube", object_names(summary))
        self.assertGreater(pixel_stats(jpeg).distance(with_cube), 0.5, "the frame still shows the cube")
        info = self.command("scene__object_info", {"name": "HubCube"})
        self.assertFalse(info["ok"], info)

    def test_02b_the_worked_example_of_docs_blender_md_is_callable(self) -> None:
        self.assertIn("stairs__add_stairs", {tool["name"] for tool in self.ready["tools"]})
        _, summary, _ = self.mutate("stairs__add_stairs", {"steps": 3, "location": [0, -4, 0], "color": "#C08040"})
        self.assertIn("Stairs step 3", object_names(summary))
        refused = self.command("stairs__add_stairs", {"steps": 0})
        self.assertFalse(refused["ok"], refused)  # below the manifest's min: the hub refuses it
        self.ok("router__undo")

    def test_02c_disabling_and_enabling_an_addon_updates_every_tabs_registry(self) -> None:
        def animation_tools(message: dict[str, Any]) -> list[str]:
            return [t["name"] for t in message["payload"]["tools"] if t["name"].startswith("animation__")]

        messages = len(self.tab.messages)
        self.ok("router__disable_addon", {"addon": "animation"})
        update = self.await_(self.tab.next_of_type("registry:updated", messages, 60))
        self.assertEqual(animation_tools(update), [])
        self.assertIn("modeling__add_primitive", [t["name"] for t in update["payload"]["tools"]])
        gone = self.command("animation__turntable", {})
        self.assertFalse(gone["ok"], gone)  # the hub no longer knows the tool
        messages = len(self.tab.messages)
        self.ok("router__enable_addon", {"addon": "animation"})
        update = self.await_(self.tab.next_of_type("registry:updated", messages, 60))
        self.assertIn("animation__turntable", animation_tools(update))

    def test_02d_a_screenshot_returns_the_viewport_image_to_the_caller(self) -> None:
        shot = self.ok("router__screenshot", {"width": 320, "height": 180})
        image = next(block for block in shot["content"] if block["type"] == "image")
        self.assertEqual(image["mimeType"], "image/jpeg")
        self.assertEqual(jpeg_size(base64.b64decode(image["data"])), (320, 180))

    def test_02e_viewport_configure_reaches_the_engine_with_view_and_shading(self) -> None:
        frames = len(self.tab.frames)

        async def configure(payload: dict[str, Any]) -> dict[str, Any]:
            return await self.tab.reply(await self.tab.send("viewport:configure", payload), timeout=120)
        ack = self.await_(configure({"width": 400, "height": 100, "shading": "material", "view": "camera"}))
        self.assertEqual((ack["type"], ack["payload"]["view"], ack["payload"]["shading"]),
                         ("ack", "camera", "material"), ack)
        self.await_(self.tab.wait_for(lambda tab: len(tab.frames) > frames, 120, "the configured frame"))
        self.assertEqual(jpeg_size(decode_frame(self.tab.frames[-1])[1]), (400, 100))
        refused = self.await_(configure({"view": "sideways"}))
        self.assertEqual(refused["type"], "error", refused)
        self.assertIn("view must be one of", str(refused["payload"]))
        restored = self.await_(configure({"width": 640, "height": 360, "shading": "solid", "view": "free"}))
        self.assertEqual(restored["payload"]["view"], "free", restored)
        self.await_(self.tab.wait_for(lambda tab: len(tab.frames) > frames + 1, 120, "the restored frame"))

    def test_03_material_and_world_tools_change_what_the_frame_shows(self) -> None:
        _, _, plain = self.mutate("modeling__add_primitive", {"shape": "cube", "name": "Painted", "size": 2,
                                                                    "location": [0, 3, 1]})
        _, summary, red = self.mutate("materials__set_material", {"name": "Painted", "base_color": "#E01010"})
        painted = next(o for o in summary["objects"] if o["name"] == "Painted")
        self.assertTrue(painted["material"], painted)
        _, _, blue_world = self.mutate("lighting__set_world", {"color": "#1030D0", "strength": 1.0})
        with open(os.path.join(self.root, "frame-painted-blue-world.jpg"), "wb") as handle:
            handle.write(blue_world)  # ATELIER_KEEP_TEST_DIRS=1 keeps it, to look at
        before, after, world = pixel_stats(plain), pixel_stats(red), pixel_stats(blue_world)
        sys.stderr.write(f"\n  frames: plain {before}, red cube {after}, blue world {world}\n")
        # A red cube raises red against green; a blue world raises blue against red.
        self.assertGreater(after.mean_rgb[0] - after.mean_rgb[1], before.mean_rgb[0] - before.mean_rgb[1] + 2)
        self.assertGreater(world.mean_rgb[2] - world.mean_rgb[0], after.mean_rgb[2] - after.mean_rgb[0] + 2)

    def test_04_an_unknown_object_gives_a_clear_error_naming_it_and_changes_nothing(self) -> None:
        versions_before = len(self.hub.request("GET", f"/api/projects/{self.project_id}/versions")[1]["items"])
        info = self.command("scene__object_info", {"name": "Ghost"})
        self.assertFalse(info["ok"], info)
        self.assertIn("'Ghost'", info["error"]["message"])
        moved = self.command("scene__transform_object", {"name": "Ghost", "location": [1, 2, 3]})
        self.assertFalse(moved["ok"], moved)
        self.assertIn("'Ghost'", moved["error"]["message"])
        self.assertNotIn("version", moved)
        refused = self.command("router__execute_python", {"code": "result = 1"})
        self.assertFalse(refused["ok"], refused)
        self.assertIn("execute_python", refused["error"]["message"])
        invalid = self.command("modeling__add_primitive", {"shape": "dodecahedron"})
        self.assertFalse(invalid["ok"], invalid)  # refused by the hub's schema check, never reaches Blender
        versions_after = len(self.hub.request("GET", f"/api/projects/{self.project_id}/versions")[1]["items"])
        self.assertEqual(versions_after, versions_before)

    def test_05_export_glb_is_a_valid_gltf_binary(self) -> None:
        result = self.ok("render__export", {"format": "glb", "filename": "island.glb"})
        self.assertEqual(result["data"]["path"], "exports/island.glb")
        # The hub passed the project id (ATELIER_PROJECT_ID): the result names its download URL.
        url = f"/api/projects/{self.project_id}/files/exports/island.glb"
        self.assertEqual(result["data"]["url"], url)
        self.assertIn(url, json.dumps(result.get("content")))
        status, downloaded = self.hub.request("GET", url)
        self.assertEqual(status, 200)
        self.assertEqual(downloaded[:4], b"glTF")
        with open(os.path.join(self.hub.workdir(self.session_id), "exports", "island.glb"), "rb") as handle:
            document = parse_glb(handle.read())
        self.assertIn("Painted", [node.get("name") for node in document["nodes"]])
        self.assertTrue(document["meshes"])

    def test_06_camera_requests_while_busy_are_coalesced_and_a_long_render_can_be_cancelled(self) -> None:
        engine_id = self.hub.session(self.session_id)["engine_id"]
        messages, frames = len(self.tab.messages), len(self.tab.frames)
        answer: dict[str, Any] = {}

        def long_render() -> None:  # REST blocks until the engine answers (or the call is cancelled)
            answer["reply"] = self.hub.request("POST", f"/api/engines/{engine_id}/call", {
                "tool": "render__render_animation", "call_id": "long-render",
                "arguments": {"engine": "workbench", "width": 32, "height": 18, "frame_start": 1, "frame_end": 250}},
                timeout=300)

        caller = threading.Thread(target=long_render)
        caller.start()
        progress = self.await_(self.tab.next_of_type("render:progress", messages, 120))
        self.assertEqual(progress["payload"]["total"], 251)

        async def orbit_five_times() -> None:
            for step in range(5):
                await self.tab.send("viewport:camera", {"action": "orbit", "dx": 30 * (step + 1), "dy": 4})
            # The hub handles a tab's messages in order: once this is answered, the five orbits are
            # on the engine connection ahead of the $/cancel below.
            await self.tab.reply(await self.tab.send("agent:cancel"))
        self.await_(orbit_five_times())
        status, cancelled = self.hub.request("DELETE", f"/api/engines/{engine_id}/calls/long-render")
        self.assertLess(status, 300, cancelled)
        caller.join(120)
        status, reply = answer["reply"]
        self.assertNotEqual(status, 200, reply)
        self.assertEqual(reply["error"]["code"], "cancelled", reply)
        # A read-only command after the camera work: by its answer every frame of the orbits is out.
        self.ok("router__scene_summary")
        # One navigation frame (no anti-aliasing), then the same view anti-aliased once the camera rests.
        self.await_(self.tab.wait_for(lambda tab: len(tab.frames) > frames + 1, 60,
                                      "the orbit frame and its anti-aliased refinement"))
        self.assertEqual(len(self.tab.frames) - frames, 2, "five orbits while busy should give one frame "
                                                           "(and one refined frame when the camera rests)")
        updates = [p["payload"] for p in self.tab.of_type("render:progress", messages)]
        self.assertLess(updates[-1]["done"], 251)  # stopped early

    def test_07_a_still_and_a_short_mp4_land_in_renders_with_progress(self) -> None:
        workdir = self.hub.workdir(self.session_id)
        messages = len(self.tab.messages)
        still = self.ok("render__render_still", {"engine": "eevee", "samples": 4, "width": 320, "height": 180,
                                                 "filename": "island.png"})
        self.assertEqual(still["data"]["path"], "renders/island.png")
        self.assertEqual([c["type"] for c in still["content"]], ["text", "image"])
        with open(os.path.join(workdir, "renders", "island.png"), "rb") as handle:
            self.assertEqual(handle.read(8), b"\x89PNG\r\n\x1a\n")
        progress = [m["payload"] for m in self.tab.of_type("render:progress", messages)]
        self.assertEqual((progress[0]["done"], progress[-1]["done"], progress[-1]["total"]), (0, 1, 1))

        self.ok("animation__turntable", {"target": "Painted", "frames": 12})
        messages = len(self.tab.messages)
        movie = self.ok("render__render_animation", {"engine": "workbench", "width": 160, "height": 90,
                                                     "frame_start": 1, "frame_end": 12, "fps": 12,
                                                     "filename": "turntable.mp4"})
        self.assertEqual(movie["data"]["path"], "renders/turntable.mp4")
        probed = probe_video(os.path.join(workdir, "renders", "turntable.mp4"))
        self.assertEqual((probed["codec"], probed["width"], probed["height"], probed["frames"]), ("h264", 160, 90, 12))
        self.assertIn("mp4", probed["format"])
        progress = [m["payload"] for m in self.tab.of_type("render:progress", messages)]
        self.assertEqual([p["done"] for p in progress], list(range(1, 14)))
        self.assertEqual(progress[-1]["total"], 13)

    def test_08_a_blender_killed_mid_call_is_relaunched_and_restored_from_the_last_version(self) -> None:
        self.ok("scene__transform_object", {"name": "Painted", "location": [1, 2, 0.5]})
        before = self.hub.session(self.session_id)
        self.assertGreater(before["engine_pid"], 0, before)
        messages = len(self.tab.messages)
        render_id = self.await_(self.tab.send("command:send", {"tool": "render__render_animation", "arguments": {
            "engine": "workbench", "width": 32, "height": 18, "frame_start": 1, "frame_end": 250}}))
        self.await_(self.tab.next_of_type("render:progress", messages, 120))
        os.kill(before["engine_pid"], signal.SIGKILL)
        failed = self.await_(self.tab.reply(render_id, timeout=60))["payload"]
        self.assertFalse(failed["ok"], failed)
        self.assertEqual(failed["error"]["code"], "engine_lost", failed)
        status = self.await_(self.tab.next_of_type("session:status", messages, 60,
                                                   lambda m: m["payload"]["state"] == "reconnecting"))
        self.assertEqual(status["payload"]["attempt"], 1)
        ready = self.await_(self.tab.next_of_type("session:ready", messages, 120))
        self.assertEqual(ready["payload"]["session_id"], self.session_id)
        after = self.hub.session(self.session_id)
        self.assertNotEqual(after["engine_pid"], before["engine_pid"])
        self.assertNotEqual(after["engine_id"], before["engine_id"])
        info = self.ok("scene__object_info", {"name": "Painted"})
        self.assertEqual(info["data"]["location"], [1.0, 2.0, 0.5])

    def test_09_a_saved_scene_comes_back_in_a_new_session(self) -> None:
        versions_before = self.hub.request("GET", f"/api/projects/{self.project_id}/versions")[1]["items"]
        messages = len(self.tab.messages)
        self.await_(self.tab.send("session:end", {"session_id": self.session_id}))
        self.await_(self.tab.next_of_type("session:status", messages, 120,
                                          lambda m: m["payload"]["state"] == "ended"))
        status, versions = self.hub.request("GET", f"/api/projects/{self.project_id}/versions")
        self.assertEqual(status, 200, versions)
        # Nothing changed since the relaunch restored the last version: ending adds no version.
        self.assertEqual(len(versions["items"]), len(versions_before))
        head = versions["items"][0]["rev"]
        status, glb = self.hub.request("GET", f"/api/projects/{self.project_id}/files/scene.glb?rev={head}")
        self.assertEqual(status, 200)
        self.assertIn("Painted", [node.get("name") for node in parse_glb(glb)["nodes"]])

        ready = self.await_(self.tab.start_session(self.project_id))
        self.assertNotEqual(ready["session_id"], self.session_id)
        type(self).session_id = ready["session_id"]
        info = self.ok("scene__object_info", {"name": "Painted"})
        self.assertEqual(info["data"]["location"], [1.0, 2.0, 0.5])
        summary = self.ok("router__scene_summary")["data"]
        self.assertNotIn("HubCube", object_names(summary))

    def test_10_an_engine_with_a_wrong_launch_token_is_refused_and_exits_3(self) -> None:
        env = {name: value for name, value in os.environ.items() if not name.startswith("ATELIER_")}
        env.pop("PYTHONPATH", None)
        env.update(ATELIER_HUB_URL=self.hub.engine_url, ATELIER_ENGINE_TOKEN="not-a-launch-token",
                   ATELIER_WORKDIR=os.path.join(self.root, "intruder"))
        completed = subprocess.run(blender_command(), env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                   text=True, timeout=120)
        self.assertEqual(completed.returncode, 3, completed.stdout[-3000:])
        self.assertIn("refused engine/hello", completed.stdout)


class TheDefaultConfig(unittest.TestCase):
    """config/atelier.toml, what `make run` serves with, gives a working Blender session."""

    def test_make_run_config_gives_a_working_blender_session(self) -> None:
        async def scenario(hub: HubUnderTest) -> tuple[dict[str, Any], dict[str, Any], str]:
            tab = await BrowserTab.open(hub)
            try:
                ready = await tab.start_session(hub.create_project("default config"))
                result = await tab.command("modeling__add_primitive", {"shape": "monkey", "name": "Suzanne"})
                # The session took the pooled engine, or launched one if the pool was still warming
                # up: either way an engine of this config rendered its Eevee warm-up.
                return ready, result, hub.all_engine_logs()
            finally:
                await tab.close()

        with tempfile.TemporaryDirectory(prefix="atelier-default-config-") as root:
            hub = HubUnderTest(root, None, config_path=paths.DEFAULT_CONFIG)
            hub.start()
            try:
                ready, result, log = asyncio.run(scenario(hub))
            finally:
                code = hub.stop()
            self.assertEqual(code, 0, hub.log()[-4000:])
        self.assertEqual(ready["engine"]["kind"], "blender")
        self.assertTrue(result.get("ok"), result)
        self.assertTrue(result.get("version"), result)
        self.assertIn("warm-up render took", log)


if __name__ == "__main__":
    unittest.main()
