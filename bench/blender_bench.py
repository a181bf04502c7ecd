#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Blender through the hub, measured the way a browser sees it (results: docs/benchmarks.md).

Starts the real hub with two engine kinds, real Blender (``blender``) and the C++ test engine
(``test``, the floor: the same hub, browser and session path with an engine that does nothing),
opens a ``/ws/browser`` tab like the web app and measures:

- trivial command round trip, browser → hub → engine → hub → browser, p50/p99: Blender
  ``router__scene_summary`` against the test engine's ``basics__echo`` in the same run;
- preview frame latency: ``command:send`` of a mutating tool → the viewport frame arrives
  (and → ``command:result``, which also waits for save + glb export + git commit);
- orbit frames/s: ``viewport:camera`` orbits, closed loop (next orbit when the frame is in)
  and open loop (60 requests/s; the engine coalesces what piles up);
- ``session:start`` → ``session:ready``: cold (pool = 0, Blender launched on demand) and with
  ``pool = 1`` and ``--warmup`` (a warm engine handed over with ``project/open``), each followed by
  two Eevee stills (what the warm-up saves on the first one);
- memory of one idle Blender session (RSS and PSS of the engine process).

Run with Debian's Python (python3-websockets, python3-numpy):
    bench/blender_bench.py [--binary build/release/atelier] [--test-engine build/release/atelier_test_engine]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from typing import Any

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "engines", "blender", "tests"))

from support import paths  # noqa: E402
from support.real_hub import BrowserTab, HubUnderTest, blender_command, toml_string  # noqa: E402


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def write_config(path: str, test_engine: str, pool: int, options: tuple[str, ...] = ()) -> None:
    blender = ", ".join(toml_string(part) for part in blender_command() + (["--", *options] if options else []))
    with open(path, "w", encoding="utf-8") as config:
        config.write(f"[engines.blender]\ncommand = [{blender}]\npool = {pool}\n\n"
                     f"[engines.test]\ncommand = [{toml_string(test_engine)}]\npool = 0\n")


def memory_of(pid: int) -> dict[str, float]:
    """RSS and PSS in MiB of one process (smaps_rollup)."""
    values: dict[str, float] = {}
    with open(f"/proc/{pid}/smaps_rollup", encoding="utf-8") as rollup:
        for line in rollup:
            name, _, rest = line.partition(":")
            if name in ("Rss", "Pss"):
                values[name.lower()] = int(rest.split()[0]) / 1024
    return values


async def round_trips(tab: BrowserTab, tool: str, arguments: dict[str, Any],
                      count: int) -> tuple[list[float], list[float]]:
    """Browser round trips (ms), and the hub's own view of each call (hub → engine → hub, ms)."""
    times, engine_times = [], []
    for _ in range(10):  # warm-up
        await tab.command(tool, arguments)
    for _ in range(count):
        started = time.perf_counter()
        result = await tab.command(tool, arguments)
        times.append((time.perf_counter() - started) * 1000)
        if not result.get("ok"):
            raise RuntimeError(f"{tool} failed: {result}")
        engine_times.append(float(result.get("duration_ms", 0)))
    return times, engine_times


async def frame_latency(tab: BrowserTab, count: int) -> tuple[list[float], list[float]]:
    to_frame, to_result = [], []
    for index in range(count):
        frames = len(tab.frames)
        started = time.perf_counter()
        message_id = await tab.send("command:send", {"tool": "scene__transform_object",
                                                     "arguments": {"name": "Cube", "location": [index % 5, 0, 0]}})
        await tab.wait_for(lambda t: len(t.frames) > frames, 60, "a frame")
        to_frame.append((tab.frame_times[frames] - started) * 1000)
        reply = await tab.reply(message_id)
        to_result.append((time.perf_counter() - started) * 1000)
        if not reply["payload"].get("ok"):
            raise RuntimeError(f"transform failed: {reply}")
    return to_frame, to_result


async def orbit_closed_loop(tab: BrowserTab, seconds: float) -> float:
    frames = 0
    started = time.perf_counter()
    while time.perf_counter() - started < seconds:
        count = len(tab.frames)
        await tab.send("viewport:camera", {"action": "orbit", "dx": 8, "dy": 0})
        await tab.wait_for(lambda t: len(t.frames) > count, 30, "an orbit frame")
        frames += 1
    return frames / (time.perf_counter() - started)


async def orbit_open_loop(tab: BrowserTab, seconds: float, rate: float = 60) -> tuple[float, int]:
    count = len(tab.frames)
    started = time.perf_counter()
    sent = 0
    while time.perf_counter() - started < seconds:
        await tab.send("viewport:camera", {"action": "orbit", "dx": 4, "dy": 0})
        sent += 1
        await asyncio.sleep(max(0.0, started + sent / rate - time.perf_counter()))
    # Everything sent is rendered at most once more after the last request.
    await asyncio.sleep(0.5)
    elapsed = tab.frame_times[-1] - started
    return (len(tab.frames) - count) / elapsed, sent


STILL = {"engine": "eevee", "samples": 4, "width": 320, "height": 180}


async def timed_command(tab: BrowserTab, tool: str, arguments: dict[str, Any]) -> float:
    started = time.perf_counter()
    result = await tab.command(tool, arguments, timeout=300)
    if not result.get("ok"):
        raise RuntimeError(f"{tool} failed: {result}")
    return time.perf_counter() - started


async def session_ready_times(hub: HubUnderTest, name: str, rounds: int,
                              stills: list[list[float]] | None = None, settle: float = 1.0) -> tuple[list[float], int]:
    """session:start → session:ready per round, each in a new project (what a user who clicks
    "new project" waits for); with ``stills``, also the first two Eevee stills."""
    times = []
    pid = 0
    for index in range(rounds):
        project = hub.create_project(f"{name} {index}")
        tab = await BrowserTab.open(hub)
        started = time.perf_counter()
        ready = await tab.start_session(project)
        times.append(time.perf_counter() - started)
        pid = hub.session(ready["session_id"])["engine_pid"]
        if stills is not None:
            stills.append([await timed_command(tab, "render__render_still", STILL) for _ in range(2)])
        since = len(tab.messages)
        await tab.send("session:end", {"session_id": ready["session_id"]})
        await tab.next_of_type("session:status", since, 120, lambda m: m["payload"]["state"] == "ended")
        await tab.close()
        await asyncio.sleep(settle)  # let a pool (if any) refill (and warm up) before the next round
    return times, pid


async def main_async(args: argparse.Namespace) -> int:
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="atelier-blender-bench-") as root:
        os.makedirs(os.path.join(root, "cold"))
        config = os.path.join(root, "cold", "atelier.toml")
        write_config(config, args.test_engine, pool=0)
        hub = HubUnderTest(os.path.join(root, "cold"), None, config_path=config,
                           extra_args=["--log-level", "warn"])
        hub.env = {"BLENDER_USER_SCRIPTS": paths.SCRIPTS_DIR}
        hub.start()
        try:
            results["cold_stills"] = []
            cold, _ = await session_ready_times(hub, "cold", args.rounds, results["cold_stills"])
            results["cold"] = cold

            tab = await BrowserTab.open(hub)
            hub.kind = "test"
            test_project = hub.create_project("floor")
            hub.kind = "blender"
            await tab.start_session(test_project)
            results["floor"], results["floor_engine"] = await round_trips(tab, "basics__echo", {"text": "x"},
                                                                         args.calls)
            await tab.close()

            tab = await BrowserTab.open(hub)
            ready = await tab.start_session(hub.create_project("bench"))
            await asyncio.sleep(2)
            results["memory_fresh"] = memory_of(hub.session(ready["session_id"])["engine_pid"])
            results["blender"], results["blender_engine"] = await round_trips(tab, "router__scene_summary", {},
                                                                             args.calls)
            results["frame"], results["result"] = await frame_latency(tab, args.frames)
            results["orbit_closed"] = await orbit_closed_loop(tab, args.orbit_seconds)
            results["orbit_open"], results["orbit_sent"] = await orbit_open_loop(tab, args.orbit_seconds)
            await asyncio.sleep(2)
            results["memory"] = memory_of(hub.session(ready["session_id"])["engine_pid"])
            await tab.close()
        finally:
            hub.stop()

        os.makedirs(os.path.join(root, "pool"))
        config = os.path.join(root, "pool", "atelier.toml")
        write_config(config, args.test_engine, pool=1, options=("--warmup",))
        hub = HubUnderTest(os.path.join(root, "pool"), None, config_path=config, extra_args=["--log-level", "warn"])
        hub.env = {"BLENDER_USER_SCRIPTS": paths.SCRIPTS_DIR}
        hub.start()
        try:
            await asyncio.sleep(args.pool_settle)  # time for the pool to launch its engine
            results["pooled_stills"] = []
            results["pooled"], _ = await session_ready_times(hub, "pooled", args.rounds,
                                                             results["pooled_stills"], settle=args.pool_settle)
        finally:
            hub.stop()

    floor, blender = results["floor"], results["blender"]
    print(f"# Blender through the hub, {args.calls} calls, machine: {os.cpu_count()} cores, "
          f"{os.uname().sysname} {os.uname().release}, hub {os.path.relpath(args.binary, ROOT)}")
    print()
    print("| figure | p50 | p99 | floor p50 | floor p99 | note |")
    print("|---|---|---|---|---|---|")
    print(f"| trivial command round trip (ms) | {percentile(blender, .5):.2f} | {percentile(blender, .99):.2f} | "
          f"{percentile(floor, .5):.2f} | {percentile(floor, .99):.2f} | Blender router__scene_summary vs the C++ "
          f"test engine's basics__echo, same hub and path |")
    floor, blender = results["floor_engine"], results["blender_engine"]
    print(f"| … of which hub → engine → hub (ms) | {percentile(blender, .5):.2f} | {percentile(blender, .99):.2f} | "
          f"{percentile(floor, .5):.2f} | {percentile(floor, .99):.2f} | the hub's duration_ms of each call |")
    frame, result = results["frame"], results["result"]
    print(f"| mutating command → preview frame (ms) | {percentile(frame, .5):.1f} | {percentile(frame, .99):.1f} | "
          f"| | 640×360 Workbench JPEG, scene__transform_object |")
    print(f"| mutating command → command:result (ms) | {percentile(result, .5):.1f} | {percentile(result, .99):.1f} | "
          f"| | includes project/save (scene.blend + scene.glb) and the git commit |")
    print(f"| orbit frames/s, closed loop | {results['orbit_closed']:.1f} | | | | next orbit when the frame is in |")
    print(f"| orbit frames/s, open loop | {results['orbit_open']:.1f} | | | | {results['orbit_sent']} requests at "
          f"60/s, coalesced by the engine |")
    cold, pooled = results["cold"], results["pooled"]
    print(f"| session:start → session:ready, cold (s) | {statistics.median(cold):.2f} | {max(cold):.2f} (max) | | | "
          f"pool = 0, {len(cold)} rounds |")
    print(f"| session:start → session:ready, pool = 1 (s) | {statistics.median(pooled):.2f} | "
          f"{max(pooled):.2f} (max) | | | {len(pooled)} rounds, --warmup; ~{args.pool_settle:.0f} s between rounds "
          f"for the refill |")
    for label, stills in (("cold engine", results["cold_stills"]),
                          ("pooled engine, --warmup", results["pooled_stills"])):
        first = statistics.median(s[0] for s in stills)
        second = statistics.median(s[1] for s in stills)
        print(f"| first / second Eevee still after ready, {label} (s) | {first:.2f} | {second:.2f} | | | "
              f"render__render_still 320×180, 4 samples |")
    fresh, memory = results["memory_fresh"], results["memory"]
    print(f"| idle Blender session memory (MiB) | RSS {fresh['rss']:.0f} | PSS {fresh['pss']:.0f} | | | "
          f"the engine process 2 s after session:ready |")
    print(f"| … after the work above (MiB) | RSS {memory['rss']:.0f} | PSS {memory['pss']:.0f} | | | "
          f"{args.calls} calls, {args.frames} mutations with saves, orbits |")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--binary", default=os.path.join(ROOT, "build", "release", "atelier"))
    parser.add_argument("--test-engine", default=os.path.join(ROOT, "build", "release", "atelier_test_engine"))
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--frames", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--orbit-seconds", type=float, default=4)
    parser.add_argument("--pool-settle", type=float, default=15,
                        help="seconds for the pool to launch and warm up an engine")
    args = parser.parse_args()
    args.binary, args.test_engine = os.path.abspath(args.binary), os.path.abspath(args.test_engine)
    os.environ["ATELIER_BINARY"] = args.binary
    return asyncio.run(main_async(args))


if __name__ == "__main__":
    sys.exit(main())
