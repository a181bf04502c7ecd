#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Sessions per machine with real Blender (issue 24; results: docs/benchmarks.md, docs/scaling.md).

One hub (pool = 0) and N live Blender sessions, N growing (1, 2, 4, 8, …), each with its own
project and browser tab. At each N:

- memory: RSS and PSS of each Blender engine process (mean) and the machine's MemAvailable;
- idle CPU: all Blender processes over a few seconds while nobody does anything;
- one user active among N open sessions: p50/p99 of a mutating command
  (``scene__transform_object``: the engine's work, project/save and the hub's git commit) on one
  session while the others idle;
- every user active: each of the N tabs sends the same command, then "thinks" for
  ``--think`` seconds, for ``--seconds``; p50/p99 over all commands.

The floor is N = 1 of the same run. N takes the values of ``--levels``; past the first N whose
every-user-active p50 passes ``--stop-at`` × the floor, only memory, idle CPU and the one-active
figures are taken (sessions held open, one user at work), up to the last level or until
MemAvailable falls under ``--min-free`` GiB.

    bench/blender_capacity.py [--binary build/release/atelier] [--levels 1,2,4,8,12,16,32,64]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from typing import Any

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "engines", "blender", "tests"))

from support import paths  # noqa: E402
from support.real_hub import BrowserTab, HubUnderTest, blender_command  # noqa: E402

TOOL = "scene__transform_object"


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def memory_of(pid: int) -> tuple[float, float]:
    """RSS and PSS in MiB of one process (smaps_rollup)."""
    values = {}
    with open(f"/proc/{pid}/smaps_rollup", encoding="utf-8") as rollup:
        for line in rollup:
            name, _, rest = line.partition(":")
            if name in ("Rss", "Pss"):
                values[name] = int(rest.split()[0]) / 1024
    return values["Rss"], values["Pss"]


def mem_available_gib() -> float:
    with open("/proc/meminfo", encoding="utf-8") as meminfo:
        for line in meminfo:
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) / 1024 / 1024
    return 0.0


def cpu_seconds(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except OSError:
        return 0.0


class Seat:
    """One user: a project, a tab and its live Blender session."""

    def __init__(self, tab: BrowserTab, session_id: str, pid: int) -> None:
        self.tab, self.session_id, self.pid, self.moves = tab, session_id, pid, 0

    async def command(self) -> float:
        self.moves += 1
        started = time.perf_counter()
        result = await self.tab.command(TOOL, {"name": "Cube", "location": [self.moves % 7, 0, 0]}, timeout=300)
        if not result.get("ok"):
            raise RuntimeError(f"{TOOL} failed: {result}")
        return (time.perf_counter() - started) * 1000


async def open_seat(hub: HubUnderTest, index: int) -> Seat:
    tab = await BrowserTab.open(hub)
    ready = await tab.start_session(hub.create_project(f"capacity {index}"), timeout=300)
    return Seat(tab, ready["session_id"], hub.session(ready["session_id"])["engine_pid"])


async def all_active(seats: list[Seat], seconds: float, think: float) -> list[float]:
    times: list[float] = []
    deadline = time.perf_counter() + seconds

    async def user(seat: Seat, offset: float) -> None:
        await asyncio.sleep(offset)  # users do not start in lockstep
        while time.perf_counter() < deadline:
            times.append(await seat.command())
            await asyncio.sleep(think)

    await asyncio.gather(*(user(seat, think * n / len(seats)) for n, seat in enumerate(seats)))
    return times


async def main_async(args: argparse.Namespace) -> int:
    rows = []
    floor_all = 0.0
    with tempfile.TemporaryDirectory(prefix="atelier-capacity-") as root:
        hub = HubUnderTest(root, blender_command(), extra_args=["--log-level", "warn", "--session-grace", "3600"])
        hub.env = {"BLENDER_USER_SCRIPTS": paths.SCRIPTS_DIR}
        hub.start()
        seats: list[Seat] = []
        try:
            print(f"# Sessions per machine, real Blender through the hub ({os.path.relpath(args.binary, ROOT)}); "
                  f"{os.cpu_count()} cores, {mem_available_gib():.1f} GiB available at start, "
                  f"load {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
            print(f"# command: {TOOL} (engine work + project/save + git commit); every-user-active: each tab "
                  f"sends it, then thinks {args.think} s, for {args.seconds} s")
            print("| sessions | Blender RSS / PSS each (MiB) | MemAvailable (GiB) | idle CPU, all Blenders | "
                  "one active: p50 / p99 (ms) | all active: p50 / p99 (ms) | all active p50 × floor | commands |")
            print("|---|---|---|---|---|---|---|---|")
            saturated = False
            for target in args.levels:
                while len(seats) < target:
                    seats.append(await open_seat(hub, len(seats)))
                await asyncio.sleep(args.settle)
                memory = [memory_of(seat.pid) for seat in seats]
                rss = sum(m[0] for m in memory) / len(memory)
                pss = sum(m[1] for m in memory) / len(memory)
                cpu0 = sum(cpu_seconds(seat.pid) for seat in seats)
                await asyncio.sleep(args.idle_window)
                idle_cpu = (sum(cpu_seconds(seat.pid) for seat in seats) - cpu0) / args.idle_window
                one = [await seats[0].command() for _ in range(args.one_calls)]
                line = (f"| {target} | {rss:.0f} / {pss:.0f} | {mem_available_gib():.1f} | {100 * idle_cpu:.1f} % | "
                        f"{percentile(one, 0.5):.0f} / {percentile(one, 0.99):.0f} | ")
                if saturated:
                    print(line + "– | – | – |", flush=True)
                else:
                    every = await all_active(seats, args.seconds, args.think)
                    p50 = percentile(every, 0.5)
                    floor_all = floor_all or p50
                    rows.append((target, p50))
                    saturated = p50 > args.stop_at * floor_all
                    print(line + f"{p50:.0f} / {percentile(every, 0.99):.0f} | {p50 / floor_all:.2f}× | {len(every)} |",
                          flush=True)
                if mem_available_gib() < args.min_free:
                    break
            doubled = next((n for n, p50 in rows if p50 > 2 * floor_all), None)
            print(f"# every-user-active p50 passes 2× the single session's at "
                  f"{'N = ' + str(doubled) if doubled else 'no N measured (up to ' + str(rows[-1][0]) + ')'}")
        finally:
            for seat in seats:
                await seat.tab.close()
            hub.stop(timeout=120)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--binary", default=os.path.join(ROOT, "build", "release", "atelier"))
    parser.add_argument("--levels", default="1,2,4,8,12,16,32,64",
                        type=lambda text: [int(n) for n in text.split(",")], help="the numbers of sessions, ascending")
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--think", type=float, default=1.0, help="seconds a user waits between commands")
    parser.add_argument("--one-calls", type=int, default=20)
    parser.add_argument("--settle", type=float, default=3.0, help="seconds after the last session opened")
    parser.add_argument("--idle-window", type=float, default=5.0)
    parser.add_argument("--stop-at", type=float, default=4.0,
                        help="no every-user-active runs once its p50 passed this × floor")
    parser.add_argument("--min-free", type=float, default=2.0, help="stop under this many GiB available")
    args = parser.parse_args()
    args.binary = os.path.abspath(args.binary)
    os.environ["ATELIER_BINARY"] = args.binary
    return asyncio.run(main_async(args))


if __name__ == "__main__":
    sys.exit(main())
