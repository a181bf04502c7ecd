# SPDX-License-Identifier: GPL-2.0-or-later
"""Start Blender as an atelier engine.

The hub runs, with the project's working tree as the current directory::

    blender -b --factory-startup --python engines/blender/bootstrap.py [-- OPTION...]

with ATELIER_HUB_URL, ATELIER_ENGINE_TOKEN, ATELIER_SESSION_ID and ATELIER_WORKDIR set, and
BLENDER_USER_SCRIPTS optionally pointing at the addons (default: scripts/ beside this file).
Options after ``--`` (the engine kind's config sets them in its command): ``--warmup`` renders
one tiny Eevee frame before connecting; ``--execute-python`` enables router__execute_python.
Blender exits when this script returns, so it blocks in the router's loop until engine/shutdown.
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
    # Blender leaves the arguments after "--" to the script: the engine kind's options.
    options = sys.argv[sys.argv.index("--") + 1:] if "--" in sys.argv else []
    return atelier_router.run(options)


if __name__ == "__main__":
    sys.exit(main())
