#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Viewport preview frames by shading and view, inside one Blender (results: docs/benchmarks.md).

Floor, same run: the solid frame as it was before issue 19 (Workbench, anti-aliasing off),
rendered alternately with each variant so both see the same machine load. Variants: solid with
5-sample anti-aliasing (today's default), Eevee "material" and "rendered" at 4 samples (today) and at 1 sample
(before), through the free view and the scene camera, at 640x360 and a wide 1280x400 panel. A
scene of a monkey, a backdrop and three area lights; 9 pairs each after one warm-up pair.

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

ROUNDS = 9


def measure_pair(width: int, height: int, shading: str, view: str, samples: int) -> tuple[list[float], list[float]]:
    """The variant and the floor frame alternately, so both see the same load (a shared machine)."""
    renderer = engine().preview
    aa = preview_module.SOLID_AA
    variant_times, floor_times = [], []
    for index in range(ROUNDS + 1):
        for which, times in (("floor", floor_times), ("variant", variant_times)):
            preview_module.SOLID_AA = "OFF" if which == "floor" else aa
            preview_module.PREVIEW_EEVEE_SAMPLES = samples
            started = time.perf_counter()
            if which == "floor":
                renderer.render(width, height, shading="solid", view="free")
            else:
                renderer.render(width, height, shading=shading, view=view)
            if index >= 1:  # the first round warms shaders up
                times.append((time.perf_counter() - started) * 1000)
    preview_module.SOLID_AA = aa
    return variant_times, floor_times


def main() -> int:
    call("scene__clear_scene")
    call("modeling__add_backdrop")
    call("modeling__add_primitive", shape="monkey", location=[0, 0, 1], color="#C08040")
    call("lighting__studio_lights", target="Suzanne")
    call("camera__add_camera", name="Cam", location=[0, -6, 2], target="Suzanne")
    samples = preview_module.PREVIEW_EEVEE_SAMPLES
    print("| frame | shading | view | p50 ms | floor p50 ms (same rounds) | ratio |")
    print("|---|---|---|---|---|---|")
    for width, height in ((640, 360), (1280, 400)):
        cases = [("solid, AA 5 samples", "solid", "free", samples), ("solid, AA 5 samples", "solid", "camera", samples)]
        for count in (1, samples):
            for shading in ("material", "rendered"):
                cases.append((f"{shading}, {count} sample(s)", shading, "camera", count))
        for label, shading, view, count in cases:
            variant, floor = measure_pair(width, height, shading, view, count)
            print(f"| {width}×{height} | {label} | {view} | {statistics.median(variant):.1f} | "
                  f"{statistics.median(floor):.1f} | {statistics.median(variant) / statistics.median(floor):.1f} |",
                  flush=True)
    preview_module.PREVIEW_EEVEE_SAMPLES = samples
    return 0


if __name__ == "__main__":
    sys.exit(main())
