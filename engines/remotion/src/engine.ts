// SPDX-License-Identifier: Apache-2.0
// The Remotion engine: one project working tree, its tools, renders and the preview server,
// driven by the hub over the engine protocol (docs/protocol.md, engines/remotion/README.md).

import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { deleteFile, editFile, listFiles, readFile, writeFile, type FileContext } from './file_tools.js';
import { HubLink } from './hub_link.js';
import { PreviewServer } from './preview_server.js';
import { RenderServer } from './render_server.js';
import { Renderer } from './renderer.js';
import { RpcCode, RpcError, toolError } from './rpc_error.js';
import type { ToolResult } from './tool_result.js';
import { textResult } from './tool_result.js';
import { typecheck } from './typecheck.js';
import { freshEsbuild, kPoolWarmUpDelayMs, removeStaleScratch, WarmUpGate } from './warm_up.js';

export { removeStaleScratch };

export const kEngineVersion = '0.1.0';
export const kRemotionVersion = '4.0.529';

export type EngineOptions = {
  hubUrl: string;
  /** ATELIER_HUB_SOCKET: connect over this Unix socket instead of TCP (may be empty). */
  hubSocket: string;
  token: string;
  sessionId: string;
  workdir: string;
  /** engines/remotion: manifests, instructions, the shared node_modules, the preview page. */
  engineDir: string;
  browserExecutable: string;
  /** Start the preview server when bound to a session (off: tests of the tools alone). */
  preview: boolean;
  log: (message: string) => void;
};

type ToolHandler = (args: Record<string, unknown>, callId: string) => Promise<ToolResult>;


/** project/open: how long the render side waits for the preview's first frame before it compiles. */
const kPrepareDelayMs = 3000;

/** Tools that change the working tree (manifest `mutates` not false). */
const kChangesTheProject = new Set(['write_file', 'edit_file', 'delete_file']);

/** Pooled engines are launched for an owner "pool-<uuid>", not for a session. */
export function isSessionId(id: string): boolean {
  return id !== '' && !id.startsWith('pool-');
}

export class RemotionEngine {
  readonly link: HubLink;
  private workdir = '';
  private sessionId = '';
  private readonly renderer: Renderer;
  private preview: PreviewServer | null = null;
  /** What renders come from (render_server.ts); null when it failed to start or is turned off. */
  private renderServer: Promise<RenderServer | null> = Promise.resolve(null);
  private renderServerStarted = false;
  /** A pooled engine warming the preview up (PreviewServer.warmUp); the first preview waits for it. */
  private previewWarmUp: Promise<void> = Promise.resolve();
  /** When the heavy warm-up may start (warm_up.ts): at once for a session, later for the pool. */
  private readonly gate = new WarmUpGate();
  private readonly warmUpGate = this.gate.opened;
  private readonly running = new Map<string, AbortController>();
  private readonly tools: Map<string, ToolHandler>;
  private readonly scratchDir: string;
  private shuttingDown = false;
  /** Resolves when the engine has stopped (after engine/shutdown or the hub going away). */
  readonly stopped: Promise<number>;
  private stop!: (code: number) => void;

  constructor(private readonly options: EngineOptions) {
    this.link = new HubLink(options.hubUrl, options.hubSocket);
    removeStaleScratch();
    this.scratchDir = fs.mkdtempSync(path.join(os.tmpdir(), `atelier-remotion-${process.pid}-`));
    this.renderer = new Renderer({
      browserExecutable: options.browserExecutable,
      scratchDir: path.join(this.scratchDir, 'render'),
      logLevel: 'error',
      onCompositions: () => this.sendScene(),
      warmUpProject: path.join(options.engineDir, 'template'),
    });
    this.tools = this.toolTable();
    this.stopped = new Promise((resolve) => (this.stop = resolve));
  }

  get sharedModules(): string {
    return path.join(this.options.engineDir, 'node_modules');
  }

  manifests(): unknown[] {
    const directory = path.join(this.options.engineDir, 'manifests');
    return fs
      .readdirSync(directory)
      .filter((name) => name.endsWith('.json'))
      .sort()
      .map((name) => JSON.parse(fs.readFileSync(path.join(directory, name), 'utf8')));
  }

  instructions(): string {
    return fs.readFileSync(path.join(this.options.engineDir, 'instructions.md'), 'utf8');
  }

  /** Connects, says hello, declares the tools; binds the working tree and starts the preview. */
  async start(): Promise<void> {
    this.link.onRequest = (method, params) => this.request(method, params);
    this.link.onNotification = (method, params) => {
      if (method === '$/cancel') {
        this.cancel(String(params.call_id ?? ''));
      } else if (method === 'engine/shutdown') {
        void this.shutdown(0);
      } else if (method === 'project/files_changed') {
        this.filesChanged(params.paths);
      }
    };
    this.link.onClose = () => void this.shutdown(this.shuttingDown ? 0 : 4);
    await this.link.connect();
    try {
      await this.link.request('engine/hello', {
        token: this.options.token,
        kind: 'remotion',
        version: kEngineVersion,
        protocol: 1,
        instructions: this.instructions(),
        remotion_version: kRemotionVersion,
        // What the studio's top bar shows: the application this engine drives, not the adapter.
        app: { name: 'Remotion', version: kRemotionVersion },
        session_id: this.options.sessionId,
      });
    } catch (error) {
      this.options.log(`engine/hello refused: ${error instanceof Error ? error.message : String(error)}`);
      await this.shutdown(3);
      return;
    }
    // The tree is ready (node_modules linked) before the hub can call a tool.
    this.bindWorkdir(this.options.workdir);
    this.link.notify('tools/update', { addons: this.manifests() });
    this.sendScene();
    if (isSessionId(this.options.sessionId)) {
      this.sessionId = this.options.sessionId;
      await this.startPreview();
    }
    // The browser starts and the modules load while the engine idles, so the first render (and a
    // pooled engine's first preview) does not wait for them. A pooled engine starts that work
    // kPoolWarmUpDelayMs after its hello, or at project/open if sooner (see warmUpGate).
    if (isSessionId(this.options.sessionId)) {
      this.gate.open();
    } else {
      this.gate.openAfter(kPoolWarmUpDelayMs);
    }
    if (this.options.preview) {
      void this.warmUpGate.then(() => !this.shuttingDown && PreviewServer.preload());
      if (!isSessionId(this.options.sessionId)) {
        this.previewWarmUp = this.warmUpGate
          .then(() =>
            this.shuttingDown ? undefined : PreviewServer.warmUp({
              // The page needs a project's entry point to compile: the template stands in for the tree.
              workdir: path.join(this.options.engineDir, 'template'),
              engineDir: this.options.engineDir,
              cacheDir: path.join(this.scratchDir, 'vite'),
            }),
          )
          .catch((error: unknown) => this.options.log(`the preview's warm-up failed: ${String(error)}`));
      }
    }
    this.warmUpGate
      .then(() => (this.shuttingDown ? undefined : this.renderer.warmUp()))
      .catch((error: unknown) => this.options.log(`browser warm-up failed: ${String(error)}`));
    if (!isSessionId(this.options.sessionId)) {
      const rendered = this.warmUpGate.then(() => this.renderer.afterRenders(async () => undefined));
      void Promise.all([this.previewWarmUp, rendered]).then(async () => {
        // Not once a project is open: a compile in flight would fail when its service stops.
        if (!this.sessionId && !this.shuttingDown) {
          await freshEsbuild(this.options.engineDir).catch((error: unknown) => this.options.log(`esbuild restart failed: ${String(error)}`));
        }
      });
    }
  }

  /**
   * The working tree resolves the shared dependencies through a node_modules link. `prepare`:
   * compile the project for rendering and evaluate its compositions now, in the background
   * (project/open defers that until the preview has shown its first frame, see open()).
   */
  private bindWorkdir(workdir: string, prepare = true): void {
    const previous = this.workdir;
    this.workdir = fs.realpathSync(workdir);
    const link = path.join(this.workdir, 'node_modules');
    let stat: fs.Stats | null = null;
    try {
      stat = fs.lstatSync(link);
    } catch {
      stat = null;
    }
    if (stat?.isSymbolicLink() && fs.readlinkSync(link) !== this.sharedModules) {
      fs.unlinkSync(link);
      stat = null;
    }
    if (!stat) {
      fs.symlinkSync(this.sharedModules, link, 'dir');
    }
    process.chdir(this.workdir);
    this.renderer.setWorkdir(this.workdir);
    if (this.workdir !== previous) {
      this.renderTree();
    }
    if (prepare) {
      this.renderer.prepare();
    }
  }

  /**
   * Renders come from the current tree: the running render server takes it over (a pooled
   * engine's project/open: no second Vite server to start while the preview's first page loads),
   * or one is started.
   */
  private renderTree(): void {
    if (!this.renderServerStarted) {
      this.renderServerStarted = true;
      this.startRenderServer();
      return;
    }
    const workdir = this.workdir;
    const current = this.renderServer;
    // In the render queue: a render of the previous tree finishes first, later ones see this tree.
    void this.renderer.afterRenders(async () => {
      const server = await current;
      if (server) {
        server.setWorkdir(workdir);
      } else {
        this.startRenderServer();
      }
    });
  }

  /**
   * A render server for the current tree (Vite's root), replacing the previous one; the renderer
   * waits for it. ATELIER_REMOTION_RENDER_FROM=bundle renders from webpack bundles instead (the
   * benchmark's before, and the fallback when the server does not start).
   */
  private startRenderServer(): void {
    const previous = this.renderServer;
    const workdir = this.workdir;
    // The previous server closes once the renders queued so far are done (the one running holds
    // its URL). The new one is not started in that queue: a queued render waits for it.
    void this.renderer.afterRenders(async () => {
      await (await previous)?.close().catch(() => undefined);
    });
    this.renderServer = (async () => {
      await this.warmUpGate;
      if (process.env.ATELIER_REMOTION_RENDER_FROM === 'bundle' || this.shuttingDown) {
        return null;
      }
      try {
        return await RenderServer.start({ workdir, engineDir: this.options.engineDir, cacheDir: path.join(this.scratchDir, 'render-vite') });
      } catch (error) {
        this.options.log(`the render server did not start, rendering from webpack bundles: ${error instanceof Error ? error.message : String(error)}`);
        return null;
      }
    })();
    this.renderer.useServer(this.renderServer);
  }

  private async startPreview(): Promise<void> {
    if (!this.options.preview) {
      return;
    }
    const previous = this.preview;
    this.preview = null;
    await previous?.close();
    await this.previewWarmUp;
    try {
      const server = await PreviewServer.start({
        workdir: this.workdir,
        sessionId: this.sessionId,
        engineDir: this.options.engineDir,
        cacheDir: path.join(this.scratchDir, 'vite'),
        onError: (error) => this.link.notify('preview/error', error),
      });
      this.preview = server;
      this.link.notify('preview/ready', { port: server.port, path: server.basePath });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.options.log(`the preview server did not start: ${message}`);
      this.link.notify('preview/error', { message: `the preview server did not start: ${message}` });
    }
  }

  /**
   * The compact picture of the project the agent's system prompt carries (scene/changed): the
   * files, the compositions as last evaluated, the rendered videos.
   */
  sceneSummary(): Record<string, unknown> {
    if (!this.workdir) {
      return { project: null };
    }
    const files = (listFiles(this.fileContext(), {}).data as { files: Array<{ path: string }> }).files
      .map((file) => file.path)
      .filter((file) => !file.startsWith('renders/'));
    const rendersDir = path.join(this.workdir, 'renders');
    const renders = fs.existsSync(rendersDir)
      ? fs.readdirSync(rendersDir).filter((file) => !file.startsWith('.')).map((file) => `renders/${file}`)
      : [];
    return {
      files: files.slice(0, 200),
      more_files: Math.max(0, files.length - 200),
      compositions: this.renderer.known,
      renders,
    };
  }

  private sendScene(): void {
    try {
      this.link.notify('scene/changed', { summary: this.sceneSummary() });
    } catch (error) {
      this.options.log(`scene summary failed: ${String(error)}`);
    }
  }

  private cancel(callId: string): void {
    this.running.get(callId)?.abort();
  }

  async shutdown(code: number): Promise<void> {
    if (this.shuttingDown) {
      return;
    }
    this.shuttingDown = true;
    // Whatever waited for the warm-up sees the shutdown and starts nothing.
    this.gate.open();
    for (const [, controller] of this.running) {
      controller.abort();
    }
    await Promise.allSettled([this.preview?.close(), this.renderer.close(), this.renderServer.then((server) => server?.close())]);
    fs.rmSync(this.scratchDir, { recursive: true, force: true });
    this.link.close();
    this.stop(code);
  }

  /**
   * The hub put files into the working tree (an upload, an import): the preview picks them up.
   * Sources reload through Vite's watcher; assets in public/ (staticFile) are not modules, so the
   * page reloads to fetch them again.
   */
  private filesChanged(paths: unknown): void {
    if (!this.workdir || !this.preview || !Array.isArray(paths)) {
      return;
    }
    let assets = false;
    for (const relative of paths) {
      if (typeof relative !== 'string') {
        continue;
      }
      const parts = relative.split(/[\\/]/).filter((part) => part && part !== '.' && part !== '..');
      const file = path.join(this.workdir, ...parts);
      this.preview.fileChanged(file, !fs.existsSync(file));
      assets ||= parts[0] === 'public';
    }
    if (assets) {
      this.preview.reloadPage();
    }
    const summary = this.sceneSummary();
    this.link.notify('scene/changed', { summary });
  }

  private async request(method: string, params: Record<string, unknown>): Promise<unknown> {
    switch (method) {
      case 'tools/call':
        return this.call(params);
      case '$/cancel':
        this.cancel(String(params.call_id ?? ''));
        return {};
      case 'project/save':
        // Tools write straight into the working tree: there is nothing held in memory to save.
        return { files: [], ms: 0 };
      case 'project/open':
        return this.open(params);
      case 'engine/ping':
        return { pong: true };
      case 'engine/shutdown':
        setImmediate(() => void this.shutdown(0));
        return {};
      default:
        throw new RpcError(RpcCode.MethodNotFound, `unknown method ${method}`);
    }
  }

  private async open(params: Record<string, unknown>): Promise<unknown> {
    const started = Date.now();
    const workdir = typeof params.workdir === 'string' ? params.workdir : '';
    if (!workdir || !fs.existsSync(workdir) || !fs.statSync(workdir).isDirectory()) {
      throw new RpcError(RpcCode.InvalidParams, `project/open: '${workdir}' is not a directory`);
    }
    this.gate.open();
    const sessionId = typeof params.session_id === 'string' ? params.session_id : '';
    const sameTree = fs.realpathSync(workdir) === this.workdir;
    this.bindWorkdir(workdir, false);
    const sessionChanged = isSessionId(sessionId) && sessionId !== this.sessionId;
    if (isSessionId(sessionId)) {
      this.sessionId = sessionId;
    }
    // A restore reopens the same tree: Vite sees the files change and hot-reloads by itself, but
    // the preview is announced again so that whoever listens learns the port either way.
    if (sessionChanged || !sameTree || !this.preview) {
      if (this.sessionId) {
        await this.startPreview();
      }
    } else if (this.preview) {
      this.link.notify('preview/ready', { port: this.preview.port, path: this.preview.basePath });
    }
    setImmediate(() => this.sendScene());
    this.prepareAfterFirstFrame();
    return { workdir: this.workdir, opened: fs.existsSync(path.join(this.workdir, 'src')) ? 'src' : null, ms: Date.now() - started };
  }

  /**
   * Compiles the opened project for rendering and evaluates its compositions (which loads a page
   * in the render browser) once the preview has shown its first frame, or after
   * kPrepareDelayMs when no page comes: on two cores that work slowed the player's first page by
   * as much as it took. A tool call does not wait for this: it compiles what it needs itself.
   */
  private prepareAfterFirstFrame(): void {
    const workdir = this.workdir;
    const shown = this.preview?.firstFrameShown ?? Promise.resolve();
    let timer: NodeJS.Timeout | undefined;
    const delay = new Promise<void>((resolve) => (timer = setTimeout(resolve, kPrepareDelayMs)));
    void Promise.race([shown, delay]).then(() => {
      clearTimeout(timer);
      if (this.workdir === workdir && !this.shuttingDown) {
        this.renderer.prepare();
      }
    });
  }

  private async call(params: Record<string, unknown>): Promise<ToolResult> {
    const tool = String(params.tool ?? '');
    const name = typeof params.name === 'string' ? params.name : tool.split('__').pop() ?? '';
    const handler = this.tools.get(tool) ?? this.tools.get(name);
    if (!handler) {
      throw new RpcError(RpcCode.UnknownTool, `unknown tool ${tool}`, { tools: [...this.tools.keys()].filter((t) => t.includes('__')) });
    }
    if (!this.workdir) {
      throw toolError('no project is open');
    }
    const callId = String(params.call_id ?? '');
    const args = (params.arguments ?? {}) as Record<string, unknown>;
    const result = await handler(args, callId);
    if (kChangesTheProject.has(name) && this.preview && typeof args.path === 'string') {
      const file = path.join(this.workdir, ...args.path.split(/[\\/]/).filter((part) => part && part !== '.'));
      this.preview.fileChanged(file, name === 'delete_file');
    }
    if (kChangesTheProject.has(name) || name === 'render_video') {
      // As the Blender engine does: the result carries the new summary, then scene/changed.
      const summary = this.sceneSummary();
      setImmediate(() => this.link.notify('scene/changed', { summary }));
      return { ...result, scene: summary };
    }
    return result;
  }

  private fileContext(): FileContext {
    return { workdir: this.workdir, sharedModules: this.sharedModules };
  }

  private toolTable(): Map<string, ToolHandler> {
    const table = new Map<string, ToolHandler>();
    const add = (addon: string, name: string, handler: ToolHandler) => {
      table.set(`${addon}__${name}`, handler);
    };
    add('files', 'list_files', async (args) => listFiles(this.fileContext(), args as { path?: string; recursive?: boolean }));
    add('files', 'read_file', async (args) =>
      readFile(this.fileContext(), args as { path: string; start_line?: number; end_line?: number }),
    );
    add('files', 'write_file', async (args) => writeFile(this.fileContext(), args as { path: string; content: string }));
    add('files', 'edit_file', async (args) =>
      editFile(this.fileContext(), args as { path: string; old_text: string; new_text: string }),
    );
    add('files', 'delete_file', async (args) => deleteFile(this.fileContext(), args as { path: string }));
    add('remotion', 'typecheck', async (_args, callId) => this.withCancel(callId, (signal) =>
      typecheck(this.workdir, path.join(this.sharedModules, 'typescript', 'bin', 'tsc'), this.typecheckState(), signal),
    ));
    add('remotion', 'list_compositions', async () => {
      const compositions = await this.renderer.listCompositions();
      const lines = compositions.map(
        (c) => `${c.id}: ${c.durationInFrames} frames at ${c.fps} fps (${(c.durationInFrames / c.fps).toFixed(2)} s), ${c.width}x${c.height}`,
      );
      return { ...textResult(lines.join('\n') || 'no compositions'), data: { compositions } };
    });
    add('remotion', 'render_still', async (args) => {
      const started = Date.now();
      const still = await this.renderer.still({
        composition: args.composition as string | undefined,
        frame: args.frame as number | undefined,
        scale: args.scale as number | undefined,
      });
      const scale = (args.scale as number | undefined) ?? 1;
      const width = Math.round(still.composition.width * scale);
      const height = Math.round(still.composition.height * scale);
      return {
        content: [
          { type: 'image', mimeType: 'image/png', data: still.png.toString('base64') },
          { type: 'text', text: `frame ${still.frame} of ${still.composition.id} (${width}x${height})` },
        ],
        data: { composition: still.composition.id, frame: still.frame, width, height, ms: Date.now() - started },
      };
    });
    add('remotion', 'render_video', async (args, callId) => this.renderVideo(args, callId));
    add('remotion', 'project_info', async () => this.projectInfo());
    return table;
  }

  /** tsc's incremental state for the current tree, in the engine's scratch directory. */
  private typecheckState(): string {
    const key = crypto.createHash('sha1').update(this.workdir).digest('hex').slice(0, 12);
    return path.join(this.scratchDir, `tsc-${key}.tsbuildinfo`);
  }

  private async withCancel<T>(callId: string, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const controller = new AbortController();
    if (callId) {
      this.running.set(callId, controller);
    }
    try {
      return await work(controller.signal);
    } finally {
      if (callId) {
        this.running.delete(callId);
      }
    }
  }

  private async renderVideo(args: Record<string, unknown>, callId: string): Promise<ToolResult> {
    const started = Date.now();
    let name = typeof args.output === 'string' && args.output !== '' ? args.output : '';
    if (name && !/^[A-Za-z0-9][A-Za-z0-9._-]{0,120}$/.test(name)) {
      throw toolError(`output "${name}": give a plain file name (letters, digits, '.', '_', '-'), e.g. intro.mp4`);
    }
    return this.withCancel(callId, async (signal) => {
      let lastSent = 0;
      let lastDone = -1;
      const result = await this.renderer.video({
        composition: args.composition as string | undefined,
        outputFor: (compositionId: string) => {
          if (!name) {
            name = `${compositionId}.mp4`;
          }
          if (!name.toLowerCase().endsWith('.mp4')) {
            name += '.mp4';
          }
          return path.join(this.workdir, 'renders', name);
        },
        signal,
        onProgress: (progress) => {
          const now = Date.now();
          const finished = progress.done === progress.total && progress.encoded === progress.total;
          if (progress.done === lastDone && !finished) {
            return;
          }
          if (now - lastSent < 250 && !finished) {
            return;
          }
          lastSent = now;
          lastDone = progress.done;
          this.link.notify('render/progress', {
            call_id: callId,
            done: progress.done,
            total: progress.total,
            encoded: progress.encoded,
            progress: progress.progress,
            stage: progress.stage,
            output: `renders/${name}`,
          });
        },
      });
      const seconds = (Date.now() - started) / 1000;
      const relative = `renders/${name}`;
      return {
        ...textResult(
          `rendered ${result.composition.id} to ${relative}: ${result.frames} frames, ` +
            `${result.composition.width}x${result.composition.height}, ${(result.bytes / 1e6).toFixed(2)} MB in ${seconds.toFixed(1)} s`,
        ),
        data: { path: relative, composition: result.composition.id, frames: result.frames, bytes: result.bytes, seconds },
      };
    });
  }

  private projectInfo(): ToolResult {
    let packageJson: Record<string, unknown> = {};
    try {
      packageJson = JSON.parse(fs.readFileSync(path.join(this.workdir, 'package.json'), 'utf8'));
    } catch {
      packageJson = {};
    }
    const dependencies = (packageJson.dependencies ?? {}) as Record<string, string>;
    const renders = fs.existsSync(path.join(this.workdir, 'renders'))
      ? fs
          .readdirSync(path.join(this.workdir, 'renders'))
          .filter((file) => !file.startsWith('.'))
          .map((file) => `renders/${file}`)
      : [];
    const entry = ['src/index.ts', 'src/index.tsx'].find((file) => fs.existsSync(path.join(this.workdir, file))) ?? null;
    const info = {
      name: packageJson.name ?? path.basename(this.workdir),
      remotion_version: kRemotionVersion,
      project_remotion_version: dependencies.remotion ?? null,
      entry_point: entry,
      root_component: fs.existsSync(path.join(this.workdir, 'src', 'Root.tsx')) ? 'src/Root.tsx' : null,
      renders,
      preview: this.preview ? this.preview.basePath : null,
      session_id: this.sessionId || null,
    };
    const text = [
      `project ${String(info.name)} (Remotion ${kRemotionVersion})`,
      `entry point: ${entry ?? 'missing (src/index.ts calling registerRoot)'}`,
      info.root_component ? `compositions are declared in ${info.root_component}` : '',
      `renders: ${renders.length ? renders.join(', ') : 'none yet'}`,
    ]
      .filter(Boolean)
      .join('\n');
    return { ...textResult(text), data: info };
  }
}
