#!/usr/bin/python3
"""Viewport preview frames by shading and view, inside one Blender (results: docs/benchmarks.md).

Floor, same run: the solid frame as it was before issue 19 (Workbench, anti-aliasing off). Then
solid with FXAA (today's default), Eevee "material" and "rendered" at 4 samples (today) and at
1 sample (before), through the free view and the scene camera, at 640x360 and a wide 1280x400
panel. A scene of a monkey, a backdrop and two lights; 15 frames each after 2 warm-up frames.

    BLENDER_USER_SCRIPTS=engines/blender/scripts blender -b --factory-startup \
        --python bench/blender_preview_bench.py
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "engines", "blender", "tests"))
os.environ.setdefault("ATELIER_WORKDIR", tempfile.mkdtemp(prefix="atelier-bench-"))

from in_blender.harness import call, engine  # noqa: E402
from atelier_router import preview as preview_module  # noqa: E402

ROUNDS = 15


def measure(width: int, height: int, shading: str, view: str) -> list[float]:
    renderer = engine().preview
    times = []
    for index in range(ROUNDS + 2):
        started = time.perf_counter()
        renderer.render(width, height, shading=shading, view=view)
        if index >= 2:
            times.append((time.perf_counter() - started) * 1000)
    return times


def main() -> int:
    call("scene__clear_scene")
    call("modeling__add_backdrop")
    call("modeling__add_primitive", shape="monkey", location=[0, 0, 1], color="#C08040")
    call("lighting__studio_lights", target="Suzanne")
    call("camera__add_camera", name="Cam", location=[0, -6, 2], target="Suzanne")
    rows = []
    aa, samples = preview_module.SOLID_AA, preview_module.PREVIEW_EEVEE_SAMPLES
    for width, height in ((640, 360), (1280, 400)):
        preview_module.SOLID_AA = "OFF"
        floor = measure(width, height, "solid", "free")
        preview_module.SOLID_AA = aa
        rows.append((width, height, "solid, AA off (floor)", "free", floor, floor))
        rows.append((width, height, "solid, FXAA", "free", measure(width, height, "solid", "free"), floor))
        rows.append((width, height, "solid, FXAA", "camera", measure(width, height, "solid", "camera"), floor))
        for count in (1, samples):
            preview_module.PREVIEW_EEVEE_SAMPLES = count
            for shading in ("material", "rendered"):
                rows.append((width, height, f"{shading}, {count} sample(s)", "camera",
                             measure(width, height, shading, "camera"), floor))
        preview_module.PREVIEW_EEVEE_SAMPLES = samples
    print("| frame | shading | view | p50 ms | max ms | floor p50 ms |")
    print("|---|---|---|---|---|---|")
    for width, height, label, view, times, floor in rows:
        print(f"| {width}×{height} | {label} | {view} | {statistics.median(times):.1f} | {max(times):.1f} | "
              f"{statistics.median(floor):.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
