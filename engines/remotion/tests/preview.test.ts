// SPDX-License-Identifier: Apache-2.0
// The preview page, hit directly on the engine's Vite server (the hub's proxy is tested by the
// hub's own tests): compositions and sequences reported, edits hot-reloaded without a page
// reload, compile and render errors posted to the parent window, seek/composition messages obeyed.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import zlib from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { FakeHub, makeProject, startEngine, type EngineProcess } from './support/fake_hub.js';
import { engineDir } from './support/paths.js';
import { PrefixProxy } from './support/proxy.js';

type PreviewMessage = { source: string; type: string; [key: string]: any };

const kSession = 'sess-preview-1';

async function messages(page: Page): Promise<PreviewMessage[]> {
  return page.evaluate(() => ((window as any).__atelierMessages ?? []) as PreviewMessage[]);
}

async function waitForMessage(page: Page, what: string, predicate: (message: PreviewMessage) => boolean, after = 0): Promise<PreviewMessage> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const found = (await messages(page)).slice(after).find(predicate);
    if (found) {
      return found;
    }
    if (Date.now() > deadline) {
      throw new Error(`no ${what} message; got ${JSON.stringify((await messages(page)).slice(after)).slice(0, 2000)}`);
    }
    await page.waitForTimeout(100);
  }
}

describe('the preview page', () => {
  const hub = new FakeHub();
  let project = '';
  let engine: EngineProcess;
  let browser: Browser;
  let page: Page;
  let url = '';

  before(async () => {
    project = makeProject('remotion-preview-');
    engine = startEngine(await hub.listen(), project, kSession);
    const ready = await hub.until(() => hub.notification('preview/ready'), 'preview/ready', 60_000);
    assert.equal(ready.params.path, `/preview/${kSession}/`);
    assert.ok(Number.isInteger(ready.params.port) && ready.params.port > 0);
    url = `http://127.0.0.1:${ready.params.port}${ready.params.path}`;
    browser = await chromium.launch({ executablePath: process.env.ATELIER_CHROMIUM || '/usr/bin/chromium', args: ['--no-sandbox'] });
    page = await browser.newPage();
    page.on('pageerror', (error) => process.stderr.write(`page error: ${error.message}\n`));
  });

  after(async () => {
    await browser?.close();
    if (engine.child.exitCode === null) {
      await hub.request('engine/shutdown', {}).catch(() => undefined);
      await engine.exited;
    }
    await hub.close();
    fs.rmSync(project, { recursive: true, force: true });
  });

  it('announces the preview after tools/update, on 127.0.0.1 under /preview/<session>/', () => {
    const order = hub.notifications.map((message) => message.method);
    assert.ok(order.indexOf('tools/update') < order.indexOf('preview/ready'), order.join(', '));
  });

  it('reports the compositions and the timeline of the first composition', async () => {
    await page.goto(url);
    const ready = await waitForMessage(page, 'ready', (m) => m.type === 'ready');
    assert.equal(ready.source, 'atelier-preview');
    assert.deepEqual(ready.compositions, [{ id: 'Intro', durationInFrames: 90, fps: 30, width: 1280, height: 720 }]);
    assert.equal(ready.composition, 'Intro');
    const timeline = await waitForMessage(page, 'timeline', (m) => m.type === 'timeline' && m.sequences.length >= 3);
    assert.equal(timeline.composition, 'Intro');
    assert.equal(timeline.fps, 30);
    assert.equal(timeline.durationInFrames, 90);
    const byName = Object.fromEntries(timeline.sequences.map((s: any) => [s.name, s]));
    assert.deepEqual([byName.Title.from, byName.Title.durationInFrames], [20, 70]);
    assert.deepEqual([byName.Subtitle.from, byName.Subtitle.durationInFrames], [45, 45]);
    await page.waitForSelector('text=Hello from atelier', { timeout: 30_000, state: 'attached' }).catch(() => undefined);
  });

  it('seeks when the parent asks and reports the frame', async () => {
    const count = (await messages(page)).length;
    await page.evaluate(() => window.postMessage({ source: 'atelier-app', type: 'seek', frame: 50 }, '*'));
    await waitForMessage(page, 'frame 50', (m) => m.type === 'frame' && m.frame === 50, count);
    // At frame 50 the title is on screen.
    await page.waitForSelector('h1:has-text("Hello from atelier")', { timeout: 30_000 });
  });

  it('plays and pauses when the parent asks, reporting frames while playing', async () => {
    let count = (await messages(page)).length;
    await page.evaluate(() => window.postMessage({ source: 'atelier-app', type: 'play' }, '*'));
    await waitForMessage(page, 'a frame after 50 while playing', (m) => m.type === 'frame' && m.frame > 50, count);
    await page.evaluate(() => window.postMessage({ source: 'atelier-app', type: 'pause' }, '*'));
    count = (await messages(page)).length;
    await page.evaluate(() => window.postMessage({ source: 'atelier-app', type: 'seek', frame: 50 }, '*'));
    await waitForMessage(page, 'frame 50 after the pause', (m) => m.type === 'frame' && m.frame === 50, count);
  });

  it('shows an edit without reloading the page', async () => {
    await page.evaluate(() => ((window as any).__notReloaded = true));
    const count = (await messages(page)).length;
    await hub.call('files__edit_file', { path: 'src/Intro.tsx', old_text: "title: 'Hello from atelier'", new_text: "title: 'Edited live'" });
    await page.waitForSelector('h1:has-text("Edited live")', { timeout: 60_000 });
    assert.equal(await page.evaluate(() => (window as any).__notReloaded), true, 'the page was reloaded');
    // The timeline is reported again after the hot update.
    await waitForMessage(page, 'timeline after the update', (m) => m.type === 'timeline', count);
  });

  it('posts a compile error to the parent, and recovers when it is fixed', async () => {
    let count = (await messages(page)).length;
    await hub.call('files__edit_file', { path: 'src/Intro.tsx', old_text: 'const Logo: React.FC = () => {', new_text: 'const Logo: React.FC = () => {{' });
    const notified = hub.notifications.length;
    const error = await waitForMessage(page, 'error', (m) => m.type === 'error', count);
    assert.match(error.message + (error.stack ?? ''), /Intro\.tsx/);
    // The engine tells the hub too (preview/error), whether or not a page is open.
    const reported = await hub.until(() => hub.notification('preview/error', notified), 'preview/error', 30_000);
    assert.match(reported.params.message, /Intro\.tsx/);
    count = (await messages(page)).length;
    await hub.call('files__edit_file', { path: 'src/Intro.tsx', old_text: 'const Logo: React.FC = () => {{', new_text: 'const Logo: React.FC = () => {' });
    // The fixed module is applied: the page reports its compositions and timeline again.
    await waitForMessage(page, 'timeline after the fix', (m) => m.type === 'timeline', count);
    await page.waitForSelector('h1:has-text("Edited live")', { timeout: 60_000 });
  });

  it('posts a render error of a component to the parent with the composition', async () => {
    const count = (await messages(page)).length;
    await hub.call('files__edit_file', {
      path: 'src/Intro.tsx',
      old_text: "const Title: React.FC<{ text: string }> = ({ text }) => {\n",
      new_text: "const Title: React.FC<{ text: string }> = ({ text }) => {\n  if (text) throw new Error('title exploded');\n",
    });
    // The title renders from frame 20: once the update is in, show frame 50.
    await waitForMessage(page, 'ready after the update', (m) => m.type === 'ready', count);
    await page.evaluate(() => window.postMessage({ source: 'atelier-app', type: 'seek', frame: 50 }, '*'));
    const error = await waitForMessage(page, 'render error', (m) => m.type === 'error' && /title exploded/.test(m.message), count);
    assert.equal(error.composition, 'Intro');
    await hub.call('files__edit_file', { path: 'src/Intro.tsx', old_text: "  if (text) throw new Error('title exploded');\n", new_text: '' });
  });

  it('says ready again when a fix inside one component module clears its error', async () => {
    // A module that exports only a component is its own Fast Refresh boundary: fixing it does not
    // re-run the root, so the page must report on its own that the error is gone.
    await hub.call('files__write_file', { path: 'src/Badge.tsx', content: "export const Badge: React.FC = () => <b>badge</b>;\n" });
    await hub.call('files__edit_file', {
      path: 'src/Intro.tsx',
      old_text: '      <Sequence name="Logo" durationInFrames={90}>',
      new_text: '      <Badge />\n      <Sequence name="Logo" durationInFrames={90}>',
    });
    await hub.call('files__edit_file', { path: 'src/Intro.tsx', old_text: '} from \'remotion\';', new_text: "} from 'remotion';\nimport { Badge } from './Badge';" });
    await page.waitForSelector('b:has-text("badge")', { timeout: 60_000 });
    let count = (await messages(page)).length;
    await hub.call('files__write_file', { path: 'src/Badge.tsx', content: "export const Badge: React.FC = () => {\n  throw new Error('badge broke');\n};\n" });
    await waitForMessage(page, 'the badge error', (m) => m.type === 'error' && /badge broke/.test(m.message), count);
    count = (await messages(page)).length;
    await hub.call('files__write_file', { path: 'src/Badge.tsx', content: "export const Badge: React.FC = () => <b>badge fixed</b>;\n" });
    await waitForMessage(page, 'ready after the fix', (m) => m.type === 'ready', count);
    await page.waitForSelector('b:has-text("badge fixed")', { timeout: 60_000 });
  });

  it('reports a syntax error on first load of the page', async () => {
    const notified = hub.notifications.length;
    await hub.call('files__edit_file', { path: 'src/Root.tsx', old_text: 'export const RemotionRoot', new_text: 'export const RemotionRoot = (' });
    // Vite has seen the broken file (the open page fetched it) before the new page loads.
    await hub.until(() => hub.notification('preview/error', notified), 'preview/error', 30_000);
    const fresh = await browser.newPage();
    try {
      await fresh.goto(url);
      const error = await waitForMessage(fresh, 'error on load', (m) => m.type === 'error');
      assert.match(error.message + (error.stack ?? ''), /Root\.tsx/);
    } finally {
      await fresh.close();
      await hub.call('files__edit_file', { path: 'src/Root.tsx', old_text: 'export const RemotionRoot = (', new_text: 'export const RemotionRoot' });
    }
  });

  it('switches composition when the parent asks', async () => {
    await hub.call('files__edit_file', {
      path: 'src/Root.tsx',
      old_text: '    </>',
      new_text: '      <Composition id="Square" component={Intro} durationInFrames={30} fps={15} width={400} height={400} defaultProps={introSchemaDefaults} />\n    </>',
    });
    // A new <Composition> arrives by hot update, like any edit.
    await waitForMessage(page, 'ready with two', (m) => m.type === 'ready' && m.compositions.length === 2);
    const count = (await messages(page)).length;
    await page.evaluate(() => window.postMessage({ source: 'atelier-app', type: 'composition', id: 'Square' }, '*'));
    const ready = await waitForMessage(page, 'ready for Square', (m) => m.type === 'ready' && m.composition === 'Square', count);
    assert.equal(ready.compositions.length, 2);
    await waitForMessage(page, 'timeline of Square', (m) => m.type === 'timeline' && m.composition === 'Square' && m.fps === 15, count);
    const direct = await browser.newPage();
    try {
      await direct.goto(`${url}?composition=Square`);
      const first = await waitForMessage(direct, 'ready', (m) => m.type === 'ready');
      assert.equal(first.composition, 'Square');
    } finally {
      await direct.close();
    }
  });

  it('works behind a proxy on another port: the page and its hot reload use the page\'s own port', async () => {
    const proxy = new PrefixProxy(Number(new URL(url).port));
    const proxied = await browser.newPage();
    try {
      await proxy.listen();
      const viaProxy = `http://127.0.0.1:${proxy.port}/preview/${kSession}/`;
      const sockets: string[] = [];
      proxied.on('websocket', (socket) => sockets.push(socket.url()));
      await proxied.goto(viaProxy);
      await waitForMessage(proxied, 'ready', (m) => m.type === 'ready');
      await proxied.evaluate(() => ((window as any).__notReloaded = true));
      await proxied.evaluate(() => window.postMessage({ source: 'atelier-app', type: 'seek', frame: 50 }, '*'));
      await proxied.waitForSelector('h1:has-text("Edited live")', { timeout: 60_000 });
      await hub.call('files__edit_file', { path: 'src/Intro.tsx', old_text: "title: 'Edited live'", new_text: "title: 'Through a proxy'" });
      await proxied.waitForSelector('h1:has-text("Through a proxy")', { timeout: 60_000 });
      assert.equal(await proxied.evaluate(() => (window as any).__notReloaded), true, 'the page was reloaded');
      assert.ok(sockets.length > 0 && sockets.every((socket) => socket.includes(`:${proxy.port}/preview/${kSession}/`)), sockets.join(', '));
    } finally {
      await proxied.close();
      await proxy.close();
      await hub.call('files__edit_file', { path: 'src/Intro.tsx', old_text: "title: 'Through a proxy'", new_text: "title: 'Edited live'" });
    }
  });

  it('serves public/ files for staticFile() under the preview path', async () => {
    const response = await fetch(`${url}logo.svg`);
    assert.equal(response.status, 200);
    assert.match(await response.text(), /<svg/);
  });

  it('sends modules gzip-compressed to a browser that accepts it, the same code as to one that does not', async () => {
    const module = `${url}@fs${path.join(engineDir, 'preview', 'main.tsx')}`;
    const get = (encoding: string) =>
      new Promise<{ encoding: string | undefined; body: Buffer }>((resolve, reject) => {
        http.get(module, { headers: { 'Accept-Encoding': encoding } }, (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () => resolve({ encoding: response.headers['content-encoding'], body: Buffer.concat(chunks) }));
        }).on('error', reject);
      });
    const [plain, compressed] = [await get('identity'), await get('gzip, deflate, br')];
    assert.equal(plain.encoding, undefined);
    assert.equal(compressed.encoding, 'gzip');
    assert.ok(compressed.body.length < plain.body.length / 2, `${compressed.body.length} of ${plain.body.length} bytes`);
    assert.equal(zlib.gunzipSync(compressed.body).toString('utf8'), plain.body.toString('utf8'));
  });

  it('never gives a new page a module compiled before an edit: the edit is on it', async () => {
    // The page preloads the project's modules as the server compiled them; the edit drops those.
    const before = await (await fetch(url)).text();
    assert.match(before, /rel="modulepreload"[^>]*src\/Intro\.tsx/);
    await hub.call('files__edit_file', { path: 'src/Intro.tsx', old_text: "title: 'Edited live'", new_text: "title: 'Before the page'" });
    const fresh = await browser.newPage();
    try {
      await fresh.goto(url);
      await waitForMessage(fresh, 'ready', (m) => m.type === 'ready');
      await fresh.evaluate(() => window.postMessage({ source: 'atelier-app', type: 'seek', frame: 50 }, '*'));
      await fresh.waitForSelector('h1:has-text("Before the page")', { timeout: 60_000 });
    } finally {
      await fresh.close();
    }
  });

  it('shows a change made outside the tools, also one right after a tool wrote the same file', async () => {
    // A tool's write is announced to Vite at once and the watcher's event for the same content is
    // dropped; an event for other content must still come through.
    await page.evaluate(() => window.postMessage({ source: 'atelier-app', type: 'seek', frame: 50 }, '*'));
    await hub.call('files__edit_file', { path: 'src/Intro.tsx', old_text: "title: 'Before the page'", new_text: "title: 'By the tool'" });
    const intro = path.join(project, 'src', 'Intro.tsx');
    fs.writeFileSync(intro, fs.readFileSync(intro, 'utf8').replace("title: 'By the tool'", "title: 'By someone else'"));
    await page.waitForSelector('h1:has-text("By someone else")', { timeout: 60_000 });
  });
});

describe('the preview of a pooled engine', () => {
  it('starts with project/open and is announced before project/open is answered', { timeout: 180_000 }, async () => {
    const hub = new FakeHub();
    const pooledTree = makeProject('remotion-pool-');
    const sessionTree = makeProject('remotion-session-');
    const intro = path.join(sessionTree, 'src', 'Intro.tsx');
    fs.writeFileSync(intro, fs.readFileSync(intro, 'utf8').replace("'Hello from atelier'", "'Hello from the session'"));
    const engine = startEngine(await hub.listen(), pooledTree, 'pool-abc');
    try {
      await hub.until(() => hub.notification('tools/update'), 'tools/update', 60_000);
      assert.equal(hub.notification('preview/ready'), undefined, 'no preview for a pool owner');
      const before = hub.notifications.length;
      const opening = hub.request('project/open', { workdir: sessionTree, session_id: 'sess-pooled', project_id: 'p1' });
      const id = hub.lastRequestId;
      await opening;
      const ready = hub.notification('preview/ready', before);
      assert.ok(ready, 'preview/ready after project/open');
      assert.equal(ready.params.path, '/preview/sess-pooled/');
      const index = hub.notifications.indexOf(ready);
      assert.ok(index < hub.answeredAfter.get(id)!, 'preview/ready arrived before the answer');
      const page = await fetch(`http://127.0.0.1:${ready.params.port}/preview/sess-pooled/`);
      assert.equal(page.status, 200);
      const html = await page.text();
      assert.match(html, /@vite\/client/);
      // The page preloads the session's project, compiled from its tree (not the pool's).
      assert.ok(html.includes(`${sessionTree}/src/index.ts`), html);
      assert.ok(!html.includes(pooledTree), html);
      const intro = await fetch(`http://127.0.0.1:${ready.params.port}/preview/sess-pooled/@fs${sessionTree}/src/Intro.tsx`);
      assert.match(await intro.text(), /Hello from the session/);
    } finally {
      await hub.request('engine/shutdown', {}).catch(() => undefined);
      await engine.exited;
      await hub.close();
      fs.rmSync(pooledTree, { recursive: true, force: true });
      fs.rmSync(sessionTree, { recursive: true, force: true });
    }
  });
});
