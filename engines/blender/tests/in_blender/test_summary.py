# SPDX-License-Identifier: GPL-2.0-or-later
"""The scene summary (issue 17 §3): the scene's settings first (current frame, render engine,
resolution, view transform), the world, camera and lights, the project's asset files, the
materials, then the objects; and the merged tools whose listing tools it replaced (set_material,
set_camera, list_objects with a pattern)."""

from __future__ import annotations

import os
import shutil
import tempfile
import unittest

import bpy

from atelier_router import summary as summary_module
from in_blender.harness import call, call_error, engine, fresh_scene


def summary() -> dict:
    return call("router__scene_summary")["data"]


class SceneSummary(unittest.TestCase):
    def setUp(self) -> None:
        fresh_scene()
        # A project of its own: other suites leave files in the shared working tree.
        self.workdir = engine().config.workdir
        engine().config.workdir = tempfile.mkdtemp(prefix="atelier-summary-")

    def tearDown(self) -> None:
        shutil.rmtree(engine().config.workdir, ignore_errors=True)
        engine().config.workdir = self.workdir

    def test_the_scene_settings_come_first_and_the_objects_last(self) -> None:
        call("modeling__add_primitive", shape="cube", name="Box")
        keys = list(summary())
        self.assertEqual(keys[:6], ["scene", "frame_current", "frame_range", "fps", "render", "world"])
        self.assertLess(keys.index("camera"), keys.index("assets"))
        self.assertLess(keys.index("lights"), keys.index("assets"))
        self.assertEqual(keys[-2:], ["object_count", "objects"])

    def test_current_frame_render_engine_resolution_and_view_transform_follow_the_tools(self) -> None:
        call("animation__set_frame_range", start=1, end=96, fps=24)
        call("animation__set_frame", frame=37)
        call("render__set_render_settings", engine="cycles", view_transform="standard", exposure=0.5,
             film_transparent=True, width=640, height=480)
        bpy.context.scene.render.resolution_percentage = 50  # what a render writes, not the nominal size
        current = summary()
        self.assertEqual(current["frame_current"], 37)
        self.assertEqual(current["frame_range"], [1, 96])
        self.assertEqual(current["render"], {"engine": "cycles", "resolution": [320, 240],
                                             "view_transform": "Standard", "exposure": 0.5,
                                             "film_transparent": True})
        bpy.context.scene.render.resolution_percentage = 100
        call("render__set_render_settings", engine="eevee", view_transform="filmic", exposure=0,
             film_transparent=False)
        self.assertEqual(summary()["render"], {"engine": "eevee", "resolution": [640, 480], "view_transform": "Filmic"})

    def test_the_project_asset_files_are_listed_and_a_long_list_is_capped_with_its_count(self) -> None:
        assets = os.path.join(engine().config.workdir, "assets")
        os.makedirs(os.path.join(assets, "hdri"))
        for name in ("logo.png", "hdri/studio.hdr", ".hidden"):
            with open(os.path.join(assets, name), "wb") as handle:
                handle.write(b"x")
        current = summary()
        self.assertEqual(current["assets"], ["assets/hdri/studio.hdr", "assets/logo.png"])
        self.assertNotIn("asset_count", current)
        self.assertIn("assets: assets/hdri/studio.hdr, assets/logo.png", call("router__scene_summary")["content"][0]["text"])
        for index in range(summary_module.MAX_ASSETS + 5):
            with open(os.path.join(assets, f"texture_{index:03d}.png"), "wb") as handle:
                handle.write(b"x")
        current = summary()
        self.assertEqual(len(current["assets"]), summary_module.MAX_ASSETS)
        self.assertEqual(current["asset_count"], summary_module.MAX_ASSETS + 7)

    def test_a_project_without_assets_lists_none(self) -> None:
        self.assertEqual(summary()["assets"], [])
        self.assertEqual(summary_module.project_assets(None), [])

    def test_materials_show_their_colour_and_only_what_differs_from_the_defaults(self) -> None:
        call("modeling__add_primitive", shape="cube", name="Box")
        call("materials__set_material", name="Box", material="Red Metal", base_color="#FF0000", metallic=1,
             roughness=0.2)
        call("materials__set_material", material="Glass", transmission=1, roughness=0)
        materials = {m["name"]: m for m in summary()["materials"]}
        self.assertEqual(materials["Red Metal"], {"name": "Red Metal", "color": "#FF0000", "metallic": 1.0,
                                                  "roughness": 0.2})
        # Made for later (kept by a fake user) and listed, though no object uses it yet.
        self.assertEqual(materials["Glass"]["transmission"], 1.0)
        self.assertNotIn("metallic", materials["Glass"])

    def test_objects_in_a_collection_name_it_and_the_camera_shows_its_depth_of_field(self) -> None:
        call("modeling__add_primitive", shape="cube", name="Crate")
        call("modeling__add_primitive", shape="cube", name="Loose", location=[3, 0, 0])
        call("scene__create_collection", name="Props")
        call("scene__move_to_collection", name="Crate", collection="Props")
        call("camera__add_camera", name="Cam", target="Crate")
        current = summary()
        crate = next(o for o in current["objects"] if o["name"] == "Crate")
        self.assertEqual(crate["collection"], "Props")
        # Where new objects land (here the factory scene's "Collection") goes unsaid.
        for name in ("Loose", "Cam"):
            self.assertNotIn("collection", next(o for o in current["objects"] if o["name"] == name))
        self.assertIn("Props", current["collections"])
        self.assertNotIn("dof", current["camera"])
        call("camera__set_camera", focus_distance=4, fstop=2)
        self.assertEqual(summary()["camera"]["dof"], {"fstop": 2.0, "focus": 4.0})


class MergedTools(unittest.TestCase):
    def setUp(self) -> None:
        fresh_scene()

    def test_set_material_creates_a_material_for_later_then_assigns_it_to_a_slot(self) -> None:
        call("modeling__add_primitive", shape="cube", name="Box")
        call("materials__set_material", material="Gold", base_color="#FFCC33", metallic=1)
        self.assertTrue(bpy.data.materials["Gold"].use_fake_user)
        self.assertIsNone(bpy.context.scene.objects["Box"].active_material)
        call("materials__set_material", name="Box", material="Gold")
        call("materials__set_material", name="Box", material="Trim", slot=1, base_color="#000000")
        slots = [slot.material.name for slot in bpy.context.scene.objects["Box"].material_slots]
        self.assertEqual(slots, ["Gold", "Trim"])
        self.assertEqual(bpy.data.materials["Gold"].metallic, 1.0)  # assigning changed nothing else
        error = call_error("materials__set_material", base_color="#FFFFFF")
        self.assertIn("give an object name, a material name, or both", error.message)

    def test_set_material_with_only_a_colour_recolours_without_touching_a_shared_material(self) -> None:
        call("modeling__add_primitive", shape="cube", name="A")
        call("modeling__add_primitive", shape="cube", name="B", location=[3, 0, 0])
        call("materials__set_material", name="A", material="Shared", base_color="#00FF00")
        call("materials__set_material", name="B", material="Shared")
        call("materials__set_material", name="B", base_color="#0000FF")
        objects = bpy.context.scene.objects
        self.assertEqual(objects["A"].active_material.name, "Shared")
        self.assertNotEqual(objects["B"].active_material.name, "Shared")

    def test_set_camera_activates_sets_the_lens_and_depth_of_field_changing_only_what_is_given(self) -> None:
        call("modeling__add_primitive", shape="cube", name="Box")
        call("camera__add_camera", name="Wide", lens=24)
        call("camera__add_camera", name="Close", lens=85, set_active=False)
        self.assertEqual(bpy.context.scene.camera.name, "Wide")
        data = call("camera__set_camera", name="Close", active=True)["data"]
        self.assertEqual((data["active"], data["lens"], data["dof"]), (True, 85.0, False))
        data = call("camera__set_camera", lens=100, focus_object="Box", fstop=1.4)["data"]
        self.assertEqual((data["name"], data["lens"], data["dof"], data["focus_object"], data["fstop"]),
                         ("Close", 100.0, True, "Box", 1.4))
        data = call("camera__set_camera", depth_of_field=False)["data"]
        self.assertEqual((data["dof"], data["lens"], data["focus_object"]), (False, 100.0, "Box"))
        self.assertIn("nothing to change", call_error("camera__set_camera", name="Wide").message)
        self.assertIn("stays the render camera", call_error("camera__set_camera", active=False).message)

    def test_list_objects_filters_by_substring_glob_and_type(self) -> None:
        call("modeling__add_primitive", shape="cube", name="Tree.001")
        call("modeling__add_primitive", shape="cube", name="Tree.002")
        call("modeling__add_primitive", shape="cube", name="Rock")
        call("lighting__add_light", type="point", name="Treetop Lamp")
        listed = lambda **kw: sorted(o["name"] for o in call("scene__list_objects", **kw)["data"]["objects"])  # noqa: E731
        self.assertEqual(listed(pattern="tree"), ["Tree.001", "Tree.002", "Treetop Lamp"])
        self.assertEqual(listed(pattern="Tree.*"), ["Tree.001", "Tree.002"])
        self.assertEqual(listed(pattern="tree", type="light"), ["Treetop Lamp"])
        self.assertEqual(len(listed()), 4)
        self.assertIn("no object matches 'Bush'", call("scene__list_objects", pattern="Bush")["content"][0]["text"])


if __name__ == "__main__":
    unittest.main()
