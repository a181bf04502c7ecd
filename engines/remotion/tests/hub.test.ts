// SPDX-License-Identifier: Apache-2.0
// The engine launched by the real hub (this build's `atelier`): a remotion project from the
// template, a session on a pooled engine (project/open), tools through /ws/browser, a killed
// engine relaunched with the working tree intact.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BrowserTab, HubUnderTest } from './support/real_hub.js';
import { pngSize } from './support/media.js';
import { engineDir } from './support/paths.js';

function config(pool: number): string {
  const quote = (text: string) => JSON.stringify(text);
  return [
    '[engines.remotion]',
    `command = [${quote(process.execPath)}, ${quote(path.join(engineDir, 'dist', 'src', 'main.js'))}]`,
    `template = ${quote(path.join(engineDir, 'template'))}`,
    `pool = ${pool}`,
    'sandbox = false',
    '',
  ].join('\n');
}

/** The engine works in its working tree (its cwd): the session's, or a pooled engine's. */
function workdirOf(pid: number): string {
  return fs.readlinkSync(`/proc/${pid}/cwd`);
}

async function enginePid(hub: HubUnderTest, sessionId: string): Promise<number> {
  const sessions = await hub.rest('GET', '/api/sessions');
  const session = (sessions.body.items as Array<any>).find((s) => s.id === sessionId);
  const pid = Number(session?.engine_pid);
  assert.ok(pid > 0, JSON.stringify(sessions.body));
  return pid;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('the Remotion engine through the real hub', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'remotion-hub-'));
  const hub = new HubUnderTest(root, config(1));
  let tab: BrowserTab;
  let projectId = '';
  let sessionId = '';
  let workdir = '';

  before(async () => {
    await hub.start();
  });

  after(async () => {
    tab?.close();
    await hub.stop();
    if (process.env.ATELIER_KEEP_TEST_DIRS !== '1') {
      fs.rmSync(root, { recursive: true, force: true });
    } else {
      process.stderr.write(`kept ${root}\n`);
    }
  });

  it('creates a remotion project from the template', async () => {
    const created = await hub.rest('POST', '/api/projects', { name: 'intro video', kind: 'remotion' });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    projectId = created.body.id;
    const root = await hub.rest('GET', `/api/projects/${projectId}/files/src/Root.tsx`);
    assert.equal(root.status, 200);
    assert.match(String(root.body), /<Composition/);
  });

  it('opens a session on the pooled engine with the Remotion tools', async () => {
    // Wait for the pool to hold a connected engine with its tools, so the session takes it
    // (project/open) instead of launching one.
    await tab_open();
    const deadline = Date.now() + 60_000;
    for (;;) {
      const engines = await hub.rest('GET', '/api/engines');
      const pooled = (engines.body.items as Array<any>).find((e) => e.kind === 'remotion' && e.tools > 0);
      if (pooled) {
        break;
      }
      assert.ok(Date.now() < deadline, `no pooled engine: ${JSON.stringify(engines.body)}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const ready = await tab.startSession(projectId);
    sessionId = ready.session_id;
    assert.equal(ready.engine.kind, 'remotion');
    const names = (ready.tools as Array<{ name: string }>).map((tool) => tool.name);
    for (const name of ['files__read_file', 'files__edit_file', 'remotion__render_still', 'remotion__render_video', 'remotion__typecheck']) {
      assert.ok(names.includes(name), `${name} in ${names.join(', ')}`);
    }
    workdir = workdirOf(await enginePid(hub, sessionId));
    assert.ok(workdir.startsWith(hub.dataDir), workdir);
    assert.match(workdir, /\/pool-[^/]+\/work$/, 'the session runs on the pooled engine');
    assert.ok(fs.lstatSync(path.join(workdir, 'node_modules')).isSymbolicLink(), 'node_modules linked into the tree');
    assert.match(fs.readFileSync(path.join(workdir, 'src', 'Root.tsx'), 'utf8'), /<Composition/);
  });

  it('runs the tools: compositions, a still, an edit that becomes a version', async () => {
    const listed = await tab.command('remotion__list_compositions');
    assert.equal(listed.ok, true, JSON.stringify(listed));
    assert.deepEqual(listed.data.compositions[0], { id: 'Intro', durationInFrames: 90, fps: 30, width: 1280, height: 720 });
    const still = await tab.command('remotion__render_still', { frame: 30, scale: 0.5 });
    assert.equal(still.ok, true, JSON.stringify(still).slice(0, 2000));
    const image = still.content.find((block: any) => block.type === 'image');
    assert.deepEqual(pngSize(Buffer.from(image.data, 'base64')), { width: 640, height: 360 });
    const edited = await tab.command('files__edit_file', { path: 'src/Intro.tsx', old_text: "'Hello from atelier'", new_text: "'Hello through the hub'" });
    assert.equal(edited.ok, true, JSON.stringify(edited));
    assert.ok(edited.version, 'a mutating tool makes a version');
    const committed = await hub.rest('GET', `/api/projects/${projectId}/files/src/Intro.tsx`);
    assert.match(String(committed.body), /Hello through the hub/);
    const escaped = await tab.command('files__read_file', { path: '../../token' });
    assert.equal(escaped.ok, false);
    assert.match(JSON.stringify(escaped.error), /not allowed/);
  });

  it('relaunches a killed engine, and the working tree is intact', async () => {
    const pid = await enginePid(hub, sessionId);
    const since = tab.messages.length;
    process.kill(pid, 'SIGKILL');
    await tab.next('session:status', since, (m) => m.payload.state === 'reconnecting');
    await tab.next('session:ready', since, () => true, 180_000);
    const relaunched = await enginePid(hub, sessionId);
    assert.notEqual(relaunched, pid);
    assert.equal(workdirOf(relaunched), workdir, 'the relaunched engine works in the same tree');
    assert.match(fs.readFileSync(path.join(workdir, 'src', 'Intro.tsx'), 'utf8'), /Hello through the hub/);
    assert.ok(fs.existsSync(path.join(workdir, 'src', 'Root.tsx')));
    assert.ok(fs.lstatSync(path.join(workdir, 'node_modules')).isSymbolicLink());
    const read = await tab.command('files__read_file', { path: 'src/Intro.tsx' });
    assert.equal(read.ok, true, JSON.stringify(read));
    assert.match(read.data.text, /Hello through the hub/);
    const listed = await tab.command('remotion__list_compositions');
    assert.equal(listed.ok, true, JSON.stringify(listed));
  });

  it('ends the session: the engine exits', async () => {
    const pid = await enginePid(hub, sessionId);
    const since = tab.messages.length;
    tab.send('session:end', { session_id: sessionId });
    await tab.next('session:status', since, (m) => m.payload.state === 'ended');
    await tab.until(() => !alive(pid) || undefined, `engine ${pid} to exit`, 60_000);
  });

  async function tab_open(): Promise<void> {
    tab = await BrowserTab.open(hub);
  }
});

describe('the make run config (config/atelier.toml)', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'remotion-make-run-'));
  const configPath = process.env.ATELIER_CONFIG || path.join(engineDir, '..', '..', 'config', 'atelier.toml');
  const hub = new HubUnderTest(root, { path: configPath });
  let tab: BrowserTab | null = null;

  before(async () => {
    await hub.start();
  });

  after(async () => {
    tab?.close();
    await hub.stop();
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('declares the remotion kind: a project from the template opens a session with the tools', async () => {
    const created = await hub.rest('POST', '/api/projects', { name: 'make run video', kind: 'remotion' });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const files = await hub.rest('GET', `/api/projects/${created.body.id}/files/remotion.config.ts`);
    assert.equal(files.status, 200);
    tab = await BrowserTab.open(hub);
    const ready = await tab.startSession(created.body.id);
    assert.equal(ready.engine.kind, 'remotion');
    const read = await tab.command('files__read_file', { path: 'src/index.ts' });
    assert.equal(read.ok, true, JSON.stringify(read));
    assert.match(read.data.text, /registerRoot/);
  });
});
