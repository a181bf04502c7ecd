// SPDX-License-Identifier: Apache-2.0
// What the benchmarks read of a process tree from /proc: memory (RSS, PSS) and CPU, to report
// the idle memory of an engine with its chromium and to wait until its warm-up is done.

import fs from 'node:fs';

/** The pid and every descendant of it. */
export function processTree(root: number): number[] {
  const parents = new Map<number, number>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) {
      continue;
    }
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      parents.set(Number(entry), Number(fields[1]));
    } catch {
      // gone
    }
  }
  const tree = [root];
  for (let i = 0; i < tree.length; i++) {
    for (const [pid, parent] of parents) {
      if (parent === tree[i]) {
        tree.push(pid);
      }
    }
  }
  return tree;
}

function readKb(file: string, key: string): number {
  try {
    const match = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(fs.readFileSync(file, 'utf8'));
    return match ? Number(match[1]) : 0;
  } catch {
    return 0;
  }
}

/** MiB of the tree: RSS summed (shared pages counted in each), PSS summed (shared pages split). */
export function memory(root: number): { rss: number; pss: number; processes: number } {
  const tree = processTree(root);
  let rss = 0;
  let pss = 0;
  for (const pid of tree) {
    rss += readKb(`/proc/${pid}/status`, 'VmRSS');
    pss += readKb(`/proc/${pid}/smaps_rollup`, 'Pss');
  }
  return { rss: rss / 1024, pss: pss / 1024, processes: tree.length };
}

function cpuTicks(root: number): number {
  let ticks = 0;
  for (const pid of processTree(root)) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // gone
    }
  }
  return ticks;
}

/** Waits until the engine's tree used under 3 % of a core for 3 s (its warm-up is done). */
export async function idle(root: number): Promise<number> {
  const started = performance.now();
  const hz = 100;
  for (;;) {
    const before = cpuTicks(root);
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const used = (cpuTicks(root) - before) / hz / 3;
    if (used < 0.03 || performance.now() - started > 180_000) {
      return performance.now() - started;
    }
  }
}
