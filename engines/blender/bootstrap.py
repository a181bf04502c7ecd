"""Start Blender as an atelier engine.

The hub runs, with the project's working tree as the current directory::

    blender -b --factory-startup --python engines/blender/bootstrap.py

with BLENDER_USER_SCRIPTS=engines/blender/scripts (our addons), ATELIER_HUB_URL,
ATELIER_ENGINE_TOKEN, ATELIER_SESSION_ID, ATELIER_WORKDIR and optionally
ATELIER_BLENDER_EXECUTE_PYTHON=1. Blender exits when this script returns, so it
blocks in the router's loop until engine/shutdown.
"""

from __future__ import annotations

import os
import sys

import addon_utils


def _ensure_user_scripts() -> None:
    # The hub normally sets BLENDER_USER_SCRIPTS; default to the folder beside this file so
    # `blender -b --python bootstrap.py` also works by hand.
    here = os.path.dirname(os.path.abspath(__file__))
    addons = os.path.join(os.environ.get("BLENDER_USER_SCRIPTS") or os.path.join(here, "scripts"), "addons")
    if addons not in sys.path:
        sys.path.insert(0, addons)
    if addons not in addon_utils.paths():
        os.environ["BLENDER_USER_SCRIPTS"] = os.path.dirname(addons)


def main() -> int:
    _ensure_user_scripts()
    if addon_utils.enable("atelier_router", default_set=True, persistent=True) is None:
        print("[atelier error] could not enable the atelier_router addon", file=sys.stderr)
        return 2
    import atelier_router
    return atelier_router.run()


if __name__ == "__main__":
    sys.exit(main())
