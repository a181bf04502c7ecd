// SPDX-License-Identifier: Apache-2.0
// Blender into video, end to end with both real engines (issue 18): real Blender renders a small
// still of a red world through the real hub, a Remotion project imports the render
// (POST /api/projects/{id}/import) into public/, a composition shows it with
// <Img src={staticFile(...)}/>, and the still Remotion renders has the Blender render's colour; the
// same for a turntable video (render_animation → MP4) shown with <OffthreadVideo>.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BrowserTab, HubUnderTest } from './support/real_hub.js';
import { pngPixels, type Pixels } from './support/media.js';
import { engineDir } from './support/paths.js';

function config(): string {
  const quote = (text: string) => JSON.stringify(text);
  const blender = process.env.ATELIER_BLENDER ?? 'blender';
  const bootstrap = path.join(engineDir, '..', 'blender', 'bootstrap.py');
  return [
    '[engines.blender]',
    `command = [${quote(blender)}, "-b", "--factory-startup", "--python", ${quote(bootstrap)}]`,
    'pool = 0',
    '[engines.remotion]',
    `command = [${quote(process.execPath)}, ${quote(path.join(engineDir, 'dist', 'src', 'main.js'))}]`,
    `template = ${quote(path.join(engineDir, 'template'))}`,
    'pool = 0',
    '',
  ].join('\n');
}

/** The mean colour of an image, 0-255 per channel. */
function meanColour(pixels: Pixels): [number, number, number] {
  const sum = [0, 0, 0];
  for (let y = 0; y < pixels.height; y++) {
    for (let x = 0; x < pixels.width; x++) {
      pixels.at(x, y).forEach((value, channel) => (sum[channel] += value));
    }
  }
  const count = pixels.width * pixels.height;
  return sum.map((value) => value / count) as [number, number, number];
}

function assertRed(colour: [number, number, number], what: string): void {
  const [red, green, blue] = colour;
  assert.ok(red > 150 && red > green + 100 && red > blue + 100, `${what} is red: ${colour.map(Math.round).join(', ')}`);
}

// A full-frame video of the imported turntable, nothing else.
const videoComposition = `import { AbsoluteFill, OffthreadVideo, staticFile } from 'remotion';

export type IntroProps = { title: string; subtitle: string; background: string };
export const introSchemaDefaults: IntroProps = { title: '', subtitle: '', background: '#000000' };

export const Intro: React.FC<IntroProps> = () => (
  <AbsoluteFill>
    <OffthreadVideo src={staticFile('turntable.mp4')} style={{ width: '100%', height: '100%' }} />
  </AbsoluteFill>
);
`;

// A full-frame picture of the imported render, nothing else.
const composition = `import { AbsoluteFill, Img, staticFile } from 'remotion';

export type IntroProps = { title: string; subtitle: string; background: string };
export const introSchemaDefaults: IntroProps = { title: '', subtitle: '', background: '#000000' };

export const Intro: React.FC<IntroProps> = () => (
  <AbsoluteFill>
    <Img src={staticFile('island.png')} style={{ width: '100%', height: '100%' }} />
  </AbsoluteFill>
);
`;

describe('a Blender render in a Remotion video', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'blender-to-video-'));
  const hub = new HubUnderTest(root, config());
  const tabs: BrowserTab[] = [];

  /** A new Blender project's session running `steps`, each of which must succeed. */
  async function blenderProject(name: string, steps: Array<[string, Record<string, unknown>]>): Promise<string> {
    const project = await hub.rest('POST', '/api/projects', { name, kind: 'blender' });
    assert.equal(project.status, 201, JSON.stringify(project.body));
    const tab = await BrowserTab.open(hub);
    tabs.push(tab);
    await tab.startSession(project.body.id);
    for (const [tool, args] of steps) {
      const result = await tab.command(tool, args);
      assert.equal(result.ok, true, `${tool}: ${JSON.stringify(result).slice(0, 2000)}`);
    }
    return project.body.id;
  }

  /** Imports `render` of `from` into a new Remotion project, shows it with `source` as the Intro
   * composition and checks that Remotion's still of `frame` is red. */
  async function assertShownRedInRemotion(name: string, from: string, render: string, source: string, frame: number) {
    const intro = await hub.rest('POST', '/api/projects', { name, kind: 'remotion' });
    assert.equal(intro.status, 201, JSON.stringify(intro.body));
    const imported = await hub.rest('POST', `/api/projects/${intro.body.id}/import`, { from_project: from, render });
    assert.equal(imported.status, 201, JSON.stringify(imported.body));
    assert.equal(imported.body.path, `public/${render}`);
    const video = await BrowserTab.open(hub);
    tabs.push(video);
    await video.startSession(intro.body.id);
    const written = await video.command('files__write_file', { path: 'src/Intro.tsx', content: source });
    assert.equal(written.ok, true, JSON.stringify(written).slice(0, 2000));
    const still = await video.command('remotion__render_still', { composition: 'Intro', frame, scale: 0.1 });
    assert.equal(still.ok, true, JSON.stringify(still).slice(0, 2000));
    const image = still.content.find((block: any) => block.type === 'image');
    assert.ok(image, JSON.stringify(still).slice(0, 2000));
    assertRed(meanColour(pngPixels(Buffer.from(image.data, 'base64'))), `Remotion's still of the imported ${render}`);
  }

  before(async () => {
    await hub.start();
  });

  after(async () => {
    tabs.forEach((tab) => tab.close());
    await hub.stop();
    if (process.env.ATELIER_KEEP_TEST_DIRS !== '1') {
      fs.rmSync(root, { recursive: true, force: true });
    } else {
      process.stderr.write(`kept ${root}\n`);
    }
  });

  it('renders in Blender, imports the render and shows its pixels in a Remotion still', async () => {
    const island = await blenderProject('Island', [
      ['scene__clear_scene', {}],
      ['lighting__set_world', { color: '#FF0000', strength: 1 }],
      ['camera__add_camera', { name: 'Cam', location: [0, -5, 1], target_point: [0, 0, 1] }],
      ['render__set_render_settings', { view_transform: 'standard' }],
      ['render__render_still', { engine: 'cycles', samples: 1, width: 64, height: 36, filename: 'island.png' }],
    ]);
    const render = await fetch(`http://127.0.0.1:${hub.port}/api/projects/${island}/renders/island.png`, {
      headers: { Authorization: `Bearer ${hub.token}` },
    });
    assert.equal(render.status, 200);
    assertRed(meanColour(pngPixels(Buffer.from(await render.arrayBuffer()))), "Blender's render");
    await assertShownRedInRemotion('Intro', island, 'island.png', composition, 0);
  });

  it('renders a turntable in Blender and shows the video with OffthreadVideo in a Remotion still', async () => {
    const turntable = await blenderProject('Turntable', [
      ['scene__clear_scene', {}],
      ['lighting__set_world', { color: '#FF0000', strength: 1 }],
      ['modeling__add_primitive', { shape: 'cube', name: 'Rock', size: 0.3, location: [0, 0, 0] }],
      ['animation__turntable', { target: 'Rock', frames: 6, radius: 8 }],
      ['render__set_render_settings', { view_transform: 'standard' }],
      ['render__render_animation', { engine: 'cycles', samples: 1, width: 64, height: 36, frame_start: 1, frame_end: 6, fps: 6, filename: 'turntable.mp4' }],
    ]);
    await assertShownRedInRemotion('Turntable intro', turntable, 'turntable.mp4', videoComposition, 3);
  });
});
