# SPDX-License-Identifier: GPL-2.0-or-later
"""The craft tools of issue 17 in real Blender: camera screenshots, scatter, text, render settings,
spin and turntable, duplicates and joins, sky/HDRI/studio lights, backdrop and modifiers, history,
project files; the viewport's camera view and shadings; addons that need a newer Blender."""

from __future__ import annotations

import base64
import math
import os
import unittest

import bpy

from atelier_router import compat, protocol
from atelier_router.protocol import Message
from in_blender.harness import call, call_error, engine, fresh_scene, image_stats
from support.jpeg import jpeg_size


def screenshot_image(**arguments: object) -> tuple[dict, bytes]:
    result = call("router__screenshot", **arguments)
    image = next(c for c in result["content"] if c["type"] == "image")
    return result, base64.b64decode(image["data"])


def keep(name: str, data: bytes) -> None:
    """ATELIER_KEEP_IMAGES=<dir> keeps the pictures the tests look at, for a person to check."""
    directory = os.environ.get("ATELIER_KEEP_IMAGES")
    if directory:
        os.makedirs(directory, exist_ok=True)
        with open(os.path.join(directory, name), "wb") as handle:
            handle.write(data)


def red_cube_and_camera() -> None:
    """A red cube filling the scene camera's view, and a big blue plane far off to the side."""
    call("modeling__add_primitive", shape="cube", name="Red", location=[0, 0, 1], size=2, color="#FF0000")
    call("modeling__add_primitive", shape="plane", name="Blue", location=[30, 30, 0], size=20, color="#0000FF")
    call("camera__add_camera", name="Cam", location=[0, -4.5, 1], target="Red")


class Screenshots(unittest.TestCase):
    def setUp(self) -> None:
        fresh_scene()

    def test_camera_view_shows_what_the_render_camera_sees(self) -> None:
        red_cube_and_camera()
        result, through_camera = screenshot_image(view="camera")
        keep("screenshot_camera.jpg", through_camera)
        self.assertEqual(result["data"]["view"], "camera")
        camera = image_stats(through_camera)
        _, overview_data = screenshot_image(view="overview")
        keep("screenshot_overview.jpg", overview_data)
        overview = image_stats(overview_data)
        # Through the camera the red cube fills the middle; the overview also shows the blue plane.
        self.assertGreater(camera[0] - camera[2], overview[0] - overview[2] + 0.1, (camera, overview))
        # The render's aspect (1920x1080 by default), not the viewport's.
        render = bpy.context.scene.render
        width, height = jpeg_size(through_camera)
        self.assertAlmostEqual(width / height, render.resolution_x / render.resolution_y, places=1)

    def test_rendered_shading_shows_lights_that_solid_does_not(self) -> None:
        red_cube_and_camera()
        call("lighting__set_world", color="#000000", strength=0)
        _, solid = screenshot_image(view="camera", shading="solid", width=160, height=90)
        _, dark = screenshot_image(view="camera", shading="rendered", width=160, height=90)
        call("lighting__add_light", type="point", name="Lamp", location=[0, -3, 3], energy=2000)
        _, lit = screenshot_image(view="camera", shading="rendered", width=160, height=90)
        keep("screenshot_rendered.jpg", lit)
        self.assertLess(image_stats(dark).mean(), 0.05)
        self.assertGreater(image_stats(lit)[0], image_stats(dark)[0] + 0.1)
        self.assertGreater(image_stats(solid)[0], 0.3)  # solid ignores the (absent) lights
        _, material = screenshot_image(view="camera", shading="material", width=160, height=90)
        self.assertGreater(image_stats(material).mean(), image_stats(dark).mean() + 0.05)

    def test_without_a_camera_the_camera_view_is_an_overview_and_says_so(self) -> None:
        call("modeling__add_primitive", shape="cube")
        for obj in [o for o in bpy.context.scene.objects if o.type == "CAMERA"]:
            bpy.data.objects.remove(obj)
        result, _ = screenshot_image(view="camera", width=64, height=36)
        self.assertEqual(result["data"]["view"], "overview")
        self.assertIn("no active camera", result["content"][0]["text"])


class Viewport(unittest.TestCase):
    def setUp(self) -> None:
        fresh_scene()

    def configure(self, **params: object) -> dict:
        current = engine()
        current._after_reply = []
        try:
            return current._rpc_viewport_configure(Message(kind="request", id=1, method="viewport/configure",
                                                           params=dict(params)))
        finally:
            after, current._after_reply = current._after_reply, []
            for action in after:
                action()

    def test_configure_takes_view_shading_and_any_aspect(self) -> None:
        red_cube_and_camera()
        answer = self.configure(width=300, height=100, shading="material", view="camera")
        self.assertEqual((answer["view"], answer["shading"], answer["camera"]), ("camera", "material", "Cam"))
        frame = engine().last_preview
        self.assertEqual(jpeg_size(frame.data), (300, 100))
        self.assertEqual((frame.view, frame.shading), ("camera", "material"))
        self.assertGreater(image_stats(frame.data)[0], image_stats(frame.data)[2])  # the red cube
        with self.assertRaises(protocol.RpcError):
            self.configure(view="sideways")
        with self.assertRaises(protocol.RpcError):
            self.configure(shading="wireframe")
        self.configure(width=640, height=360, shading="solid", view="free")

    def test_navigation_frames_skip_anti_aliasing_and_a_still_camera_gets_an_anti_aliased_frame(self) -> None:
        call("modeling__add_primitive", shape="monkey")
        current = engine()
        self.assertTrue(current.last_preview.antialias)  # the frame after a mutating call
        current._camera_pending = [Message(kind="notification", method="viewport/camera",
                                           params={"action": "orbit", "dx": 30, "dy": 0})]
        seq = current.frame_seq
        current._render_pending_camera()
        self.assertFalse(current.last_preview.antialias)
        current.refine_preview()
        self.assertEqual(current.frame_seq, seq + 2)
        self.assertTrue(current.last_preview.antialias)
        current.refine_preview()  # nothing more to refine
        self.assertEqual(current.frame_seq, seq + 2)
        self.configure(antialias=False)
        self.assertFalse(current.last_preview.antialias)
        self.configure(antialias=True)
        current.preview.camera("reset")

    def test_orbiting_in_camera_view_continues_from_the_camera_in_the_free_view(self) -> None:
        red_cube_and_camera()
        preview = engine().preview
        preview.view_mode = "camera"
        through_camera = image_stats(preview.render(160, 90).data)
        preview.camera("orbit", dx=0, dy=0)
        self.assertEqual(preview.view_mode, "free")
        self.assertLess(abs(image_stats(preview.render(160, 90).data) - through_camera).max(), 0.03)
        preview.view_mode = "free"


class Modelling(unittest.TestCase):
    def setUp(self) -> None:
        fresh_scene()

    def test_scatter_places_about_count_instances_reproducibly_by_seed(self) -> None:
        call("modeling__add_primitive", shape="plane", name="Ground", size=20)
        call("modeling__add_primitive", shape="ico_sphere", name="Rock", size=0.4, location=[0, 0, -5])
        first = call("scene__scatter", surface="Ground", source="Rock", count=200, seed=3, scale_min=0.5,
                     scale_max=1.5, align_normal=True)["data"]
        self.assertTrue(150 <= first["instances"] <= 250, first)
        self.assertFalse(bpy.data.objects["Rock"].visible_get())
        again = call("scene__scatter", surface="Ground", source="Rock", count=200, seed=3, name="Again")["data"]
        call("scene__scatter", surface="Ground", source="Rock", count=200, seed=4, name="Other")
        self.assertEqual(again["instances"], first["instances"])
        positions = {}
        for instance in bpy.context.evaluated_depsgraph_get().object_instances:
            if instance.is_instance and instance.parent is not None:
                positions.setdefault(instance.parent.original.name, []).append(
                    tuple(round(v, 4) for v in instance.matrix_world.translation))
        self.assertEqual(sorted(positions[first["name"]]), sorted(positions["Again"]))
        self.assertNotEqual(sorted(positions["Again"]), sorted(positions["Other"]))
        call("scene__create_collection", name="Rocks")
        call("scene__move_to_collection", name="Rock", collection="Rocks")
        picked = call("scene__scatter", surface="Ground", collection="Rocks", count=50, name="FromCollection")
        self.assertGreater(picked["data"]["instances"], 20)
        self.assertIn("give either", call_error("scene__scatter", surface="Ground").message)

    def test_text_bevel_font_alignment_and_conversion_to_mesh(self) -> None:
        call("modeling__add_text", text="ACME", name="Logo", bevel_depth=0.02, bevel_resolution=3,
             align="left", vertical_align="center")
        curve = bpy.data.objects["Logo"].data
        self.assertEqual((curve.align_x, curve.align_y, round(curve.bevel_depth, 3)), ("LEFT", "CENTER", 0.02))
        error = call_error("modeling__add_modifier", name="Logo", modifier="solidify")
        self.assertIn("convert_to_mesh", error.message)
        self.assertIn("no font file", call_error("modeling__add_text", text="x", font="fonts/missing.ttf").message)
        converted = call("modeling__convert_to_mesh", name="Logo")["data"]
        self.assertEqual(bpy.data.objects["Logo"].type, "MESH")
        self.assertGreater(converted["vertices"], 100)
        call("modeling__add_modifier", name="Logo", modifier="solidify", thickness=0.01)

    def test_backdrop_and_the_new_modifier_options(self) -> None:
        backdrop = call("modeling__add_backdrop", width=6, depth=4, height=3, radius=1)["data"]
        self.assertEqual(backdrop["dimensions"], [6.0, 4.0, 3.0])
        mesh = bpy.data.objects["Backdrop"].data
        self.assertGreater(min(p.normal.z for p in mesh.polygons[:1]), 0.99)  # the floor faces up
        self.assertLess(max(p.normal.y for p in mesh.polygons[-1:]), -0.99)  # the wall faces the studio
        call("modeling__add_primitive", shape="cube", name="Bar", size=1)
        call("scene__transform_object", name="Bar", scale=[4, 0.2, 0.2])
        call("scene__apply_transforms", name="Bar")
        call("modeling__add_modifier", name="Bar", modifier="subdivision", levels=3, simple=True)
        call("modeling__add_modifier", name="Bar", modifier="simple_deform", deform="bend", angle=180, axis="z")
        bar = bpy.data.objects["Bar"]
        self.assertEqual(bar.modifiers["Subdivision"].subdivision_type, "SIMPLE")
        bpy.context.view_layer.update()
        self.assertLess(bar.dimensions.x, 3.0)  # bent into a half circle: no longer 4 m straight
        call("modeling__add_primitive", shape="plane", name="Island", size=10)
        error = call_error("modeling__add_modifier", name="Island", modifier="displace", falloff="radial")
        self.assertIn("Subdivide it first", error.message)
        for name, seed in (("Island", 7), ("Island2", 8)):
            if name != "Island":
                call("modeling__add_primitive", shape="plane", name=name, size=10)
            call("modeling__add_modifier", name=name, modifier="subdivision", levels=5, simple=True)
            call("modeling__apply_modifier", name=name, modifier="Subdivision")
            call("modeling__add_modifier", name=name, modifier="displace", strength=2, direction="z", seed=seed,
                 falloff="radial")

        def heights(name: str) -> list[float]:
            evaluated = bpy.data.objects[name].evaluated_get(bpy.context.evaluated_depsgraph_get())
            return [round(v.co.z, 4) for v in evaluated.data.vertices]
        one, two = heights("Island"), heights("Island2")
        self.assertNotEqual(one, two)  # another seed, another pattern
        rim = [h for h, v in zip(one, bpy.data.objects["Island"].evaluated_get(
            bpy.context.evaluated_depsgraph_get()).data.vertices) if max(abs(v.co.x), abs(v.co.y)) > 4.99]
        self.assertLess(max(abs(h) for h in rim), 0.01)  # radial falloff: the rim stays at sea level
        self.assertGreater(max(abs(h) for h in one), 0.2)


class Rendering(unittest.TestCase):
    def setUp(self) -> None:
        fresh_scene()

    def test_a_white_backdrop_renders_white_with_the_standard_view_transform(self) -> None:
        call("modeling__add_backdrop")
        call("lighting__set_world", color="#FFFFFF", strength=1.0)
        call("camera__add_camera", name="Cam", location=[0, -2, 1.5], target_point=[0, 4, 1.5])
        means = {}
        for transform in ("filmic", "standard"):
            settings = call("render__set_render_settings", view_transform=transform,
                            eevee={"ssr": True, "ao": False, "bloom": False, "refraction": True},
                            cycles_denoise=True)["data"]
            self.assertEqual(settings["view_transform"].lower(), transform)
            result = call("render__render_still", engine="eevee", samples=4, width=96, height=54,
                          filename=f"white_{transform}.png")
            image = next(c for c in result["content"] if c["type"] == "image")
            means[transform] = image_stats(base64.b64decode(image["data"])).mean()
        self.assertGreater(means["standard"], 0.95, means)
        self.assertLess(means["filmic"], means["standard"] - 0.05, means)
        self.assertEqual(compat.eevee_options(bpy.context.scene.eevee)["ssr"], True)
        self.assertIn("no denoiser", " ".join(settings["notes"]) if not bpy.context.scene.cycles.use_denoising
                      else "no denoiser")
        call("router__undo")  # a scene setting: one undo step
        self.assertEqual(bpy.context.scene.view_settings.view_transform, "Filmic")

    def test_project_files_lists_what_import_model_can_load(self) -> None:
        workdir = engine().config.workdir
        os.makedirs(os.path.join(workdir, "assets"), exist_ok=True)
        for name in ("assets/chair.glb", "assets/logo.ttf", "assets/sky.hdr", "renders/old.glb"):
            os.makedirs(os.path.dirname(os.path.join(workdir, name)), exist_ok=True)
            with open(os.path.join(workdir, name), "wb") as handle:
                handle.write(b"x")
        models = [f["path"] for f in call("render__list_project_files")["data"]["files"]]
        self.assertIn("assets/chair.glb", models)
        self.assertNotIn("renders/old.glb", models)
        self.assertNotIn("assets/logo.ttf", models)
        fonts = [f["path"] for f in call("render__list_project_files", kind="fonts")["data"]["files"]]
        self.assertEqual(fonts, ["assets/logo.ttf"])


class Animation(unittest.TestCase):
    def setUp(self) -> None:
        fresh_scene()

    def test_spin_is_linear_and_loops(self) -> None:
        call("modeling__add_primitive", shape="cube", name="Logo")
        call("animation__spin", name="Logo", axis="z", turns=1, frames=8, start=1)
        current = bpy.context.scene
        logo = bpy.data.objects["Logo"]
        angles = []
        for frame in (1, 3, 5, 9, 13):
            current.frame_set(frame)
            angles.append(round(math.degrees(logo.rotation_euler.z), 3))
        self.assertEqual(angles, [0.0, 90.0, 180.0, 360.0, 540.0])  # constant speed, on past the period
        current.frame_set(1)

    def test_interpolation_applies_to_the_whole_segment(self) -> None:
        call("modeling__add_primitive", shape="cube", name="Ball")
        call("animation__keyframe_transform", name="Ball", frame=1, location=[0, 0, 0])
        call("animation__keyframe_transform", name="Ball", frame=11, location=[10, 0, 0], interpolation="linear")
        bpy.context.scene.frame_set(6)
        self.assertAlmostEqual(bpy.data.objects["Ball"].location.x, 5.0, places=3)
        bpy.context.scene.frame_set(1)

    def test_turntable_targets_exclude_elevation_and_lens(self) -> None:
        call("modeling__add_primitive", shape="cube", name="Bottle", location=[2, 0, 1], size=1)
        call("modeling__add_primitive", shape="plane", name="Floor", size=100)
        result = call("animation__turntable", exclude="Floor", elevation=30, lens=85, frames=24)
        self.assertIn("Turntable Pivot", result["content"][0]["text"])
        camera = bpy.data.objects[result["data"]["camera"]]
        self.assertEqual(camera.data.lens, 85)
        pivot = bpy.data.objects["Turntable Pivot"]
        self.assertEqual([round(v, 3) for v in pivot.location], [2.0, 0.0, 1.0])  # the floor is left out
        offset = camera.matrix_world.translation - pivot.location
        self.assertAlmostEqual(math.degrees(math.asin(offset.z / offset.length)), 30, places=1)
        call("modeling__add_primitive", shape="cube", name="Other", location=[-2, 0, 1], size=1)
        call("animation__turntable", targets="Bottle, Other", frames=24)
        self.assertEqual([round(v, 3) for v in pivot.location], [0.0, 0.0, 1.0])


class Scene(unittest.TestCase):
    def setUp(self) -> None:
        fresh_scene()

    def test_duplicate_with_children_count_and_seed_then_join(self) -> None:
        call("modeling__add_primitive", shape="cube", name="Lamp", size=1)
        call("modeling__add_primitive", shape="uv_sphere", name="Bulb", size=0.3, location=[0, 0, 1])
        call("scene__set_parent", name="Bulb", parent="Lamp")
        made = call("scene__duplicate_object", name="Lamp", new_name="LampCopy", count=3, offset=[2, 0, 0],
                    random_rotation=[0, 0, 180], random_scale=0.2, seed=5)["data"]["names"]
        self.assertEqual(made, ["LampCopy.001", "LampCopy.002", "LampCopy.003"])
        for name in made:
            self.assertEqual(len(bpy.data.objects[name].children), 1)
        first = [tuple(bpy.data.objects[n].rotation_euler) for n in made]
        call("router__undo")
        call("scene__duplicate_object", name="Lamp", new_name="LampCopy", count=3, offset=[2, 0, 0],
             random_rotation=[0, 0, 180], random_scale=0.2, seed=5)
        self.assertEqual([tuple(bpy.data.objects[n].rotation_euler) for n in made], first)
        vertices = sum(len(bpy.data.objects[n].data.vertices) for n in ("LampCopy.001", "LampCopy.002"))
        joined = call("scene__join_objects", names="LampCopy.001, LampCopy.002", new_name="Pair")["data"]
        self.assertEqual(joined["vertices"], vertices)
        self.assertNotIn("LampCopy.002", bpy.data.objects)
        call("lighting__add_light", type="point", name="Bulb light")
        self.assertIn("only meshes", call_error("scene__join_objects", names="Pair, Bulb light").message)


class Lighting(unittest.TestCase):
    def setUp(self) -> None:
        fresh_scene()

    def test_sky_hdri_and_studio_rig(self) -> None:
        data = call("lighting__sky_preset", preset="day", elevation=12, rotation=90, strength=0.5)["data"]
        self.assertEqual((data["elevation"], data["rotation"], data["strength"]), (12, 90, 0.5))
        sky = next(n for n in bpy.context.scene.world.node_tree.nodes if n.type == "TEX_SKY")
        self.assertAlmostEqual(math.degrees(sky.sun_elevation), 12, places=3)
        call("lighting__hdri_world", image="forest", strength=0.8, rotation=45)
        nodes = bpy.context.scene.world.node_tree.nodes
        environment = next(n for n in nodes if n.type == "TEX_ENVIRONMENT")
        self.assertEqual(environment.image.name, "forest.exr")
        self.assertIn("bundled", call_error("lighting__hdri_world", image="mars").message)
        call("modeling__add_primitive", shape="cube", name="Product", location=[0, 0, 0.5], size=1)
        rig = call("lighting__studio_lights", target="Product", preset="three_point")["data"]
        self.assertEqual([light["name"] for light in rig["lights"]], ["Studio Key", "Studio Fill", "Studio Rim"])
        call("lighting__studio_lights", target="Product", preset="soft")
        self.assertEqual(len(bpy.data.collections["Studio Lights"].objects), 3)  # replaced, not added
        call("lighting__add_light", type="sun", name="Sun", sun_angle=10)
        self.assertAlmostEqual(math.degrees(bpy.data.objects["Sun"].data.angle), 10, places=3)


class HistoryAndRegistry(unittest.TestCase):
    def setUp(self) -> None:
        fresh_scene()

    def test_history_names_what_undo_and_redo_would_change(self) -> None:
        call("modeling__add_primitive", shape="monkey", name="Suzanne")
        call("scene__transform_object", name="Suzanne", location=[0, 0, 2])
        history = call("router__history")["data"]
        self.assertIn("scene__transform_object name=Suzanne location=[0, 0, 2]", history["undo"][0])
        call("router__undo")
        history = call("router__history")["data"]
        self.assertIn("modeling__add_primitive shape=monkey", history["undo"][0])
        self.assertIn("scene__transform_object", history["redo"][0])
        call("router__redo")
        self.assertEqual(call("router__history")["data"]["redo"], [])

    def test_an_addon_needing_a_newer_blender_is_listed_unavailable_and_not_loaded(self) -> None:
        rows = {r["module"]: r for r in call("router__list_addons")["data"]["addons"]}
        future = rows["future_blender"]
        self.assertFalse(future["available"])
        self.assertFalse(future["enabled"])
        self.assertIn("needs Blender 99.0 or newer", future["unavailable_reason"])
        self.assertIn(compat.version_string(), future["unavailable_reason"])
        self.assertNotIn("future__warp", engine().registry.tool_names())
        error = call_error("router__enable_addon", addon="future")
        self.assertIn("unavailable", error.message)
        sent = [m["addon_info"]["id"] for m in engine().registry.tools_update_params()["addons"]]
        self.assertNotIn("future", sent)

    def test_switched_off_execute_python_is_not_declared(self) -> None:
        router = next(m for m in engine().registry.tools_update_params()["addons"]
                      if m["addon_info"]["id"] == "router")
        self.assertNotIn("execute_python", [t["name"] for t in router["ai_integration"]["tools"]])
        self.assertIn("screenshot", [t["name"] for t in router["ai_integration"]["tools"]])
        self.assertNotIn("router__execute_python", engine().registry.tool_names())

    def test_hello_reports_the_blender_version(self) -> None:
        hello = engine().hello_params()
        self.assertEqual(hello["app"], {"name": "Blender", "version": compat.version_string()})
        self.assertEqual(hello["version"], compat.version_string())
        self.assertEqual(hello["engine_version"], "0.1.0")


if __name__ == "__main__":
    unittest.main()
