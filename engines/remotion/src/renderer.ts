// SPDX-License-Identifier: Apache-2.0
// Renders through @remotion/renderer with one browser kept open for the engine's life. The page
// comes from the render server (render_server.ts: Vite, modules compiled on request) when the
// engine has one, else from a webpack bundle built in a child process (webpack's memory is
// returned after each build). Either is trusted only while a fingerprint of the sources (paths
// and contents) is the one it was made for: a changed file is always seen by the next render.

import { fork } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { HeadlessBrowser, LogLevel } from '@remotion/renderer';
import type { VideoConfig } from 'remotion';
import type { BundleReply, BundleRequest } from './bundle_child.js';
import type { RenderServer } from './render_server.js';
import { RpcError, cancelledError, toolError } from './rpc_error.js';

// The renderer takes ~0.5 s to load: loaded on first use, after the engine has said hello, so
// that a start is not held up by it. webpack runs in a child process (bundle_child.ts).
const renderer = () => import('@remotion/renderer');
const kBundleChild = path.join(path.dirname(fileURLToPath(import.meta.url)), 'bundle_child.js');

/** Runs one webpack build in a child process; resolves with the bundle's directory. */
function bundleInChild(request: BundleRequest): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = fork(kBundleChild, [], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    let stderr = '';
    let answered = false;
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-8000);
    });
    child.once('message', (message: BundleReply) => {
      answered = true;
      if (message.ok) {
        resolve(message.serveUrl);
      } else {
        const error = new Error(message.message);
        error.stack = message.stack ?? message.message;
        reject(error);
      }
    });
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      if (!answered) {
        reject(new Error(`the bundler exited (${signal ?? code}) without a result${stderr ? `: ${stderr}` : ''}`));
      }
    });
    child.send(request);
  });
}

/** Files that never change what a bundle contains. */
const kNotSources = new Set(['node_modules', '.git', 'renders', '.atelier', 'out']);
const kEntryPoints = ['src/index.ts', 'src/index.tsx', 'src/index.js', 'src/index.jsx'];

export type CompositionInfo = { id: string; durationInFrames: number; fps: number; width: number; height: number };

export type RendererOptions = {
  browserExecutable: string;
  scratchDir: string;
  logLevel: LogLevel;
  /** Called whenever the compositions of a new bundle have been evaluated. */
  onCompositions?: (compositions: CompositionInfo[]) => void;
  /**
   * A project an idle engine renders once while its tree has no sources (the template), so that
   * chromium and the render server have done their first page before the first real call.
   */
  warmUpProject?: string;
};

export type VideoProgress = { done: number; total: number; encoded: number; progress: number; stage: string };

// Files up to this size are fingerprinted by content; larger ones (videos in public/) by size and mtime.
const kHashedSize = 1 << 20;

/**
 * A fingerprint of the project's sources: changes whenever a file is added, removed or changed
 * (its content, or for a large file its size or mtime).
 */
export function sourceFingerprint(workdir: string): string {
  const hash = crypto.createHash('sha1');
  const visit = (directory: string, prefix: string) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(directory, { withFileTypes: true });
    } catch {
      return;
    }
    entries.sort((a, b) => a.name.localeCompare(b.name));
    for (const entry of entries) {
      if (prefix === '' ? kNotSources.has(entry.name) : entry.name === 'node_modules') {
        continue;
      }
      const absolute = path.join(directory, entry.name);
      if (entry.isDirectory()) {
        visit(absolute, `${prefix}${entry.name}/`);
      } else if (entry.isFile()) {
        const stat = fs.statSync(absolute);
        hash.update(`${prefix}${entry.name}\0${stat.size}\0`);
        if (stat.size <= kHashedSize) {
          hash.update(fs.readFileSync(absolute));
        } else {
          hash.update(String(stat.mtimeMs));
        }
        hash.update('\n');
      }
    }
  };
  visit(workdir, '');
  return hash.digest('hex');
}

export function entryPointOf(workdir: string): string {
  for (const candidate of kEntryPoints) {
    if (fs.existsSync(path.join(workdir, candidate))) {
      return path.join(workdir, candidate);
    }
  }
  throw toolError(`no entry point: the project needs ${kEntryPoints[0]} calling registerRoot()`);
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    return error.stack && !error.stack.startsWith(error.message) ? `${error.message}\n${error.stack}` : (error.stack ?? error.message);
  }
  return String(error);
}

function isCancellation(error: unknown): boolean {
  return error instanceof Error && /cancel/i.test(error.message);
}

type Bundled = { fingerprint: string; serveUrl: string; directory: string; compositions: VideoConfig[] | null };

export class Renderer {
  private browser: Promise<HeadlessBrowser> | null = null;
  /** Where pages come from: the render server, or null (webpack bundles). */
  private server: Promise<RenderServer | null> = Promise.resolve(null);
  private bundled: Bundled | null = null;
  private bundleCount = 0;
  private queue: Promise<unknown> = Promise.resolve();
  private workdir = '';
  /** The compositions of the last bundle evaluated (possibly older than the sources). */
  known: CompositionInfo[] | null = null;

  constructor(private readonly options: RendererOptions) {
    fs.mkdirSync(options.scratchDir, { recursive: true });
  }

  /** A new working tree: the next render bundles again. */
  setWorkdir(workdir: string): void {
    this.workdir = workdir;
    this.bundled = null;
    this.known = null;
  }

  /** Renders from `server` once it has started (null: from webpack bundles); calls wait for it. */
  useServer(server: Promise<RenderServer | null>): void {
    this.server = server;
    this.bundled = null;
  }

  /** Starts the browser now (warm-up), so that the first render does not pay for it. */
  warmUp(): Promise<unknown> {
    return this.ensureBrowser();
  }

  private ensureBrowser(): Promise<HeadlessBrowser> {
    if (!this.browser) {
      this.browser = renderer().then(({ openBrowser }) => openBrowser('chrome', {
        browserExecutable: this.options.browserExecutable,
        logLevel: this.options.logLevel,
        // Chromium's own GL choice: stills measured ~0.43 s against ~0.65 s with 'swangle'.
        chromiumOptions: {},
      }));
      const opened = this.browser;
      opened.then(
        (browser) => {
          // A browser that goes away (closed, crashed) is opened again by the next render.
          const forget = () => {
            if (this.browser === opened) {
              this.browser = null;
            }
          };
          browser.once('closed', forget);
          browser.once('closed-silent', forget);
        },
        () => {
          if (this.browser === opened) {
            this.browser = null;
          }
        },
      );
    }
    return this.browser;
  }

  /** After a failed render: if the browser itself is gone, forget it so the next call relaunches it. */
  private async checkBrowser(error: unknown): Promise<void> {
    const message = error instanceof Error ? error.message : String(error);
    if (this.browser && /target closed|session closed|browser has disconnected|crashed|websocket is not open/i.test(message)) {
      const gone = this.browser;
      this.browser = null;
      await gone.then((browser) => browser.close({ silent: true })).catch(() => undefined);
    }
  }

  /** Runs `work` once the renders queued before it have finished (e.g. replacing the render server). */
  afterRenders<T>(work: () => Promise<T>): Promise<T> {
    return this.exclusive(work);
  }

  /** Runs `work` after everything queued before it: one render at a time in the one browser. */
  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work, work);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async currentBundle(): Promise<Bundled> {
    if (!this.workdir) {
      throw toolError('no project is open');
    }
    const fingerprint = sourceFingerprint(this.workdir);
    if (this.bundled && this.bundled.fingerprint === fingerprint) {
      return this.bundled;
    }
    const server = await this.server;
    if (server) {
      entryPointOf(this.workdir);
      server.sourcesChanged();
      try {
        await server.compile();
      } catch (error) {
        throw toolError(`the project does not build:\n${error instanceof Error ? error.message : String(error)}`);
      }
      this.bundled = { fingerprint, serveUrl: server.serveUrl, directory: '', compositions: null };
      return this.bundled;
    }
    const directory = path.join(this.options.scratchDir, `bundle-${++this.bundleCount}`);
    const publicDir = path.join(this.workdir, 'public');
    let serveUrl: string;
    try {
      serveUrl = await bundleInChild({
        entryPoint: entryPointOf(this.workdir),
        rootDir: this.workdir,
        outDir: directory,
        publicDir: fs.existsSync(publicDir) ? publicDir : null,
      });
    } catch (error) {
      fs.rmSync(directory, { recursive: true, force: true });
      throw toolError(`the project does not build:\n${describe(error)}`);
    }
    const previous = this.bundled;
    this.bundled = { fingerprint, serveUrl, directory, compositions: null };
    if (previous?.directory) {
      // Renders are serialised, so no render still reads the previous bundle.
      fs.rmSync(previous.directory, { recursive: true, force: true });
    }
    return this.bundled;
  }

  private async compositionsOf(bundled: Bundled): Promise<VideoConfig[]> {
    if (!bundled.compositions) {
      try {
        const { getCompositions } = await renderer();
        bundled.compositions = await getCompositions(bundled.serveUrl, {
          puppeteerInstance: await this.ensureBrowser(),
          logLevel: this.options.logLevel,
        });
        this.known = bundled.compositions.map(({ id, durationInFrames, fps, width, height }) => ({ id, durationInFrames, fps, width, height }));
        this.options.onCompositions?.(this.known);
      } catch (error) {
        await this.checkBrowser(error);
        throw toolError(`the compositions could not be evaluated:\n${describe(error)}`);
      }
    }
    return bundled.compositions;
  }

  private pick(compositions: VideoConfig[], id: string | undefined): VideoConfig {
    if (compositions.length === 0) {
      throw toolError('the project has no <Composition>; add one in the root component');
    }
    if (!id) {
      return compositions[0];
    }
    const found = compositions.find((composition) => composition.id === id);
    if (!found) {
      throw toolError(`no composition "${id}" (there are: ${compositions.map((c) => c.id).join(', ')})`);
    }
    return found;
  }

  /**
   * Bundles the project and evaluates its compositions in the background, so that the first
   * tool call after a project is opened does not wait for webpack. Failures are left for that
   * call to report.
   */
  prepare(): void {
    const workdir = this.workdir;
    void this.exclusive(async () => {
      if (this.workdir !== workdir) {
        return;
      }
      if (fs.existsSync(path.join(workdir, 'src'))) {
        await this.compositionsOf(await this.currentBundle());
      } else {
        const server = await this.server;
        if (server && this.options.warmUpProject && this.workdir === workdir) {
          await this.warmUpOn(server, this.options.warmUpProject);
        }
      }
    }).catch(() => undefined);
  }

  /**
   * Evaluates `project` (not the tree), renders its frame 0 and a two-frame video (the encoder's
   * first start), then forgets it.
   */
  private async warmUpOn(server: RenderServer, project: string): Promise<void> {
    const output = path.join(this.options.scratchDir, `warm-up-${process.pid}.png`);
    const video = path.join(this.options.scratchDir, `warm-up-${process.pid}.mp4`);
    try {
      server.standIn(project);
      await server.compile();
      const { getCompositions, renderMedia, renderStill } = await renderer();
      const puppeteerInstance = await this.ensureBrowser();
      const [composition] = await getCompositions(server.serveUrl, { puppeteerInstance, logLevel: this.options.logLevel });
      if (composition) {
        const common = { composition, serveUrl: server.serveUrl, puppeteerInstance, logLevel: this.options.logLevel, overwrite: true };
        await renderStill({ ...common, output, frame: 0 });
        await renderMedia({ ...common, codec: 'h264', outputLocation: video, frameRange: [0, Math.min(1, composition.durationInFrames - 1)] });
      }
    } finally {
      fs.rmSync(output, { force: true });
      fs.rmSync(video, { force: true });
      server.standIn(null);
      this.bundled = null;
    }
  }

  listCompositions(): Promise<CompositionInfo[]> {
    return this.exclusive(async () => {
      const compositions = await this.compositionsOf(await this.currentBundle());
      return compositions.map(({ id, durationInFrames, fps, width, height }) => ({ id, durationInFrames, fps, width, height }));
    });
  }

  /** One frame as PNG bytes. */
  still(args: { composition?: string; frame?: number; scale?: number }): Promise<{ png: Buffer; composition: CompositionInfo; frame: number }> {
    return this.exclusive(async () => {
      const bundled = await this.currentBundle();
      const composition = this.pick(await this.compositionsOf(bundled), args.composition);
      const frame = args.frame ?? 0;
      if (frame < 0 || frame >= composition.durationInFrames) {
        throw toolError(`frame ${frame} is outside "${composition.id}" (frames 0-${composition.durationInFrames - 1})`);
      }
      const output = path.join(this.options.scratchDir, `still-${process.pid}-${Date.now()}.png`);
      try {
        const { renderStill } = await renderer();
        await renderStill({
          composition,
          serveUrl: bundled.serveUrl,
          output,
          frame,
          imageFormat: 'png',
          scale: args.scale ?? 1,
          puppeteerInstance: await this.ensureBrowser(),
          logLevel: this.options.logLevel,
          overwrite: true,
        });
        const png = fs.readFileSync(output);
        const { id, durationInFrames, fps, width, height } = composition;
        return { png, composition: { id, durationInFrames, fps, width, height }, frame };
      } catch (error) {
        if (error instanceof RpcError) {
          throw error;
        }
        await this.checkBrowser(error);
        throw toolError(`frame ${frame} of "${composition.id}" failed to render:\n${describe(error)}`);
      } finally {
        fs.rmSync(output, { force: true });
      }
    });
  }

  /**
   * Renders a composition to `outputFor(id)` (an absolute path). The file appears only when the render
   * succeeded: frames are encoded into a hidden temporary file beside it, renamed at the end.
   */
  video(args: {
    composition?: string;
    outputFor: (compositionId: string) => string;
    signal: AbortSignal;
    onProgress: (progress: VideoProgress) => void;
  }): Promise<{ composition: CompositionInfo; frames: number; bytes: number }> {
    return this.exclusive(async () => {
      if (args.signal.aborted) {
        throw cancelledError();
      }
      const bundled = await this.currentBundle();
      const composition = this.pick(await this.compositionsOf(bundled), args.composition);
      const output = args.outputFor(composition.id);
      fs.mkdirSync(path.dirname(output), { recursive: true });
      const temporary = path.join(path.dirname(output), `.${path.basename(output)}.${process.pid}-${Date.now()}.partial.mp4`);
      const { makeCancelSignal, renderMedia } = await renderer();
      const { cancelSignal, cancel } = makeCancelSignal();
      const onAbort = () => cancel();
      args.signal.addEventListener('abort', onAbort);
      try {
        await renderMedia({
          composition,
          serveUrl: bundled.serveUrl,
          codec: 'h264',
          outputLocation: temporary,
          overwrite: true,
          puppeteerInstance: await this.ensureBrowser(),
          logLevel: this.options.logLevel,
          cancelSignal,
          onProgress: (progress) =>
            args.onProgress({
              done: progress.renderedFrames,
              encoded: progress.encodedFrames,
              total: composition.durationInFrames,
              progress: progress.progress,
              stage: progress.stitchStage,
            }),
        });
        if (args.signal.aborted) {
          throw cancelledError();
        }
        fs.renameSync(temporary, output);
      } catch (error) {
        fs.rmSync(temporary, { force: true });
        if (args.signal.aborted || isCancellation(error)) {
          throw cancelledError();
        }
        await this.checkBrowser(error);
        throw toolError(`"${composition.id}" failed to render:\n${describe(error)}`);
      } finally {
        args.signal.removeEventListener('abort', onAbort);
      }
      const { id, durationInFrames, fps, width, height } = composition;
      return {
        composition: { id, durationInFrames, fps, width, height },
        frames: durationInFrames,
        bytes: fs.statSync(output).size,
      };
    });
  }

  async close(): Promise<void> {
    const browser = this.browser;
    this.browser = null;
    if (browser) {
      try {
        await (await browser).close({ silent: true });
      } catch {
        // already gone
      }
    }
    fs.rmSync(this.options.scratchDir, { recursive: true, force: true });
  }
}
