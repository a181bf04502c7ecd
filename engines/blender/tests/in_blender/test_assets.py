# SPDX-License-Identifier: GPL-2.0-or-later
"""The asset tools (atelier_assets, issue 18) in real Blender: an image as a plane, as a texture and
as the camera's background, checked by the colours of small Cycles renders; a model from assets/
placed and sized; an HDRI from assets/ as world lighting."""

from __future__ import annotations

import os
import shutil
import struct
import unittest
import zlib

import bpy

from in_blender.harness import call, call_error, engine, fresh_scene, image_stats
from support import paths


def write_png(path: str, width: int, height: int, rgba: tuple[int, int, int, int]) -> None:
    """A solid-colour RGBA PNG, written with the standard library."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    row = b"\x00" + bytes(rgba) * width
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as handle:
        handle.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0))
                     + chunk(b"IDAT", zlib.compress(row * height)) + chunk(b"IEND", b""))


def render_mean(name: str) -> tuple[float, float, float]:
    """Mean RGB of a tiny Cycles render through the active camera."""
    result = call("render__render_still", engine="cycles", samples=2, width=48, height=27, filename=name)
    with open(os.path.join(engine().config.workdir, result["data"]["path"]), "rb") as handle:
        return tuple(image_stats(handle.read(), ".png"))


class AssetTools(unittest.TestCase):
    workdir: str

    @classmethod
    def setUpClass(cls) -> None:
        cls.workdir = engine().config.workdir
        write_png(os.path.join(cls.workdir, "assets", "logo.png"), 64, 32, (0, 255, 0, 255))
        write_png(os.path.join(cls.workdir, "assets", "sky.png"), 16, 16, (0, 0, 255, 255))

    def setUp(self) -> None:
        fresh_scene()
        scene = bpy.context.scene
        scene.view_settings.view_transform = "Standard"  # colours in, colours out

    def test_an_image_plane_has_the_images_aspect_and_shows_its_colours(self) -> None:
        result = call("assets__image_plane", image="logo.png", height=2, emit=True, location=[0, 0, 1])
        self.assertEqual(result["data"]["name"], "logo")
        self.assertEqual(result["data"]["pixels"], [64, 32])
        self.assertEqual(result["data"]["size"], [4.0, 2.0])
        plane = bpy.data.objects["logo"]
        self.assertAlmostEqual(plane.dimensions.x, 4.0, places=3)
        self.assertAlmostEqual(plane.dimensions.y, 2.0, places=3)
        self.assertIsNotNone(bpy.data.images["logo.png"].packed_file, "packed: the scene keeps it")
        # A camera in front, filled by the plane: the render is the logo's green.
        call("camera__add_camera", name="Cam", location=[0, -2.5, 1], target="logo")
        red, green, blue = render_mean("plane.png")
        self.assertGreater(green, 0.8, (red, green, blue))
        self.assertLess(red + blue, 0.2, (red, green, blue))

    def test_an_image_texture_colours_an_object_and_leaves_shared_materials_alone(self) -> None:
        call("modeling__add_primitive", shape="cube", name="Box", location=[0, 0, 1], size=2, color="#FF0000")
        call("modeling__add_primitive", shape="cube", name="Other", location=[5, 0, 1], size=1)
        bpy.data.objects["Other"].data.materials.clear()
        bpy.data.objects["Other"].data.materials.append(bpy.data.objects["Box"].active_material)
        result = call("assets__image_texture", object="Box", image="assets/logo.png", projection="box")
        material = bpy.data.objects["Box"].active_material
        self.assertEqual(result["data"]["material"], material.name)
        textures = [n for n in material.node_tree.nodes if n.type == "TEX_IMAGE"]
        self.assertEqual([t.image.name for t in textures], ["logo.png"])
        self.assertNotEqual(bpy.data.objects["Other"].active_material, material, "the shared material was copied")
        call("lighting__set_world", color="#FFFFFF", strength=1.0)
        call("camera__add_camera", name="Cam", location=[0, -3.2, 1], target="Box")
        red, green, blue = render_mean("texture.png")
        self.assertGreater(green, red + 0.2, (red, green, blue))

    def test_an_image_background_fills_the_cameras_view(self) -> None:
        call("camera__add_camera", name="Cam", location=[0, -5, 1], target_point=[0, 0, 1])
        result = call("assets__image_background", image="sky.png", light_color="#FF0000")
        self.assertEqual(result["data"]["pixels"], [16, 16])
        red, green, blue = render_mean("background.png")
        # The camera sees the blue picture, not the red light.
        self.assertGreater(blue, 0.8, (red, green, blue))
        self.assertLess(red, 0.1, (red, green, blue))

    def test_a_model_from_assets_is_placed_on_its_base_and_sized(self) -> None:
        shutil.copy(os.path.join(paths.REPOSITORY_DIR, "assets", "library", "models", "pyramid.glb"),
                    os.path.join(self.workdir, "assets", "pyramid.glb"))
        result = call("assets__place_model", file="pyramid.glb", location=[1, 2, 0], size=3)
        low, high = result["data"]["bounds"]
        self.assertAlmostEqual(max(h - l for h, l in zip(high, low)), 3.0, places=3)
        self.assertAlmostEqual(low[2], 0.0, places=3)
        self.assertAlmostEqual((low[0] + high[0]) / 2, 1.0, places=3)
        self.assertAlmostEqual((low[1] + high[1]) / 2, 2.0, places=3)
        self.assertEqual(bpy.data.objects[result["data"]["objects"][0]].parent.name, "pyramid")

    def test_an_hdri_from_assets_lights_the_world(self) -> None:
        shutil.copy(os.path.join(paths.REPOSITORY_DIR, "assets", "library", "hdri", "sunset_gradient.hdr"),
                    os.path.join(self.workdir, "assets", "sunset_gradient.hdr"))
        result = call("lighting__hdri_world", image="assets/sunset_gradient.hdr")
        self.assertEqual(result["data"]["image"], "sunset_gradient.hdr")

    def test_missing_files_and_wrong_kinds_are_clear_errors(self) -> None:
        self.assertIn("no image 'nothing.png'", call_error("assets__image_plane", image="nothing.png").message)
        self.assertIn("cannot import", call_error("assets__place_model", file="assets/logo.png").message)
        self.assertIn("leaves the project", call_error("assets__image_plane", image="/etc/passwd").message
                      .replace("must be relative to the project folder", "leaves the project"))


if __name__ == "__main__":
    unittest.main()
