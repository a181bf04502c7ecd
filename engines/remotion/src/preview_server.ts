// SPDX-License-Identifier: Apache-2.0
// The preview of one session: a Vite dev server in the engine process, rooted at the project's
// working tree, serving an @remotion/player page under /preview/<session-id>/ with hot reload.
// The hub reverse-proxies that prefix (HTTP and the HMR WebSocket) without stripping it, so the
// page and its HMR client only ever use the page's own host and port.

import fs from 'node:fs';
import net, { type AddressInfo } from 'node:net';
import path from 'node:path';
import type { HotPayload, InlineConfig, Plugin, ViteDevServer } from 'vite';
import { entryPointOf } from './renderer.js';

export type PreviewError = { message: string; stack?: string; composition?: string };

export type PreviewOptions = {
  workdir: string;
  sessionId: string;
  engineDir: string;
  cacheDir: string;
  onError: (error: PreviewError) => void;
};

const kEntryModule = 'virtual:atelier-project-entry';

// transformIndexHtml puts the base in front of root-relative URLs.
function pageHtml(mainModule: string): string {
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>atelier preview</title>
    <style>html,body,#root{margin:0;height:100%;background:#111;color:#eee;font-family:sans-serif}</style>
  </head>
  <body>
    <div id="root"></div>
    <script type="module" src="/@fs${mainModule}"></script>
  </body>
</html>
`;
}

/** Serves the page, resolves the project's entry and remembers the last build error. */
function atelierPlugin(options: PreviewOptions, base: string, state: { lastError: PreviewError | null }): Plugin {
  const mainModule = path.join(options.engineDir, 'preview', 'main.tsx');
  return {
    name: 'atelier-preview',
    resolveId(id) {
      if (id === kEntryModule) {
        return entryPointOf(options.workdir);
      }
      return null;
    },
    configureServer(server) {
      // Vite reports a failed transform to connected pages over the HMR socket; a page whose
      // first load failed has no socket yet, so it asks for the last error here instead.
      const hot = server.environments.client.hot;
      const send = hot.send.bind(hot) as (payload: HotPayload) => void;
      hot.send = ((payload: HotPayload) => {
        if (typeof payload === 'object' && payload && 'type' in payload && payload.type === 'error') {
          const error = { message: payload.err.message, stack: payload.err.stack || undefined };
          state.lastError = error;
          options.onError(error);
        } else if (typeof payload === 'object' && payload && 'type' in payload && payload.type === 'update') {
          state.lastError = null;
        }
        send(payload);
      }) as typeof hot.send;
      server.middlewares.use((request, response, next) => {
        const url = (request.url ?? '').split('?')[0];
        if (url === base || url === `${base}index.html` || url === base.slice(0, -1)) {
          server
            .transformIndexHtml(`${base}index.html`, pageHtml(mainModule), request.originalUrl)
            .then((html) => {
              response.setHeader('Content-Type', 'text/html; charset=utf-8');
              response.setHeader('Cache-Control', 'no-store');
              response.end(html);
            }, next);
          return;
        }
        if (url === `${base}__atelier/last-error`) {
          response.setHeader('Content-Type', 'application/json');
          response.setHeader('Cache-Control', 'no-store');
          response.end(JSON.stringify(state.lastError));
          return;
        }
        next();
      });
    },
    transform(_code, id) {
      // A module that compiles again clears the remembered error.
      if (id.startsWith(options.workdir)) {
        state.lastError = null;
      }
      return null;
    },
  };
}

/**
 * What @vitejs/plugin-react must leave alone: node_modules, as by default, and Vite's pre-bundled
 * dependencies in `cacheDir` (outside node_modules here), which it would otherwise run through
 * Babel on every server start (react-dom alone is ~1 MB: seconds on a loaded machine).
 */
export function notProjectCode(cacheDir: string): RegExp[] {
  const escaped = cacheDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return [/[\\/]node_modules[\\/]/, new RegExp(`^${escaped}[\\/]`)];
}

/** A port that was free a moment ago (Vite reads port 0 as "the default port"). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const port = (probe.address() as AddressInfo).port;
      probe.close(() => resolve(port));
    });
  });
}

// Vite takes ~0.6 s to load: loaded after the engine has said hello (preload), not before.
let viteModules: Promise<[typeof import('vite'), typeof import('@vitejs/plugin-react')]> | null = null;
function loadVite() {
  viteModules ??= Promise.all([import('vite'), import('@vitejs/plugin-react')]);
  return viteModules;
}

export class PreviewServer {
  /** Loads Vite in the background, so that a pooled engine's project/open does not wait for it. */
  static preload(): void {
    loadVite().catch(() => (viteModules = null));
  }

  private constructor(
    private readonly server: ViteDevServer,
    readonly port: number,
    readonly basePath: string,
  ) {}

  static async start(options: PreviewOptions): Promise<PreviewServer> {
    // Another process may take the probed port before Vite binds it: try again with a new one.
    for (let attempt = 1; ; attempt++) {
      try {
        return await PreviewServer.startOn(options, await freePort());
      } catch (error) {
        if (attempt >= 5 || !(error instanceof Error && /EADDRINUSE|already in use/i.test(error.message))) {
          throw error;
        }
      }
    }
  }

  /**
   * What a first start pays, paid ahead by an idle pooled engine: pre-bundles the page's
   * dependencies (react, remotion, the player) into `cacheDir`, then compiles the page once in a
   * throwaway server, which loads Babel (plugin-react's Fast Refresh; seconds on a loaded
   * machine). Vite reuses the dependencies only while its hash of the config is the same, which
   * is why the page's root is the engine's preview/ folder, not the tree.
   */
  static async warmUp(options: Omit<PreviewOptions, 'sessionId' | 'onError'>): Promise<void> {
    const [{ createServer, resolveConfig, optimizeDeps }, { default: react }] = await loadVite();
    const full = { ...options, sessionId: 'pool', onError: () => undefined };
    await optimizeDeps(await resolveConfig(PreviewServer.config(react, full, 0, { lastError: null }), 'serve'));
    const server = await createServer(PreviewServer.config(react, full, 0, { lastError: null }));
    try {
      await server.transformRequest(`/@fs${path.join(options.engineDir, 'preview', 'main.tsx')}`);
    } finally {
      await server.close();
    }
  }

  private static config(
    react: typeof import('@vitejs/plugin-react').default,
    options: PreviewOptions,
    port: number,
    state: { lastError: PreviewError | null },
  ): InlineConfig {
    const base = `/preview/${options.sessionId}/`;
    const publicDir = path.join(options.workdir, 'public');
    const modules = path.join(options.engineDir, 'node_modules');
    return {
      configFile: false,
      envFile: false,
      // Not the tree: the dependencies' cache is keyed by the root and the lockfile found from
      // it, and a pooled engine's tree is empty until project/open. The tree is watched below.
      root: path.join(options.engineDir, 'preview'),
      base,
      cacheDir: options.cacheDir,
      publicDir: fs.existsSync(publicDir) ? publicDir : false,
      logLevel: 'silent',
      clearScreen: false,
      appType: 'custom',
      plugins: [react({ exclude: notProjectCode(options.cacheDir) }), atelierPlugin(options, base, state)],
      resolve: { dedupe: ['react', 'react-dom', 'remotion', '@remotion/player'] },
      define: { __ATELIER_BASE__: JSON.stringify(base) },
      server: {
        host: '127.0.0.1',
        port,
        strictPort: true,
        // Only the hub reaches this server (loopback), under whatever host name the user typed.
        allowedHosts: true,
        // The page shows and reports errors itself; Vite's overlay would hide the player.
        hmr: { overlay: false },
        fs: { strict: true, allow: [options.workdir, options.engineDir, modules, options.cacheDir] },
        watch: { ignored: ['**/node_modules/**', '**/renders/**', '**/.git/**'] },
      },
      optimizeDeps: {
        // Pre-bundled: what the page imports. No scan of the page and the project for more at
        // start (seconds on a loaded machine, and held every first request): a project importing
        // another package from the shared node_modules gets its ES modules as they are.
        noDiscovery: true,
        include: ['react', 'react-dom', 'react-dom/client', 'react/jsx-runtime', 'react/jsx-dev-runtime', 'remotion', '@remotion/player'],
      },
    };
  }

  private static async startOn(options: PreviewOptions, port: number): Promise<PreviewServer> {
    const base = `/preview/${options.sessionId}/`;
    const state = { lastError: null as PreviewError | null };
    const [{ createServer }, { default: react }] = await loadVite();
    const server = await createServer(PreviewServer.config(react, options, port, state));
    server.watcher.add(options.workdir);
    await server.listen();
    const address = server.httpServer?.address() as AddressInfo | null;
    if (!address) {
      await server.close();
      throw new Error('the preview server has no address');
    }
    return new PreviewServer(server, address.port, base);
  }

  private readonly settling = new Map<string, NodeJS.Timeout>();

  /**
   * A file tool wrote (or deleted) `file`. The file watcher sees that too, but writes in quick
   * succession can reach it as one event read between two writes; once the writes have settled
   * the change is announced again, so the page always ends up with what is on disk.
   */
  fileChanged(file: string, deleted: boolean): void {
    clearTimeout(this.settling.get(file));
    this.settling.set(
      file,
      setTimeout(() => {
        this.settling.delete(file);
        this.server.watcher.emit(deleted ? 'unlink' : 'change', file);
      }, 200),
    );
  }

  /** Every open preview page reloads (new or replaced files in public/, which are not modules). */
  reloadPage(): void {
    this.server.ws.send({ type: 'full-reload', path: '*' });
  }

  async close(): Promise<void> {
    this.settling.forEach((timer) => clearTimeout(timer));
    this.settling.clear();
    await this.server.close();
  }
}
