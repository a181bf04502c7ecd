# SPDX-License-Identifier: GPL-2.0-or-later
"""Every first-party tool parameter that takes a length, angle, time, size in pixels or power
names its unit in its description (cases in tests/fixtures/manifests/units.json)."""

from __future__ import annotations

import json
import os
import unittest

from support import paths
from atelier_router.manifest import scan_addon_directories, tool_list

with open(os.path.join(paths.FIXTURES_DIR, "manifests", "units.json"), encoding="utf-8") as _handle:
    CASES = json.load(_handle)


def quantity_of(addon: str, tool: str, parameter: dict) -> str | None:
    key = f"{addon}/{tool}/{parameter['name']}"
    if key in CASES["exceptions"]:
        return CASES["exceptions"][key]
    if parameter.get("type") not in ("float", "integer", "vector3"):
        return None
    return CASES["parameters"].get(parameter["name"])


class Units(unittest.TestCase):
    def test_every_quantity_parameter_names_its_unit(self) -> None:
        checked = 0
        for addon in scan_addon_directories([paths.ADDONS_DIR]):
            for tool in tool_list(addon.manifest):
                for parameter in tool.get("parameters", []):
                    quantity = quantity_of(addon.addon_id, tool["name"], parameter)
                    if quantity is None:
                        continue
                    checked += 1
                    words = CASES["units"][quantity]
                    with self.subTest(f"{addon.addon_id}__{tool['name']}.{parameter['name']}"):
                        description = parameter.get("description", "").lower()
                        self.assertTrue(any(word in description for word in words),
                                        f"{description!r} names none of {words}")
        self.assertGreater(checked, 60)  # the table matches real parameters, not none

    def test_the_case_table_names_only_known_quantities(self) -> None:
        known = set(CASES["units"])
        self.assertFalse({q for q in CASES["parameters"].values() if q not in known})
        self.assertFalse({q for q in CASES["exceptions"].values() if q is not None and q not in known})


if __name__ == "__main__":
    unittest.main()
