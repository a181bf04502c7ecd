# SPDX-License-Identifier: GPL-2.0-or-later
"""Manifest validation and scanning (pure Python, no Blender)."""

from __future__ import annotations

import json
import os
import tempfile
import unittest

from support import paths  # noqa: F401 - puts the addons on sys.path
from atelier_router.manifest import (load_manifest, qualified_tool_name, sanitize_tool_name,
                                     scan_addon_directories, validate_manifest)


class ManifestCases(unittest.TestCase):
    """Every case in fixtures/manifests/cases.json yields exactly the expected errors."""

    def test_cases_from_data_file(self) -> None:
        with open(os.path.join(paths.FIXTURES_DIR, "manifests", "cases.json"), encoding="utf-8") as handle:
            cases = json.load(handle)["cases"]
        self.assertGreater(len(cases), 10)
        for case in cases:
            with self.subTest(case["name"]):
                errors = validate_manifest(case["manifest"])
                self.assertEqual(len(errors), len(case["errors"]), [str(e) for e in errors])
                for error, (path, reason) in zip(errors, case["errors"]):
                    self.assertEqual(error.path, path, str(error))
                    self.assertIn(reason, error.message, str(error))

    def test_error_text_names_path_and_reason(self) -> None:
        errors = validate_manifest({"addon_info": {"id": "a", "name": "A", "version": "1"},
                                    "ai_integration": {"tools": [{"name": "t", "description": "d", "parameters": [
                                        {"name": "p", "type": "banana"}]}]}})
        self.assertEqual(str(errors[0]).split(":")[0], "/ai_integration/tools/0/parameters/0/type")
        self.assertIn("banana", str(errors[0]))

    def test_non_object_manifest_is_rejected(self) -> None:
        self.assertEqual(validate_manifest([1, 2])[0].message, "manifest must be a JSON object")


class Scanning(unittest.TestCase):
    def test_scan_reports_broken_and_unreadable_manifests_next_to_valid_ones(self) -> None:
        scanned = scan_addon_directories([os.path.join(paths.FIXTURES_DIR, "addons"), paths.ADDONS_DIR])
        by_module = {addon.module: addon for addon in scanned}
        self.assertIn("atelier_router", by_module)
        self.assertTrue(by_module["atelier_modeling"].valid)
        broken = by_module["broken_manifest"]
        self.assertFalse(broken.valid)
        self.assertEqual(broken.addon_id, "broken")
        self.assertIn("/ai_integration/tools/0/parameters/0/type", [e.path for e in broken.errors])
        unreadable = by_module["unreadable_manifest"]
        self.assertIsNone(unreadable.manifest)
        self.assertIn("invalid JSON at line 2", unreadable.errors[0].message)

    def test_all_shipped_manifests_are_valid(self) -> None:
        scanned = scan_addon_directories([paths.ADDONS_DIR])
        self.assertGreaterEqual(len(scanned), 8)
        for addon in scanned:
            with self.subTest(addon.module):
                self.assertEqual([str(e) for e in addon.errors], [])

    def test_first_directory_wins_and_missing_directories_are_skipped(self) -> None:
        with tempfile.TemporaryDirectory() as first:
            os.makedirs(os.path.join(first, "atelier_scene"))
            with open(os.path.join(first, "atelier_scene", "addon_ai.json"), "w", encoding="utf-8") as handle:
                handle.write("{}")
            scanned = scan_addon_directories(["/nonexistent", first, paths.ADDONS_DIR])
            scene = next(a for a in scanned if a.module == "atelier_scene")
            self.assertEqual(scene.directory, os.path.join(first, "atelier_scene"))
            self.assertFalse(scene.valid)

    def test_load_manifest_of_missing_file_reports_it(self) -> None:
        manifest, errors = load_manifest("/nonexistent/addon_ai.json")
        self.assertIsNone(manifest)
        self.assertIn("cannot read", errors[0].message)


class ToolNames(unittest.TestCase):
    def test_qualified_names_join_addon_and_tool(self) -> None:
        self.assertEqual(qualified_tool_name("modeling", "add_primitive"), "modeling__add_primitive")

    def test_sanitized_names_fit_provider_rules(self) -> None:
        self.assertEqual(sanitize_tool_name("my.addon__do it"), "my_addon__do_it")
        self.assertEqual(len(sanitize_tool_name("x" * 100)), 64)


if __name__ == "__main__":
    unittest.main()


class Requirements(unittest.TestCase):
    """requirements.blender_version_min: an addon needing a newer Blender is not loaded."""

    def manifest(self, minimum: object) -> dict:
        return {"addon_info": {"id": "x", "name": "x", "version": "1"},
                "ai_integration": {"requirements": {"blender_version_min": minimum}, "tools": []}}

    def test_a_newer_minimum_is_a_problem_that_names_both_versions(self) -> None:
        from atelier_router.manifest import requirement_problem
        problem = requirement_problem(self.manifest("4.2"), (3, 4, 1))
        self.assertIn("needs Blender 4.2 or newer", problem)
        self.assertIn("this is Blender 3.4.1", problem)

    def test_versions_compare_part_by_part(self) -> None:
        from atelier_router.manifest import requirement_problem
        self.assertIsNone(requirement_problem(self.manifest("3.4"), (3, 4, 1)))
        self.assertIsNone(requirement_problem(self.manifest("3.4.1"), (3, 4, 1)))
        self.assertIsNone(requirement_problem(self.manifest("4.2"), (4, 10, 0)))
        self.assertIsNotNone(requirement_problem(self.manifest("4.10"), (4, 2, 0)))
        self.assertIsNone(requirement_problem({"ai_integration": {"tools": []}}, (3, 4, 1)))

    def test_a_malformed_minimum_is_a_manifest_error(self) -> None:
        errors = validate_manifest(self.manifest("four"))
        self.assertEqual([e.path for e in errors], ["/ai_integration/requirements/blender_version_min"])
        self.assertEqual(validate_manifest(self.manifest("4.2")), [])
