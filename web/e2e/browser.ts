// SPDX-License-Identifier: Apache-2.0
import { existsSync, mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

/// Debian's chromium, driven by playwright-core (no browser download). Missing chromium is a
/// failure, not a skip: CI installs it (scripts/deps.sh test).
export const CHROMIUM = process.env.ATELIER_CHROMIUM ?? '/usr/bin/chromium';

// Root in a container needs --no-sandbox; the network of this machine is closed, so everything
// that phones home is off (else chromium retries refused connections at every start).
const FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-default-apps',
  '--disable-extensions',
  // The viewport's WebRTC video on loopback (docs/viewport.md): host candidates on 127.0.0.1, no mDNS names.
  '--allow-loopback-in-peer-connection',
  '--disable-features=WebRtcHideLocalIpsWithMdns',
];

export async function launch_chromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`chromium is not installed at ${CHROMIUM} (apt-get install chromium, or scripts/deps.sh test; ATELIER_CHROMIUM overrides the path)`);
  }
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS });
}

/// Where screenshots and logs go: $ATELIER_E2E_ARTIFACTS (CTest: <build>/e2e), else build/e2e.
export function artifacts_dir(): string {
  const dir = process.env.ATELIER_E2E_ARTIFACTS ?? resolve(import.meta.dirname, '..', '..', 'build', 'e2e');
  mkdirSync(dir, { recursive: true });
  return dir;
}

/// A digest of what the viewport canvas shows: a 32×32 grid of RGB samples, read from the canvas
/// itself (not a screenshot), so overlays and the banner do not count.
export async function canvas_samples(page: Page, selector = '.viewport canvas'): Promise<number[]> {
  return page.locator(selector).evaluate((element) => {
    const canvas = element as HTMLCanvasElement;
    const context = canvas.getContext('2d');
    if (!context || canvas.width === 0 || canvas.height === 0) return [];
    const data = context.getImageData(0, 0, canvas.width, canvas.height).data;
    const samples: number[] = [];
    for (let gy = 0; gy < 32; gy++) {
      for (let gx = 0; gx < 32; gx++) {
        const x = Math.floor(((gx + 0.5) * canvas.width) / 32);
        const y = Math.floor(((gy + 0.5) * canvas.height) / 32);
        const at = (y * canvas.width + x) * 4;
        samples.push(data[at]!, data[at + 1]!, data[at + 2]!);
      }
    }
    return samples;
  });
}

/// How many samples differ between two digests (a different size counts as all different).
export function samples_changed(a: number[], b: number[]): number {
  if (a.length !== b.length) return Math.max(a.length, b.length) / 3;
  let changed = 0;
  for (let i = 0; i < a.length; i += 3) {
    if (a[i] !== b[i] || a[i + 1] !== b[i + 1] || a[i + 2] !== b[i + 2]) changed++;
  }
  return changed;
}
