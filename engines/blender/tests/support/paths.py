# SPDX-License-Identifier: GPL-2.0-or-later
"""Paths shared by the tests; puts the router's pure modules on sys.path."""

from __future__ import annotations

import os
import sys

TESTS_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ENGINE_DIR = os.path.dirname(TESTS_DIR)
SCRIPTS_DIR = os.path.join(ENGINE_DIR, "scripts")
ADDONS_DIR = os.path.join(SCRIPTS_DIR, "addons")
FIXTURES_DIR = os.path.join(TESTS_DIR, "fixtures")
BOOTSTRAP = os.path.join(ENGINE_DIR, "bootstrap.py")
BLENDER = os.environ.get("ATELIER_BLENDER", "blender")
REPOSITORY_DIR = os.path.dirname(os.path.dirname(ENGINE_DIR))
DEFAULT_CONFIG = os.path.join(REPOSITORY_DIR, "config", "atelier.toml")

if ADDONS_DIR not in sys.path:
    sys.path.insert(0, ADDONS_DIR)


def make_scripts_dir(target: str, extra_addon_dirs: list[str] = ()) -> str:
    """A BLENDER_USER_SCRIPTS folder with our addons plus extra (fixture) addons, by symlink."""
    addons = os.path.join(target, "addons")
    os.makedirs(addons, exist_ok=True)
    for source_dir in [ADDONS_DIR, *extra_addon_dirs]:
        for name in os.listdir(source_dir):
            source = os.path.join(source_dir, name)
            if os.path.isdir(source) and not name.startswith(("_", ".")):
                link = os.path.join(addons, name)
                if not os.path.exists(link):
                    os.symlink(source, link)
    return target


DOCS_BLENDER = os.path.join(REPOSITORY_DIR, "docs", "blender.md")


def install_documented_example(addons_dir: str, addon: str = "stairs") -> str:
    """Write the worked example of docs/blender.md (the code blocks that follow the lines naming
    ``…/addons/<addon>/<file>``) into ``addons_dir/<addon>/``, so tests run the doc as written."""
    import re

    with open(DOCS_BLENDER, encoding="utf-8") as handle:
        text = handle.read()
    target = os.path.join(addons_dir, addon)
    os.makedirs(target, exist_ok=True)
    pattern = re.compile(r"`engines/blender/scripts/addons/" + re.escape(addon) + r"/([\w.]+)`:\n\n```\w*\n(.*?)```",
                         re.S)
    written = []
    for filename, body in pattern.findall(text):
        with open(os.path.join(target, filename), "w", encoding="utf-8") as handle:
            handle.write(body)
        written.append(filename)
    if sorted(written) != ["__init__.py", "addon_ai.json"]:
        raise AssertionError(f"docs/blender.md: expected __init__.py and addon_ai.json of {addon}, found {written}")
    return target
