// SPDX-License-Identifier: Apache-2.0
import { defineConfig } from 'vitest/config';

// End-to-end tests: the real hub, real chromium (playwright-core), real WebSockets. Run through
// `scripts/web.sh e2e` (CTest: web_e2e). One file at a time: each starts its own hub and browser.
export default defineConfig({
  test: {
    include: ['e2e/**/*.e2e.ts'],
    environment: 'node',
    fileParallelism: false,
    // Guards against a hang, not timing goals: an ASan hub on a loaded 2-core machine is slow.
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
