// SPDX-License-Identifier: Apache-2.0
import { defineConfig } from 'vitest/config';

// The hub serves web/dist at "/" and answers /api and /ws on the same port. In development, Vite
// proxies both to a hub running on 127.0.0.1:8420 (override with ATELIER_HUB).
const hub = process.env.ATELIER_HUB ?? 'http://127.0.0.1:8420';

export default defineConfig({
  base: '/',
  // JSX through esbuild's automatic runtime: no React plugin needed.
  esbuild: { jsx: 'automatic' },
  // The code editor (CodeMirror, loaded only when a Remotion project shows its code) is ~510 KB.
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: true, target: 'es2022', chunkSizeWarningLimit: 600 },
  server: {
    port: 5173,
    proxy: {
      '/api': { target: hub, changeOrigin: false },
      '/ws': { target: hub.replace(/^http/, 'ws'), ws: true },
    },
  },
  test: {
    include: ['tests/**/*.test.ts', 'tests/**/*.test.tsx'],
    environment: 'node',
  },
});
