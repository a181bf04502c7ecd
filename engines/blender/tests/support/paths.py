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
