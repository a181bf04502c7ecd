# SPDX-License-Identifier: GPL-2.0-or-later
"""Tool handlers in real Blender: scene state, undo, previews, files, renders, addon registry."""

from __future__ import annotations

import os
import struct
import unittest

import bpy

from atelier_router import protocol
from atelier_router.compat import eevee_engine_id
from atelier_router.frame import decode_frame
from in_blender.harness import call, call_error, engine, fresh_scene, image_stats
from support.jpeg import jpeg_size


def names() -> list[str]:
    return [o["name"] for o in call("router__scene_summary")["data"]["objects"]]


class SceneAndUndo(unittest.TestCase):
    def setUp(self) -> None:
        fresh_scene()

    def test_added_primitive_is_in_the_summary_and_undo_removes_it(self) -> None:
        result = call("modeling__add_primitive", shape="cube", name="Box", location=[0, 0, 1], size=2)
        summary = result["scene"]
        box = next(o for o in summary["objects"] if o["name"] == "Box")
        self.assertEqual((box["type"], box["location"], box["dimensions"]), ("mesh", [0.0, 0.0, 1.0], [2.0, 2.0, 2.0]))
        self.assertEqual(engine().notifications[-1][0], "scene/changed")
        undone = call("router__undo")
        self.assertNotIn("Box", [o["name"] for o in undone["scene"]["objects"]])
        call("router__redo")
        self.assertIn("Box", names())

    def test_every_mutating_call_sends_a_preview_frame_of_the_configured_size(self) -> None:
        before = engine().frame_seq
        call("modeling__add_primitive", shape="monkey")
        self.assertEqual(engine().frame_seq, before + 1)
        frame = engine().last_preview
        self.assertEqual(jpeg_size(frame.data), (640, 360))
        call("router__scene_summary")  # read-only: no frame
        self.assertEqual(engine().frame_seq, before + 1)

    def test_invalid_object_name_is_an_error_that_names_it(self) -> None:
        call("modeling__add_primitive", shape="cube", name="Real")
        error = call_error("scene__transform_object", name="Ghost", location=[1, 2, 3])
        self.assertEqual(error.code, protocol.TOOL_FAILED)
        self.assertIn("'Ghost'", error.message)
        self.assertIn("'Real'", error.message)  # and says what exists
        self.assertIn("Traceback", error.data["traceback"])
        error = call_error("materials__set_material", name="Nobody", base_color="#FF0000")
        self.assertIn("'Nobody'", error.message)

    def test_a_failed_mutating_call_leaves_the_scene_unchanged(self) -> None:
        call("modeling__add_primitive", shape="cube", name="A")
        call_error("modeling__add_modifier", name="A", modifier="boolean", cutter="Missing")
        self.assertEqual(call("scene__object_info", name="A")["data"]["modifiers"], [])

    def test_scene_tools(self) -> None:
        call("modeling__add_primitive", shape="cube", name="Parent")
        call("scene__duplicate_object", name="Parent", new_name="Child", offset=[3, 0, 0])
        call("scene__set_parent", name="Child", parent="Parent")
        call("scene__transform_object", name="Parent", location=[0, 0, 1], mode="relative")
        child = call("scene__object_info", name="Child")["data"]
        self.assertEqual(child["parent"], "Parent")
        call("scene__rename_object", name="Child", new_name="Kid")
        call("scene__create_collection", name="Props")
        call("scene__move_to_collection", name="Kid", collection="Props")
        self.assertEqual(call("scene__object_info", name="Kid")["data"]["collections"], ["Props"])
        self.assertEqual([o["name"] for o in call("scene__list_objects", pattern="ki")["data"]["objects"]], ["Kid"])
        call("scene__apply_transforms", name="Parent", scale=True, rotation=True)
        call("scene__delete_objects", names="Kid")
        self.assertEqual(names(), ["Parent"])

    def test_modeling_camera_and_animation_tools(self) -> None:
        call("modeling__add_primitive", shape="uv_sphere", name="Ball", size=1, color="#3366FF")
        call("modeling__add_primitive", shape="cube", name="Cutter", location=[0.5, 0, 0], size=0.8)
        call("modeling__add_modifier", name="Ball", modifier="boolean", cutter="Cutter")
        # One light object per modifier keeps every preview cheap on a busy 2-core machine.
        for index, (modifier, extra) in enumerate([("subdivision", {"levels": 1}), ("bevel", {}),
                                                   ("array", {"count": 2}), ("mirror", {}), ("solidify", {}),
                                                   ("displace", {})]):
            call("modeling__add_primitive", shape="cube", name=f"M_{modifier}", size=0.5, location=[index, 3, 0])
            call("modeling__add_modifier", name=f"M_{modifier}", modifier=modifier, **extra)
        call("modeling__apply_modifier", name="M_bevel", modifier="Bevel")
        call("modeling__shade", name="Ball", mode="smooth")
        call("modeling__add_text", text="HELLO", name="Title", location=[0, 0, 2])
        for shape in ("cylinder", "cone", "plane", "torus", "ico_sphere"):
            call("modeling__add_primitive", shape=shape)
        call("camera__add_camera", name="Cam", location=[6, -6, 4], target="Ball")
        call("camera__set_camera", lens=35)
        call("camera__set_camera", focus_object="Ball", fstop=1.8)
        call("camera__frame_all")
        call("animation__keyframe_transform", name="Ball", frame=1, location=[0, 0, 0])
        call("animation__keyframe_transform", name="Ball", frame=24, location=[0, 0, 3])
        call("animation__set_frame_range", start=1, end=48, fps=24)
        call("animation__turntable", frames=48)
        summary = call("router__scene_summary")["data"]
        self.assertEqual(summary["frame_range"], [1, 48])
        self.assertEqual(summary["camera"]["name"], "Cam")
        self.assertEqual(summary["camera"]["lens"], 35)
        self.assertEqual(summary["camera"]["dof"], {"fstop": 1.8, "focus": "Ball"})
        self.assertGreaterEqual(summary["object_count"], 10)
        ball = next(o for o in summary["objects"] if o["name"] == "Ball")
        self.assertTrue(ball["animated"])
        self.assertIn("boolean", ball["modifiers"])

    def test_execute_python_is_refused_unless_enabled(self) -> None:
        error = call_error("router__execute_python", code="result = 1")
        self.assertEqual(error.code, protocol.TOOL_REFUSED)
        self.assertIn("--execute-python", error.message)
        engine().config.execute_python = True
        try:
            self.assertEqual(call("router__execute_python", code="print(len(D.objects)); result = 42")["data"], 42)
        finally:
            engine().config.execute_python = False

    def test_unknown_tool_lists_known_ones(self) -> None:
        error = call_error("modeling__add_dragon")
        self.assertEqual(error.code, protocol.UNKNOWN_TOOL)
        self.assertIn("modeling__add_primitive", error.message)


class Previews(unittest.TestCase):
    def setUp(self) -> None:
        fresh_scene()

    def test_material_changes_what_the_preview_shows(self) -> None:
        call("modeling__add_primitive", shape="cube", name="Box", size=3)
        grey = image_stats(engine().last_preview.data)
        call("materials__set_material", name="Box", base_color="#FF0000", metallic=0.2, roughness=0.4)
        red = image_stats(engine().last_preview.data)
        self.assertGreater(red[0] - red[2], grey[0] - grey[2] + 0.05, (grey, red))
        used = call("scene__object_info", name="Box")["data"]["materials"][0]
        info = next(m for m in call("router__scene_summary")["data"]["materials"] if m["name"] == used)
        self.assertEqual((info["color"], info["metallic"], info["roughness"]), ("#FF0000", 0.2, 0.4))
        call("materials__set_material", name="Box", emission_color="#00FF00", emission_strength=3,
             transmission=0.5, alpha=0.8)

    def test_world_colour_changes_the_solid_preview(self) -> None:
        call("modeling__add_primitive", shape="cube", size=1)
        dark = image_stats(engine().last_preview.data)
        call("lighting__set_world", color="#E0E0FF")
        light = image_stats(engine().last_preview.data)
        self.assertGreater(light.mean(), dark.mean() + 0.3, (dark, light))

    def test_light_changes_the_rendered_preview(self) -> None:
        # Lights are invisible in the solid (Workbench) preview; the "rendered" shading uses Eevee.
        preview = engine().preview
        call("lighting__set_world", color="#000000", strength=0)
        call("modeling__add_primitive", shape="plane", name="Floor", size=20)
        call("modeling__add_primitive", shape="cube", name="Box", location=[0, 0, 1])
        call("lighting__add_light", type="point", name="Lamp", location=[2, -2, 3], energy=10)
        dim = image_stats(preview.render(160, 90, shading="rendered").data)
        call("lighting__set_light", name="Lamp", energy=2000, color="#FFAA55")
        bright = image_stats(preview.render(160, 90, shading="rendered").data)
        self.assertGreater(bright.mean(), dim.mean() * 3 + 0.02, (dim, bright))
        self.assertGreater(bright[0], bright[2])  # the warm colour shows
        call("lighting__sky_preset", preset="sunset")
        call("lighting__add_light", type="spot", target="Box")
        call("lighting__add_light", type="area", target_point=[0, 0, 0])
        self.assertEqual(len(call("router__scene_summary")["data"]["lights"]), 4)

    def test_camera_orbit_changes_the_view_and_reset_restores_it(self) -> None:
        call("modeling__add_primitive", shape="monkey")
        preview = engine().preview
        first = preview.render().data
        preview.camera("orbit", dx=120, dy=0)
        orbited = preview.render().data
        self.assertNotEqual(first, orbited)
        preview.camera("zoom", delta=3)
        preview.camera("pan", dx=10, dy=10)
        preview.camera("reset")
        self.assertEqual(image_stats(preview.render().data).round(3).tolist(),
                         image_stats(first).round(3).tolist())

    def test_screenshot_returns_an_image_to_the_model(self) -> None:
        call("modeling__add_primitive", shape="cube")
        content = call("router__screenshot", width=320, height=180)["content"]
        image = next(c for c in content if c["type"] == "image")
        self.assertEqual(image["mimeType"], "image/jpeg")
        import base64
        self.assertEqual(jpeg_size(base64.b64decode(image["data"])), (320, 180))


class Files(unittest.TestCase):
    def setUp(self) -> None:
        fresh_scene()
        self.workdir = engine().config.workdir

    def test_save_then_reload_gives_the_same_scene(self) -> None:
        call("modeling__add_primitive", shape="torus", name="Ring", location=[1, 2, 3], color="#22AA44")
        call("lighting__add_light", type="sun", name="Sun")
        call("camera__add_camera", name="Cam")
        before = call("router__scene_summary")["data"]
        saved = engine().save_project()
        self.assertEqual(saved["files"], ["scene.blend", "scene.glb"])
        call("scene__clear_scene")
        engine().open_project(os.path.join(self.workdir, "scene.blend"))
        self.assertEqual(call("router__scene_summary")["data"], before)
        with open(os.path.join(self.workdir, "scene.glb"), "rb") as handle:
            self.assertEqual(handle.read(4), b"glTF")
        # Right after a load, 3.4 still has the steps before it on its undo stack and 4.x+ has
        # none ("nothing to undo"); either way the undo system works after the load: the next
        # change undoes.
        try:
            call("router__undo")
        except protocol.RpcError as error:
            self.assertEqual(error.message, "nothing to undo")
        call("modeling__add_primitive", shape="cube", name="AfterLoad")
        call("router__undo")
        self.assertNotIn("AfterLoad", names())

    def test_glb_export_is_valid_gltf_binary(self) -> None:
        call("modeling__add_primitive", shape="monkey", color="#FFAA00")
        result = call("render__export", format="glb")
        path = os.path.join(self.workdir, result["data"]["path"])
        self.assertEqual(result["data"]["path"], os.path.join("exports", "scene.glb"))
        with open(path, "rb") as handle:
            data = handle.read()
        magic, version, length = struct.unpack("<4sII", data[:12])
        self.assertEqual((magic, version, length), (b"glTF", 2, len(data)))
        chunk_length, chunk_type = struct.unpack("<I4s", data[12:20])
        self.assertEqual(chunk_type, b"JSON")
        self.assertIn(b'"meshes"', data[20:20 + chunk_length])
        imported = call("render__import_model", filename=result["data"]["path"])
        self.assertTrue(imported["data"]["objects"])

    def test_other_export_formats(self) -> None:
        call("modeling__add_primitive", shape="cube")
        for fmt in ("fbx", "obj", "stl"):
            with self.subTest(fmt):
                path = os.path.join(self.workdir, call("render__export", format=fmt)["data"]["path"])
                self.assertGreater(os.path.getsize(path), 100)

    def test_file_paths_are_confined_to_the_project(self) -> None:
        self.assertIn("..", call_error("render__export", format="glb", filename="../escape.glb").message)
        self.assertIn("relative", call_error("render__export", format="glb", filename="/tmp/x.glb").message)


class Renders(unittest.TestCase):
    def setUp(self) -> None:
        fresh_scene()
        self.workdir = engine().config.workdir
        call("modeling__add_primitive", shape="monkey", name="Suzanne", color="#CC4422")
        call("lighting__add_light", type="sun")
        call("camera__add_camera", target="Suzanne")

    def test_still_render_lands_in_renders_and_returns_the_image(self) -> None:
        result = call("render__render_still", engine="eevee", samples=1, width=96, height=54, filename="still.png")
        path = os.path.join(self.workdir, "renders", "still.png")
        with open(path, "rb") as handle:
            self.assertEqual(handle.read(8), b"\x89PNG\r\n\x1a\n")
        self.assertEqual(result["content"][1]["type"], "image")
        cycles = call("render__render_still", engine="cycles", samples=2, width=48, height=32, filename="cycles")
        self.assertEqual(cycles["data"]["path"], os.path.join("renders", "cycles.png"))
        self.assertEqual(bpy.context.scene.render.engine, eevee_engine_id())  # the document is untouched

    def test_short_mp4_lands_in_renders_with_progress(self) -> None:
        engine().notifications.clear()
        result = call("render__render_animation", engine="workbench", width=64, height=36, frame_start=1,
                      frame_end=4, fps=12, filename="clip.mp4", _call_id="r1")
        path = os.path.join(self.workdir, "renders", "clip.mp4")
        with open(path, "rb") as handle:
            self.assertEqual(handle.read(12)[4:8], b"ftyp")
        self.assertEqual(result["data"]["frames"], 4)
        progress = [p for m, p in engine().notifications if m == "render/progress"]
        self.assertEqual([(p["done"], p["total"]) for p in progress], [(1, 5), (2, 5), (3, 5), (4, 5), (5, 5)])
        self.assertEqual({p["call_id"] for p in progress}, {"r1"})

    def test_an_eevee_animation_leaves_no_light_cache_behind(self) -> None:
        # The world lighting is baked once for the frames (not once per frame) and freed after.
        # Eevee Next (4.2+) has no light cache at all: the animation must still render.
        has_cache = hasattr(bpy.context.scene.eevee, "gi_cache_info")
        if has_cache:
            self.assertTrue(bpy.context.scene.eevee.gi_cache_info.startswith("No light cache"))
        result = call("render__render_animation", engine="eevee", samples=1, width=32, height=18, frame_start=1,
                      frame_end=2, fps=12, filename="eevee.mp4")
        self.assertEqual(result["data"]["frames"], 2)
        if has_cache:
            self.assertTrue(bpy.context.scene.eevee.gi_cache_info.startswith("No light cache"))

    def test_cancel_stops_an_animation_between_frames(self) -> None:
        current = engine()
        original_notify = current.notify

        def cancel_after_first_frame(method: str, params: dict) -> None:
            original_notify(method, params)
            if method == "render/progress" and params["done"] == 1:
                current.cancels.cancel("r2")

        current.notify = cancel_after_first_frame
        try:
            error = call_error("render__render_animation", engine="workbench", width=32, height=18,
                               frame_start=1, frame_end=10, filename="cancelled.mp4", _call_id="r2")
        finally:
            current.notify = original_notify
        self.assertEqual(error.code, protocol.CANCELLED)
        self.assertFalse(os.path.exists(os.path.join(self.workdir, "renders", "cancelled.mp4")))

    def test_render_without_camera_says_so(self) -> None:
        call("scene__delete_objects", names="Camera")
        self.assertIn("no active camera", call_error("render__render_still", samples=1, width=32, height=18).message)


class Registry(unittest.TestCase):
    def test_broken_manifest_is_reported_while_the_others_load(self) -> None:
        rows = {row["module"]: row for row in call("router__list_addons")["data"]["addons"]}
        self.assertFalse(rows["broken_manifest"]["valid"])
        self.assertTrue(any("/ai_integration/tools/0/parameters/0/type" in e for e in rows["broken_manifest"]["errors"]))
        self.assertFalse(rows["unreadable_manifest"]["valid"])
        for module in ("atelier_router", "atelier_scene", "atelier_modeling", "atelier_materials",
                       "atelier_lighting", "atelier_camera", "atelier_animation", "atelier_render", "atelier_assets"):
            self.assertTrue(rows[module]["valid"] and rows[module]["enabled"], module)
        self.assertIn("modeling__add_primitive", engine().registry.tool_names())
        self.assertNotIn("broken__explode", engine().registry.tool_names())
        sent = [m["addon_info"]["id"] for m in engine().registry.tools_update_params()["addons"]]
        self.assertIn("broken", sent)  # still sent, so the hub can report it
        self.assertIn("unreadable_manifest", sent)

    def test_disable_and_enable_change_the_tool_table(self) -> None:
        call("router__disable_addon", addon="animation")
        self.assertNotIn("animation__turntable", engine().registry.tool_names())
        sent = [m["addon_info"]["id"] for m in engine().registry.tools_update_params()["addons"]]
        self.assertNotIn("animation", sent)
        call("router__enable_addon", addon="atelier_animation")
        self.assertIn("animation__turntable", engine().registry.tool_names())
        self.assertIn("cannot be disabled", call_error("router__disable_addon", addon="router").message)


if __name__ == "__main__":
    unittest.main()
