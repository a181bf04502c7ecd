// SPDX-License-Identifier: Apache-2.0
// The preview of one session: a Vite dev server in the engine process, rooted at the project's
// working tree, serving an @remotion/player page under /preview/<session-id>/ with hot reload.
// The hub reverse-proxies that prefix (HTTP and the HMR WebSocket) without stripping it, so the
// page and its HMR client only ever use the page's own host and port.

import fs from 'node:fs';
import net, { type AddressInfo } from 'node:net';
import path from 'node:path';
import crypto from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import zlib from 'node:zlib';
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

/** Where the page's modulepreload links go (transformIndexHtml keeps comments). */
const kPreloadMarker = '<!--atelier:preload-->';

// transformIndexHtml puts the base in front of root-relative URLs. The links to preload the
// project's modules replace kPreloadMarker when the page is served (see preloadLinks).
function pageHtml(mainModule: string): string {
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>atelier preview</title>
    <style>html,body,#root{margin:0;height:100%;background:#111;color:#eee;font-family:sans-serif}</style>
    ${kPreloadMarker}
  </head>
  <body>
    <div id="root"></div>
    <script type="module" src="/@fs${mainModule}"></script>
  </body>
</html>
`;
}

type PreviewState = {
  lastError: PreviewError | null;
  shown: () => void;
  /** The page as transformIndexHtml made it, once per server (it depends only on the base). */
  page: Promise<string> | null;
};

/** `<link rel="modulepreload">` for each module: fetched with the page's dependencies, not after them. */
function preloadLinks(base: string, urls: string[]): string {
  return urls.map((url) => `<link rel="modulepreload" href="${base}${url.replace(/^\//, '')}" />`).join('\n    ');
}

/** The page, transformed by Vite's HTML hooks (the HMR client, React Refresh's preamble). */
function transformedPage(server: ViteDevServer, options: PreviewOptions, base: string, state: PreviewState): Promise<string> {
  state.page ??= server.transformIndexHtml(`${base}index.html`, pageHtml(path.join(options.engineDir, 'preview', 'main.tsx')));
  const page = state.page;
  page.catch(() => {
    if (state.page === page) {
      state.page = null;
    }
  });
  return page;
}

/**
 * The URLs (without the base) of the project's modules compiled so far, from the entry along its
 * imports inside the tree: what the page will import first.
 */
function projectModules(server: ViteDevServer, workdir: string): string[] {
  const graph = server.environments.client.moduleGraph;
  let entry: string;
  try {
    entry = entryPointOf(workdir);
  } catch {
    return [];
  }
  const urls: string[] = [];
  const queue = [...(graph.getModulesByFile(entry) ?? [])];
  if (!queue.some((module) => module.transformResult)) {
    // Not compiled yet (the page came first): the entry and its neighbours are the best guess.
    const folder = path.dirname(entry);
    const others = fs.readdirSync(folder).filter((file) => /\.(tsx?|jsx?)$/.test(file) && !/\.d\.ts$/.test(file)).map((file) => path.join(folder, file));
    return [entry, ...others.filter((file) => file !== entry)].slice(0, 20).map((file) => `/@fs${file}`);
  }
  const seen = new Set(queue);
  while (queue.length > 0 && urls.length < 50) {
    const module = queue.shift()!;
    urls.push(module.url);
    for (const imported of module.importedModules) {
      if (!seen.has(imported) && imported.file?.startsWith(workdir + path.sep) && !imported.file.includes(`${path.sep}node_modules${path.sep}`)) {
        seen.add(imported);
        queue.push(imported);
      }
    }
  }
  return urls;
}

/** What main.tsx imports from node_modules (pre-bundled: optimizeDeps.include below). */
const kPageImports = ['react', 'react/jsx-dev-runtime', 'react-dom/client', 'remotion', '@remotion/player'];

/**
 * The URLs of the page's pre-bundled dependencies and their shared chunks, as Vite's import
 * analysis writes them (`/@fs<cache>/deps/react.js?v=<browser hash>`), from the optimiser's
 * metadata, known before main.tsx is compiled: preloaded, they are fetched with the page instead
 * of after main.tsx has arrived.
 */
function pageDependencies(server: ViteDevServer): string[] {
  const metadata = server.environments.client.depsOptimizer?.metadata;
  if (!metadata) {
    return [];
  }
  const url = (info: { file: string; browserHash?: string }) => `/@fs${info.file}?v=${info.browserHash ?? metadata.browserHash}`;
  const entries = kPageImports.map((id) => metadata.optimized[id]).filter((info) => info !== undefined);
  return [...entries.map(url), ...Object.values(metadata.chunks).map(url)];
}

/** Serves the page, resolves the project's entry and remembers the last build error. */
function atelierPlugin(options: PreviewOptions, base: string, state: PreviewState): Plugin {
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
      server.middlewares.use(compressModules);
      server.middlewares.use((request, response, next) => {
        const url = (request.url ?? '').split('?')[0];
        if (url === base || url === `${base}index.html` || url === base.slice(0, -1)) {
          transformedPage(server, options, base, state).then((html) => {
            response.setHeader('Content-Type', 'text/html; charset=utf-8');
            response.setHeader('Cache-Control', 'no-store');
            const preload = [...pageDependencies(server), ...projectModules(server, options.workdir)];
            response.end(html.replace(kPreloadMarker, preloadLinks(base, preload)));
          }, next);
          return;
        }
        if (url === `${base}__atelier/shown`) {
          // The page showed its first frame (main.tsx): the engine's deferred work may start.
          state.shown();
          response.statusCode = 204;
          response.end();
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

/** Modules smaller than this are sent as they are. */
const kCompressFrom = 8 * 1024;

/**
 * Sends JavaScript modules gzip-compressed to a browser that accepts it (zlib level 1: ~10 ms for
 * React DOM's 1.1 MB development build, which compresses to ~0.25 MB). The page's ~2.5 MB of
 * modules crossed the hub's proxy in ~1 s on a loaded machine (asan build: ~0.4 s per MB), and a
 * remote browser pays per byte too. Only whole bodies given to end() at once (Vite's transformed
 * modules); streams and 304s pass through.
 */
function compressModules(request: IncomingMessage, response: ServerResponse, next: () => void): void {
  if (!/\bgzip\b/.test(String(request.headers['accept-encoding'] ?? '')) || request.method !== 'GET') {
    next();
    return;
  }
  let streamed = false;
  const write = response.write.bind(response) as (...args: unknown[]) => boolean;
  response.write = ((...args: unknown[]) => {
    streamed = true;
    return write(...args);
  }) as typeof response.write;
  const end = response.end.bind(response) as (...args: unknown[]) => ServerResponse;
  response.end = ((...args: unknown[]) => {
    const [body] = args;
    const type = String(response.getHeader('content-type') ?? '');
    if (streamed || response.statusCode !== 200 || response.getHeader('content-encoding') || !/javascript/.test(type) ||
        (typeof body !== 'string' && !Buffer.isBuffer(body)) || Buffer.byteLength(body) < kCompressFrom) {
      return end(...args);
    }
    zlib.gzip(body, { level: 1 }, (error, compressed) => {
      if (error) {
        end(body);
        return;
      }
      response.setHeader('Content-Encoding', 'gzip');
      const vary = response.getHeader('vary');
      response.setHeader('Vary', vary ? `${String(vary)}, Accept-Encoding` : 'Accept-Encoding');
      response.setHeader('Content-Length', compressed.length);
      end(compressed);
    });
    return response;
  }) as typeof response.end;
  next();
}

/** How often an idle pooled engine compiles the page and the template (see warmUp). */
const kWarmUpRounds = 8;

/** How long a tool's announcement stands for the watcher's event of the same content. */
const kAnnouncedForMs = 5000;

/** sha1 of a file's bytes ('' when it cannot be read: gone). */
function contentHash(file: string): string {
  try {
    return crypto.createHash('sha1').update(fs.readFileSync(file)).digest('hex');
  } catch {
    return '';
  }
}

/** The page's own module (preview/main.tsx), as a filter plugin-react takes. */
function pageModule(engineDir: string): RegExp {
  return new RegExp(`^${path.join(engineDir, 'preview', 'main.tsx').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);
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

  private announcing = false;

  private constructor(
    private readonly server: ViteDevServer,
    readonly port: number,
    readonly basePath: string,
    /** Resolves when a page has shown its first frame (the page's `__atelier/shown`). */
    readonly firstFrameShown: Promise<void>,
  ) {
    const watcher = server.watcher;
    const emit = watcher.emit.bind(watcher) as (event: string, ...args: unknown[]) => boolean;
    watcher.emit = ((event: string, ...args: unknown[]) => {
      if (this.announcing || this.watched(event, args[0])) {
        return emit(event, ...args);
      }
      return false;
    }) as typeof watcher.emit;
  }

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
   * throwaway server with the template's components, which loads Babel (plugin-react's Fast
   * Refresh; seconds on a loaded machine). Vite reuses the dependencies only while its hash of the config is the same, which
   * is why the page's root is the engine's preview/ folder, not the tree.
   */
  static async warmUp(options: Omit<PreviewOptions, 'sessionId' | 'onError'>): Promise<void> {
    const [{ createServer, resolveConfig, optimizeDeps }, { default: react }] = await loadVite();
    const full = { ...options, sessionId: 'pool', onError: () => undefined };
    const state = { lastError: null, shown: () => undefined, page: null };
    await optimizeDeps(await resolveConfig(PreviewServer.config(react, full, 0, state), 'serve'));
    const server = await createServer(PreviewServer.config(react, full, 0, state));
    try {
      // The page, and the stand-in project's components (Babel, for Fast Refresh), several times:
      // the first compile of the template's three files took 640 ms, the eighth 61 ms (V8 has
      // optimised Babel and Vite's pipeline by then), and a session's first page pays the rest.
      const sources = path.join(options.workdir, 'src');
      const files = (fs.existsSync(sources) ? fs.readdirSync(sources) : []).filter((file) => /\.tsx?$/.test(file));
      for (let round = 0; round < kWarmUpRounds; round++) {
        await server.transformIndexHtml('/preview/pool/index.html', pageHtml(path.join(options.engineDir, 'preview', 'main.tsx')));
        await server.transformRequest(`/@fs${path.join(options.engineDir, 'preview', 'main.tsx')}`);
        for (const file of files) {
          await server.transformRequest(`/@fs${path.join(sources, file)}`);
        }
        server.environments.client.moduleGraph.invalidateAll();
      }
    } finally {
      await server.close();
    }
  }

  private static config(
    react: typeof import('@vitejs/plugin-react').default,
    options: PreviewOptions,
    port: number,
    state: PreviewState,
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
      // The page's own main.tsx is not Fast-Refreshed (it never changes under a page): esbuild
      // compiles it in milliseconds, Babel took ~0.5 s of the first page on a loaded machine.
      plugins: [
        react({ exclude: [...notProjectCode(options.cacheDir), pageModule(options.engineDir)] }),
        atelierPlugin(options, base, state),
      ],
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
    let shown!: () => void;
    const firstFrameShown = new Promise<void>((resolve) => (shown = resolve));
    const state: PreviewState = { lastError: null, shown, page: null };
    const [{ createServer }, { default: react }] = await loadVite();
    const server = await createServer(PreviewServer.config(react, options, port, state));
    server.watcher.add(options.workdir);
    await server.listen();
    const address = server.httpServer?.address() as AddressInfo | null;
    if (!address) {
      await server.close();
      throw new Error('the preview server has no address');
    }
    const preview = new PreviewServer(server, address.port, base, firstFrameShown);
    // The page first (the browser asks for it first; served at once even while the modules below
    // compile), then the modules it will ask for.
    void transformedPage(server, options, base, state).catch(() => undefined).then(() => preview.compileAhead(options));
    return preview;
  }

  /**
   * Compiles the page and the project (from its entry, along its imports) while the browser is
   * still being told where the page is: its requests then find them compiled, and the page
   * preloads the project's modules. Errors are left for the page's own requests to report.
   */
  private compileAhead(options: PreviewOptions): void {
    const page = `/@fs${path.join(options.engineDir, 'preview', 'main.tsx')}`;
    let entry: string;
    try {
      entry = entryPointOf(options.workdir);
    } catch {
      return;
    }
    void Promise.all(['/@vite/client', '/@react-refresh', page, `/@fs${entry}`].map((url) => this.server.warmupRequest(url))).catch(() => undefined);
  }

  /** Files a tool changed, announced to Vite at once: content hash and when, see watched(). */
  private readonly announced = new Map<string, { hash: string; at: number }>();

  /**
   * A file tool wrote (or deleted) `file`: Vite hears of it at once instead of waiting for its
   * file watcher, whose own event for the same content is then dropped (watched()), so an edit
   * makes one hot update. Quick successive writes each announce themselves after their write, so
   * the last update always reads what is on disk.
   */
  fileChanged(file: string, deleted: boolean): void {
    this.announced.set(file, { hash: deleted ? '' : contentHash(file), at: Date.now() });
    this.announcing = true;
    try {
      this.server.watcher.emit(deleted ? 'unlink' : 'change', file);
    } finally {
      this.announcing = false;
    }
  }

  /** Whether the watcher's event for `file` says something Vite has not been told already. */
  private watched(event: string, file: unknown): boolean {
    if ((event !== 'change' && event !== 'unlink') || typeof file !== 'string') {
      return true;
    }
    const announced = this.announced.get(file);
    if (!announced) {
      return true;
    }
    this.announced.delete(file);
    const now = event === 'unlink' ? '' : contentHash(file);
    return Date.now() - announced.at > kAnnouncedForMs || now !== announced.hash;
  }

  /** Every open preview page reloads (new or replaced files in public/, which are not modules). */
  reloadPage(): void {
    this.server.ws.send({ type: 'full-reload', path: '*' });
  }

  async close(): Promise<void> {
    this.announced.clear();
    await this.server.close();
  }
}
