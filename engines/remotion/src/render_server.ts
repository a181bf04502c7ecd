// SPDX-License-Identifier: Apache-2.0
// What @remotion/renderer renders from: a Vite dev server of the project working tree whose page
// (preview/render.ts) holds the project's entry and Remotion's render entry, the same modules as
// a webpack bundle of @remotion/bundler, compiled per module on request. A new or changed project
// therefore renders after a few transforms instead of a whole bundle (issue 20).
//
// Unlike the preview server it has no HMR and no file watcher: a page open for a render must not
// change under it. Freshness is explicit instead: the renderer calls sourcesChanged() whenever the
// sources' fingerprint differs from the last render's, which drops every compiled module, so the
// next page compiles what is on disk (the browser revalidates modules by ETag: Vite sends them
// no-cache). Dependencies (react, remotion) are pre-bundled once, into the engine's scratch folder.

import fs from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import net, { type AddressInfo } from 'node:net';
import path from 'node:path';
import type { Plugin, ViteDevServer } from 'vite';
import { notProjectCode } from './preview_server.js';
import { entryPointOf } from './renderer.js';

const kEntryModule = 'virtual:atelier-project-entry';
const kBase = '/render/';

export type RenderServerOptions = {
  /** The working tree (a new tree needs a new server: it is Vite's root). */
  workdir: string;
  engineDir: string;
  cacheDir: string;
};

// Vite and Remotion's page generator load in ~0.6 s: after the engine's hello, not before.
let modules: Promise<[typeof import('vite'), typeof import('@vitejs/plugin-react'), typeof import('@remotion/studio-shared')]> | null = null;
function loadModules() {
  modules ??= Promise.all([import('vite'), import('@vitejs/plugin-react'), import('@remotion/studio-shared')]);
  return modules;
}

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

/** What the page renders: the tree's own entry, or a stand-in project while the tree has none. */
type RenderState = { workdir: string; standInRoot: string | null };

/** The folder the page's project comes from. */
const projectRoot = (state: RenderState) => state.standInRoot ?? state.workdir;

type PublicFile = { name: string; src: string; sizeInBytes: number; lastModified: number };

/** The files of public/ as Remotion's getStaticFiles() lists them. */
function publicFiles(folder: string, prefix = ''): PublicFile[] {
  let entries: fs.Dirent[] = [];
  try {
    entries = fs.readdirSync(path.join(folder, prefix), { withFileTypes: true });
  } catch {
    return [];
  }
  const files: PublicFile[] = [];
  for (const entry of entries) {
    const name = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) {
      files.push(...publicFiles(folder, name));
    } else if (entry.isFile()) {
      const stat = fs.statSync(path.join(folder, name));
      files.push({ name, src: `${kBase}public/${encodeURI(name)}`, sizeInBytes: stat.size, lastModified: Math.floor(stat.mtimeMs) });
    }
  }
  return files;
}

const kContentTypes: Record<string, string> = {
  '.svg': 'image/svg+xml', '.png': 'image/png', '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.gif': 'image/gif',
  '.webp': 'image/webp', '.mp4': 'video/mp4', '.webm': 'video/webm', '.mov': 'video/quicktime', '.mp3': 'audio/mpeg',
  '.wav': 'audio/wav', '.m4a': 'audio/mp4', '.aac': 'audio/aac', '.json': 'application/json', '.txt': 'text/plain',
  '.woff': 'font/woff', '.woff2': 'font/woff2', '.ttf': 'font/ttf', '.otf': 'font/otf', '.css': 'text/css',
};

export class RenderServer {
  private constructor(
    private readonly server: ViteDevServer,
    private readonly state: RenderState,
    /** The serveUrl to give @remotion/renderer. */
    readonly serveUrl: string,
  ) {}

  /** Loads Vite in the background, so that the first start does not wait for it. */
  static preload(): void {
    loadModules().catch(() => (modules = null));
  }

  static async start(options: RenderServerOptions): Promise<RenderServer> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await RenderServer.startOn(options, await freePort());
      } catch (error) {
        if (attempt >= 5 || !(error instanceof Error && /EADDRINUSE|already in use/i.test(error.message))) {
          throw error;
        }
      }
    }
  }

  private static async startOn(options: RenderServerOptions, port: number): Promise<RenderServer> {
    const [{ createServer }, { default: react }, { studioHtml }] = await loadModules();
    const state: RenderState = { workdir: options.workdir, standInRoot: null };
    const renderModule = path.join(options.engineDir, 'preview', 'render.ts');
    const modulesDir = path.join(options.engineDir, 'node_modules');
    const page = (): string =>
      studioHtml({
        importMap: null,
        staticHash: `${kBase}public`,
        publicPath: kBase,
        editorName: null,
        inputProps: null,
        remotionRoot: projectRoot(state),
        studioServerCommand: null,
        renderQueue: null,
        completedClientRenders: null,
        numberOfAudioTags: 0,
        publicFiles: publicFiles(path.join(projectRoot(state), 'public')),
        includeFavicon: false,
        title: 'atelier render',
        renderDefaults: undefined,
        publicFolderExists: `${kBase}public`,
        fileSystemPlatform: null,
        gitSource: null,
        projectName: path.basename(projectRoot(state)),
        installedDependencies: null,
        packageManager: 'unknown',
        logLevel: 'info',
        mode: 'bundle',
        audioLatencyHint: 'playback',
        experimentalKeepAudioContextAlive: false,
        sampleRate: 48000,
        studioRuntimeConfig: undefined,
        readOnlyStudio: true,
        bundleScriptUrl: `${kBase}@fs${renderModule}`,
        bundleScriptType: 'module',
        envVariables: undefined,
      } as Parameters<typeof studioHtml>[0]).replace(
        '<body>',
        // As a bundle's setup does: the project's variables (the renderer passes them as
        // window.remotion_envVariables) and NODE_ENV "production", which is how Remotion's
        // getRemotionEnvironment() knows that it is rendering (the modules are Vite's development
        // build all the same).
        '<body>\n\t\t<script>window.process = {env: {...JSON.parse(window.remotion_envVariables || "{}"), NODE_ENV: "production"}};</script>',
      );
    const plugin: Plugin = {
      name: 'atelier-render',
      resolveId(id) {
        return id === kEntryModule ? entryPointOf(projectRoot(state)) : null;
      },
      configureServer(server) {
        server.middlewares.use((request: IncomingMessage, response: ServerResponse, next: () => void) => {
          const url = decodeURIComponent((request.url ?? '').split('?')[0]);
          if (url === '/favicon.ico') {
            // Chromium asks for one with every page; a 404 would be logged as a page error.
            response.statusCode = 204;
            response.end();
            return;
          }
          if (url === kBase || url === `${kBase}index.html`) {
            response.setHeader('Content-Type', 'text/html; charset=utf-8');
            response.setHeader('Cache-Control', 'no-store');
            response.end(page());
            return;
          }
          if (url.startsWith(`${kBase}public/`)) {
            // staticFile(): served from the tree as it is now (Vite's public folder is read once).
            const publicDir = path.join(projectRoot(state), 'public');
            const file = path.resolve(publicDir, `.${url.slice(`${kBase}public`.length)}`);
            if (!file.startsWith(publicDir + path.sep) || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
              response.statusCode = 404;
              response.end('not found');
              return;
            }
            response.setHeader('Content-Type', kContentTypes[path.extname(file).toLowerCase()] ?? 'application/octet-stream');
            response.setHeader('Cache-Control', 'no-store');
            fs.createReadStream(file).pipe(response);
            return;
          }
          next();
        });
      },
    };
    const server = await createServer({
      configFile: false,
      envFile: false,
      // Not the tree, as in the preview server: the dependencies' cache (keyed by the root and
      // the lockfile found from it) then survives a server for another tree.
      root: path.join(options.engineDir, 'preview'),
      base: kBase,
      cacheDir: options.cacheDir,
      publicDir: false,
      logLevel: 'silent',
      clearScreen: false,
      appType: 'custom',
      // hmr: false also turns off React Fast Refresh in plugin-react: no HMR client in the page.
      plugins: [react({ exclude: notProjectCode(options.cacheDir) }), plugin],
      resolve: { dedupe: ['react', 'react-dom', 'remotion'] },
      // React's production build, as a bundle has it (its development build made stills ~30 %
      // slower): the dependencies are pre-bundled for production and JSX compiles to jsx(), which
      // the production react/jsx-dev-runtime does not provide.
      define: { 'process.env.NODE_ENV': '"production"' },
      esbuild: { jsxDev: false },
      server: {
        host: '127.0.0.1',
        port,
        strictPort: true,
        hmr: false,
        watch: null,
        fs: { strict: true, allow: [options.workdir, options.engineDir, modulesDir, options.cacheDir] },
      },
      optimizeDeps: {
        // As in the preview server: the page's dependencies pre-bundled, no scan for more.
        noDiscovery: true,
        esbuildOptions: { define: { 'process.env.NODE_ENV': '"production"' } },
        include: ['react', 'react-dom', 'react-dom/client', 'react/jsx-runtime', 'react/jsx-dev-runtime', 'remotion', '@remotion/studio/renderEntry'],
      },
    });
    await server.listen();
    const address = server.httpServer?.address() as AddressInfo | null;
    if (!address) {
      await server.close();
      throw new Error('the render server has no address');
    }
    return new RenderServer(server, state, `http://127.0.0.1:${address.port}${kBase}`);
  }

  /**
   * Renders another working tree from now on (a pooled engine's `project/open`): the server is
   * the same (its root is the engine's preview folder, not the tree), its compiled modules are
   * dropped, and the tree is allowed to be served.
   */
  setWorkdir(workdir: string): void {
    this.state.workdir = workdir;
    const allow = this.server.config.server.fs.allow as string[];
    if (!allow.includes(workdir)) {
      allow.push(workdir);
    }
    this.sourcesChanged();
  }

  /**
   * Renders the project in `folder` (outside the tree, e.g. the engine's template) until called
   * with null: an idle pooled engine warms chromium and Vite with it while its tree is empty.
   */
  standIn(folder: string | null): void {
    this.state.standInRoot = folder;
    this.sourcesChanged();
  }

  /**
   * Compiles the project's modules (from the entry, every import inside the tree), so that a
   * syntax or import error comes back as Vite's message, with file and line, before a page
   * loads; the page then finds them compiled.
   */
  async compile(): Promise<void> {
    const root = projectRoot(this.state);
    const graph = this.server.environments.client.moduleGraph;
    const queue = [entryPointOf(root)];
    const seen = new Set(queue);
    while (queue.length > 0) {
      const file = queue.shift()!;
      try {
        await this.server.transformRequest(`/@fs${file}`);
      } catch (error) {
        const failure = error as { message?: string; frame?: string; id?: string };
        const where = failure.id ? path.relative(root, failure.id.split('?')[0]) : path.relative(root, file);
        throw new Error(`${where}: ${failure.message ?? String(error)}${failure.frame ? `\n${failure.frame}` : ''}`);
      }
      for (const imported of graph.getModulesByFile(file) ?? []) {
        for (const dependency of imported.importedModules) {
          const next = dependency.file;
          if (next && next.startsWith(root + path.sep) && !next.includes(`${path.sep}node_modules${path.sep}`) && !seen.has(next)) {
            seen.add(next);
            queue.push(next);
          }
        }
      }
    }
  }

  /** Drops every compiled module: the next page compiles the sources as they are on disk. */
  sourcesChanged(): void {
    this.server.environments.client.moduleGraph.invalidateAll();
  }

  async close(): Promise<void> {
    await this.server.close();
  }
}
