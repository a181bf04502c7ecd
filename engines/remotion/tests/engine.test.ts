// SPDX-License-Identifier: Apache-2.0
// The engine against a fake hub: real renders in Debian's chromium, real ffprobe, real tsc.
// No preview server here (--no-preview); tests/preview.test.ts covers the page.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FakeHub, RpcFailure, makeProject, startEngine, type EngineProcess } from './support/fake_hub.js';
import { engineDir } from './support/paths.js';
import { pngPixels, pngSize, shareNotBackground, type Pixels, probeVideo } from './support/media.js';
import { kRemotionVersion } from '../src/engine.js';

const kRenderTimeoutMs = 300_000;

/** Every process below `root` (from /proc: pid → parent pid). */
function descendants(root: number): number[] {
  const parents = new Map<number, number>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) {
      continue;
    }
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      parents.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // exited meanwhile
    }
  }
  const found: number[] = [];
  const visit = (pid: number) => {
    for (const [child, parent] of parents) {
      if (parent === pid) {
        found.push(child);
        visit(child);
      }
    }
  };
  visit(root);
  return found;
}

async function rejectsWith(promise: Promise<unknown>, code: number, pattern: RegExp): Promise<RpcFailure> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof RpcFailure, `expected an RPC error, got ${String(error)}`);
    assert.equal(error.code, code, `code of "${error.message}"`);
    assert.match(error.message, pattern);
    return error;
  }
  assert.fail(`expected an error matching ${pattern}`);
}

describe('the Remotion engine', () => {
  const hub = new FakeHub();
  let project = '';
  let engine: EngineProcess;

  before(async () => {
    project = makeProject();
    const url = await hub.listen();
    engine = startEngine(url, project, 'pool-test', ['--no-preview']);
    await hub.until(() => hub.notification('tools/update'), 'tools/update', 30_000);
  });

  after(async () => {
    if (engine.child.exitCode === null) {
      engine.child.kill('SIGKILL');
    }
    await hub.close();
    fs.rmSync(project, { recursive: true, force: true });
  });

  it('says hello with its kind, protocol 1 and instructions about Remotion', () => {
    const params = hub.hello!.params;
    assert.equal(params.kind, 'remotion');
    assert.equal(params.token, 'launch-test');
    assert.equal(params.protocol, 1);
    assert.match(params.instructions, /Sequence/);
    assert.match(params.instructions, /interpolate/);
    assert.match(params.instructions, /spring/);
    assert.match(params.instructions, /staticFile/);
  });

  it('names the application it drives, Remotion and its version, in its hello', () => {
    assert.deepEqual(hub.hello!.params.app, { name: 'Remotion', version: kRemotionVersion });
  });

  it('declares the file and Remotion tools in addon_ai.json manifests', () => {
    const addons = hub.notification('tools/update')!.params.addons as Array<any>;
    const names = addons.flatMap((addon) => addon.ai_integration.tools.map((tool: any) => `${addon.addon_info.id}__${tool.name}`));
    for (const expected of [
      'files__list_files', 'files__read_file', 'files__write_file', 'files__edit_file', 'files__delete_file',
      'remotion__typecheck', 'remotion__list_compositions', 'remotion__render_still', 'remotion__render_video',
      'remotion__project_info',
    ]) {
      assert.ok(names.includes(expected), `${expected} in ${names.join(', ')}`);
    }
  });

  it('links the shared node_modules into the working tree', () => {
    const link = path.join(project, 'node_modules');
    assert.ok(fs.lstatSync(link).isSymbolicLink());
    assert.ok(fs.existsSync(path.join(link, 'remotion', 'package.json')));
  });

  it('lists the template composition with its duration, fps and size', async () => {
    const result = await hub.call('remotion__list_compositions');
    assert.deepEqual(result.data.compositions, [{ id: 'Intro', durationInFrames: 90, fps: 30, width: 1280, height: 720 }]);
  });

  it('renders a still as a PNG image of the composition size, and scaled', async () => {
    const result = await hub.call('remotion__render_still', { composition: 'Intro', frame: 45 });
    const image = result.content.find((block: any) => block.type === 'image');
    assert.equal(image.mimeType, 'image/png');
    assert.deepEqual(pngSize(Buffer.from(image.data, 'base64')), { width: 1280, height: 720 });
    const half = await hub.call('remotion__render_still', { frame: 10, scale: 0.5 });
    const small = half.content.find((block: any) => block.type === 'image');
    assert.deepEqual(pngSize(Buffer.from(small.data, 'base64')), { width: 640, height: 360 });
  });

  it('shows something at frame 0 of the template (a new project does not look empty)', async () => {
    const result = await hub.call('remotion__render_still', { frame: 0, scale: 0.5 });
    const image = result.content.find((block: any) => block.type === 'image');
    const share = shareNotBackground(pngPixels(Buffer.from(image.data, 'base64')));
    assert.ok(share > 0.01, `only ${(share * 100).toFixed(2)}% of frame 0 differs from the background`);
  });

  it('never renders stale sources: a change of content alone (same size, same mtime) shows in the next still', async () => {
    const file = path.join(project, 'src', 'Intro.tsx');
    const original = fs.readFileSync(file, 'utf8');
    const before = pngPixels(Buffer.from((await hub.call('remotion__render_still', { frame: 45, scale: 0.25 })).content[0].data, 'base64'));
    assert.deepEqual(before.at(2, 2), [0x0b, 0x10, 0x20]);
    const { atime, mtime } = fs.statSync(file);
    try {
      fs.writeFileSync(file, original.replace("background: '#0b1020'", "background: '#ff0000'"));
      fs.utimesSync(file, atime, mtime);
      assert.equal(fs.statSync(file).size, Buffer.byteLength(original));
      const after = pngPixels(Buffer.from((await hub.call('remotion__render_still', { frame: 45, scale: 0.25 })).content[0].data, 'base64'));
      assert.deepEqual(after.at(2, 2), [0xff, 0, 0]);
    } finally {
      fs.writeFileSync(file, original);
      fs.utimesSync(file, atime, mtime);
    }
    const restored = pngPixels(Buffer.from((await hub.call('remotion__render_still', { frame: 45, scale: 0.25 })).content[0].data, 'base64'));
    assert.deepEqual(restored.at(2, 2), [0x0b, 0x10, 0x20]);
  });

  it('renders a changed public/ file (staticFile) in the next still', async () => {
    const logo = path.join(project, 'public', 'logo.svg');
    const original = fs.readFileSync(logo);
    // The logo is 220 px wide, centred 110 px above the middle of the frame.
    const centre = (png: Pixels) => png.at(Math.round(png.width / 2), Math.round(png.height / 2 - 110 * (png.width / 1280)));
    const before = pngPixels(Buffer.from((await hub.call('remotion__render_still', { frame: 45, scale: 0.5 })).content[0].data, 'base64'));
    assert.notDeepEqual(centre(before), [0, 255, 0]);
    try {
      fs.writeFileSync(logo, '<svg xmlns="http://www.w3.org/2000/svg" width="200" height="200"><rect width="200" height="200" fill="#00ff00"/></svg>\n');
      const after = pngPixels(Buffer.from((await hub.call('remotion__render_still', { frame: 45, scale: 0.5 })).content[0].data, 'base64'));
      assert.deepEqual(centre(after), [0, 255, 0]);
    } finally {
      fs.writeFileSync(logo, original);
    }
  });

  it('refuses a frame outside the composition with a clear error', async () => {
    await rejectsWith(hub.call('remotion__render_still', { frame: 90 }), -32000, /frame 90 is outside "Intro" \(frames 0-89\)/);
    await rejectsWith(hub.call('remotion__render_still', { composition: 'Nope' }), -32000, /no composition "Nope" \(there are: Intro\)/);
  });

  it('renders the template to an MP4 in renders/ with every frame, reporting progress', { timeout: kRenderTimeoutMs }, async () => {
    const before = hub.notifications.length;
    const result = await hub.call('remotion__render_video', { composition: 'Intro' }, 'render-1');
    assert.equal(result.data.path, 'renders/Intro.mp4');
    const facts = probeVideo(path.join(project, 'renders', 'Intro.mp4'));
    assert.deepEqual(facts, { frames: 90, width: 1280, height: 720, codec: 'h264' });
    const progress = hub.notifications.slice(before).filter((message) => message.method === 'render/progress');
    assert.ok(progress.length >= 2, `${progress.length} progress notifications`);
    assert.ok(progress.every((message) => message.params.call_id === 'render-1' && message.params.total === 90));
    assert.equal(progress[progress.length - 1].params.done, 90);
    assert.deepEqual(fs.readdirSync(path.join(project, 'renders')), ['Intro.mp4']);
  });

  it('stops a cancelled render and leaves no finished-looking output', { timeout: kRenderTimeoutMs }, async () => {
    const before = hub.notifications.length;
    const rendering = hub.call('remotion__render_video', { output: 'cancelled.mp4' }, 'render-2');
    await hub.until(
      () => hub.notifications.slice(before).find((m) => m.method === 'render/progress' && m.params.call_id === 'render-2' && m.params.done > 0),
      'the render to make progress',
    );
    hub.notify('$/cancel', { call_id: 'render-2' });
    await rejectsWith(rendering, -32003, /cancelled/);
    const left = fs.readdirSync(path.join(project, 'renders'));
    assert.deepEqual(left, ['Intro.mp4'], `renders/ holds ${left.join(', ')}`);
    // The engine is still usable after a cancel.
    const result = await hub.call('remotion__list_compositions');
    assert.equal(result.data.compositions.length, 1);
  });

  it('reads files whole and by line range', async () => {
    const whole = await hub.call('files__read_file', { path: 'src/Root.tsx' });
    assert.match(whole.data.text, /<Composition/);
    const part = await hub.call('files__read_file', { path: 'src/Root.tsx', start_line: 2, end_line: 3 });
    assert.equal(part.data.start_line, 2);
    assert.equal(part.data.end_line, 3);
    assert.equal(part.data.text.split('\n').length, 2);
    assert.equal(part.data.text, whole.data.text.split('\n').slice(1, 3).join('\n'));
  });

  it('lists files without node_modules', async () => {
    const result = await hub.call('files__list_files');
    const paths = result.data.files.map((file: any) => file.path);
    assert.ok(paths.includes('src/Root.tsx'));
    assert.ok(paths.includes('public/logo.svg'));
    assert.ok(!paths.some((p: string) => p.startsWith('node_modules')));
  });

  it('edits a text that occurs once, and refuses 0 or several matches saying how many', async () => {
    await hub.call('files__write_file', { path: 'src/notes.txt', content: 'a\nb\na\n' });
    await rejectsWith(hub.call('files__edit_file', { path: 'src/notes.txt', old_text: 'zzz', new_text: 'y' }), -32000, /0 matches/);
    await rejectsWith(hub.call('files__edit_file', { path: 'src/notes.txt', old_text: 'a', new_text: 'y' }), -32000, /matches 2 times.*lines 1, 3/);
    await hub.call('files__edit_file', { path: 'src/notes.txt', old_text: 'b', new_text: 'c' });
    assert.equal(fs.readFileSync(path.join(project, 'src/notes.txt'), 'utf8'), 'a\nc\na\n');
    await hub.call('files__delete_file', { path: 'src/notes.txt' });
    assert.ok(!fs.existsSync(path.join(project, 'src/notes.txt')));
  });

  it('refuses paths that leave the working tree or write into node_modules', async () => {
    const outside = fs.mkdtempSync(path.join(path.dirname(project), 'outside-'));
    fs.writeFileSync(path.join(outside, 'secret.txt'), 'secret');
    fs.symlinkSync(outside, path.join(project, 'escape'));
    try {
      await rejectsWith(hub.call('files__read_file', { path: '../secret.txt' }), -32000, /".." is not allowed/);
      await rejectsWith(hub.call('files__read_file', { path: '/etc/passwd' }), -32000, /not absolute/);
      await rejectsWith(hub.call('files__read_file', { path: 'escape/secret.txt' }), -32000, /outside the project/);
      await rejectsWith(hub.call('files__write_file', { path: 'escape/new.txt', content: 'x' }), -32000, /outside the project/);
      await rejectsWith(hub.call('files__write_file', { path: 'src/../../x.txt', content: 'x' }), -32000, /".." is not allowed/);
      await rejectsWith(hub.call('files__write_file', { path: 'node_modules/remotion/x.js', content: 'x' }), -32000, /node_modules/);
      await rejectsWith(hub.call('files__delete_file', { path: 'node_modules/remotion/package.json' }), -32000, /node_modules/);
      await rejectsWith(hub.call('files__edit_file', { path: 'escape/secret.txt', old_text: 'secret', new_text: 'x' }), -32000, /outside/);
      assert.equal(fs.readFileSync(path.join(outside, 'secret.txt'), 'utf8'), 'secret');
      assert.ok(!fs.existsSync(path.join(outside, 'new.txt')));
      assert.ok(!fs.existsSync(path.join(path.dirname(project), 'x.txt')));
    } finally {
      fs.unlinkSync(path.join(project, 'escape'));
      fs.rmSync(outside, { recursive: true, force: true });
    }
  });

  it('type-checks the template clean, then reports an introduced error with file:line', { timeout: 120_000 }, async () => {
    const clean = await hub.call('remotion__typecheck');
    assert.equal(clean.data.ok, true, clean.content[0].text);
    const source = fs.readFileSync(path.join(project, 'src/Root.tsx'), 'utf8').split('\n');
    const line = source.findIndex((text) => text.includes('durationInFrames={90}')) + 1;
    await hub.call('files__edit_file', { path: 'src/Root.tsx', old_text: 'durationInFrames={90}', new_text: 'durationInFrames={"ninety"}' });
    const broken = await hub.call('remotion__typecheck');
    assert.equal(broken.data.ok, false);
    const error = broken.data.errors.find((e: any) => e.file === 'src/Root.tsx');
    assert.ok(error, broken.content[0].text);
    assert.equal(error.line, line);
    assert.match(broken.content[0].text, new RegExp(`src/Root\\.tsx:${line}:\\d+ TS\\d+`));
    await hub.call('files__edit_file', { path: 'src/Root.tsx', old_text: 'durationInFrames={"ninety"}', new_text: 'durationInFrames={90}' });
  });

  it('bundles again after a change: a new duration shows in list_compositions', async () => {
    await hub.call('files__edit_file', { path: 'src/Root.tsx', old_text: 'durationInFrames={90}', new_text: 'durationInFrames={60}' });
    const result = await hub.call('remotion__list_compositions');
    assert.equal(result.data.compositions[0].durationInFrames, 60);
  });

  it('returns a build error to the caller when the code does not compile', async () => {
    await hub.call('files__write_file', { path: 'src/Broken.tsx', content: 'export const X = () => <div>;\n' });
    await hub.call('files__edit_file', { path: 'src/Root.tsx', old_text: "import { Composition } from 'remotion';", new_text: "import { Composition } from 'remotion';\nimport './Broken';" });
    await rejectsWith(hub.call('remotion__render_still', {}), -32000, /does not build[\s\S]*Broken\.tsx/);
    await hub.call('files__edit_file', { path: 'src/Root.tsx', old_text: "\nimport './Broken';", new_text: '' });
    await hub.call('files__delete_file', { path: 'src/Broken.tsx' });
  });

  it('project info names the entry point and the renders', async () => {
    const result = await hub.call('remotion__project_info');
    assert.equal(result.data.entry_point, 'src/index.ts');
    assert.deepEqual(result.data.renders, ['renders/Intro.mp4']);
  });

  it('summarises the project for the agent: files, compositions, renders (scene/changed)', async () => {
    const before = hub.notifications.length;
    const written = await hub.call('files__write_file', { path: 'src/Extra.tsx', content: 'export const Extra = () => null;\n' });
    assert.ok(written.scene.files.includes('src/Extra.tsx'), JSON.stringify(written.scene));
    assert.deepEqual(written.scene.renders, ['renders/Intro.mp4']);
    const changed = await hub.until(() => hub.notification('scene/changed', before), 'scene/changed');
    assert.ok(changed.params.summary.files.includes('src/Extra.tsx'));
    await hub.call('files__delete_file', { path: 'src/Extra.tsx' });
    // Sources the engine has not evaluated yet (a content it evaluated before is not evaluated again).
    await hub.call('files__edit_file', { path: 'src/Root.tsx', old_text: 'durationInFrames={60}', new_text: 'durationInFrames={75}' });
    const evaluated = hub.notifications.length;
    await hub.call('remotion__list_compositions');
    const withCompositions = await hub.until(
      () => hub.notifications.slice(evaluated).find((m) => m.method === 'scene/changed' && m.params.summary.compositions?.[0]?.durationInFrames === 75),
      'scene/changed with the new compositions',
    );
    assert.equal(withCompositions.params.summary.compositions[0].id, 'Intro');
    assert.ok(!withCompositions.params.summary.files.includes('src/Extra.tsx'));
  });

  it('answers project/save with nothing to write (tools write the tree directly)', async () => {
    const result = await hub.request('project/save', {});
    assert.deepEqual(result.files, []);
  });

  it('takes another working tree with project/open (warm pool) and works there', async () => {
    const other = makeProject('remotion-other-');
    try {
      fs.writeFileSync(
        path.join(other, 'src/Root.tsx'),
        fs.readFileSync(path.join(other, 'src/Root.tsx'), 'utf8').replace('id="Intro"', 'id="Other"'),
      );
      const opened = await hub.request('project/open', { workdir: other, session_id: 'pool-x', project_id: 'p2' });
      assert.equal(opened.workdir, fs.realpathSync(other));
      assert.ok(fs.lstatSync(path.join(other, 'node_modules')).isSymbolicLink());
      const result = await hub.call('remotion__list_compositions');
      assert.equal(result.data.compositions[0].id, 'Other');
      await assert.rejects(hub.request('project/open', { workdir: path.join(other, 'missing') }), /not a directory/);
    } finally {
      await hub.request('project/open', { workdir: project, session_id: 'pool-x', project_id: 'p1' });
      fs.rmSync(other, { recursive: true, force: true });
    }
  });

  it('opens chromium again when it died', { timeout: 180_000 }, async () => {
    await hub.call('remotion__render_still', { frame: 1, scale: 0.25 });
    const browsers = descendants(engine.child.pid!).filter((pid) => {
      let command = '';
      try {
        command = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      } catch {
        return false; // exited meanwhile (a bundler child, tsc)
      }
      return /chrom/.test(command) && !command.includes('--type=');
    });
    assert.ok(browsers.length > 0, 'the engine keeps a browser open');
    browsers.forEach((pid) => process.kill(pid, 'SIGKILL'));
    // The call that finds it dead may fail; the next one relaunches it.
    const still = await hub.call('remotion__render_still', { frame: 5, scale: 0.25 }).catch(() =>
      hub.call('remotion__render_still', { frame: 5, scale: 0.25 }),
    );
    const image = still.content.find((block: any) => block.type === 'image');
    assert.deepEqual(pngSize(Buffer.from(image.data, 'base64')), { width: 320, height: 180 });
  });

  it('answers an unknown tool with the valid names', async () => {
    const error = await rejectsWith(hub.call('files__nope'), -32005, /unknown tool/);
    assert.ok((error.data as { tools: string[] }).tools.includes('files__read_file'));
  });

  it('exits 0 after engine/shutdown', async () => {
    await hub.request('engine/shutdown', {});
    assert.equal(await engine.exited, 0);
  });
});

describe('the Remotion engine refused by the hub', () => {
  it('exits 3 when engine/hello is refused', { timeout: 60_000 }, async () => {
    const hub = new FakeHub();
    hub.refuseHello = true;
    const project = makeProject();
    const engine = startEngine(await hub.listen(), project, 'pool-refused', ['--no-preview']);
    try {
      assert.equal(await engine.exited, 3);
      assert.match(engine.stderr(), /engine\/hello refused: unauthorized/);
    } finally {
      engine.child.kill('SIGKILL');
      await hub.close();
      fs.rmSync(project, { recursive: true, force: true });
    }
  });

  it('exits 2 naming the variable when ATELIER_HUB_URL is missing', async () => {
    const project = makeProject();
    try {
      const engine = startEngine('', project, 'pool-none', ['--no-preview']);
      assert.equal(await engine.exited, 2);
      assert.match(engine.stderr(), /ATELIER_HUB_URL is not set/);
    } finally {
      fs.rmSync(project, { recursive: true, force: true });
    }
  });
});

describe('the Remotion engine on a Unix socket', () => {
  it('connects through ATELIER_HUB_SOCKET instead of TCP, with the URL\'s path', { timeout: 60_000 }, async () => {
    const hub = new FakeHub();
    const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'remotion-socket-'));
    const project = makeProject();
    const url = await hub.listen(path.join(directory, 'hub.sock'));
    const engine = startEngine(url, project, 'pool-socket', ['--no-preview'], { ATELIER_HUB_SOCKET: path.join(directory, 'hub.sock') });
    try {
      await hub.until(() => hub.notification('tools/update'), 'tools/update over the socket', 30_000);
      assert.equal(hub.upgradePath, '/ws/engine');
      await hub.request('engine/shutdown', {});
      assert.equal(await engine.exited, 0);
    } finally {
      engine.child.kill('SIGKILL');
      await hub.close();
      fs.rmSync(directory, { recursive: true, force: true });
      fs.rmSync(project, { recursive: true, force: true });
    }
  });
});

describe('a pooled engine, warmed with the template while its tree is empty', () => {
  const hub = new FakeHub();
  const tree = fs.mkdtempSync(path.join(os.tmpdir(), 'remotion-pool-'));
  let engine: EngineProcess;

  /** What the hub does on session:start: the project checked out into the pooled engine's tree. */
  function checkOut(edit: (source: string) => string): void {
    for (const entry of fs.readdirSync(tree)) {
      if (entry !== 'node_modules') {
        fs.rmSync(path.join(tree, entry), { recursive: true, force: true });
      }
    }
    fs.cpSync(path.join(engineDir, 'template'), tree, { recursive: true });
    const intro = path.join(tree, 'src', 'Intro.tsx');
    fs.writeFileSync(intro, edit(fs.readFileSync(intro, 'utf8')));
  }

  async function backgroundAt45(): Promise<number[]> {
    const still = await hub.call('remotion__render_still', { frame: 45, scale: 0.25 });
    return pngPixels(Buffer.from(still.content[0].data, 'base64')).at(2, 2);
  }

  before(async () => {
    engine = startEngine(await hub.listen(), tree, 'pool-warm', ['--no-preview']);
    await hub.until(() => hub.notification('tools/update'), 'tools/update', 30_000);
  });

  after(async () => {
    if (engine.child.exitCode === null) {
      engine.child.kill('SIGKILL');
    }
    await hub.close();
    fs.rmSync(tree, { recursive: true, force: true });
  });

  it('never answers with the template it warmed with: a tree without sources has no entry point', { timeout: 180_000 }, async () => {
    await rejectsWith(hub.call('remotion__list_compositions'), -32000, /no entry point/);
  });

  it('renders an existing project checked out into its tree, not the template', { timeout: 180_000 }, async () => {
    checkOut((source) => source.replace("background: '#0b1020'", "background: '#0000ff'"));
    await hub.request('project/open', { workdir: tree, session_id: 'sess-pool-1', project_id: 'p1' });
    assert.deepEqual(await backgroundAt45(), [0, 0, 0xff]);
  });

  it('renders a new project from the template after it, in the same tree', { timeout: 180_000 }, async () => {
    checkOut((source) => source);
    await hub.request('project/open', { workdir: tree, session_id: 'sess-pool-2', project_id: 'p2' });
    assert.deepEqual(await backgroundAt45(), [0x0b, 0x10, 0x20]);
  });
});
