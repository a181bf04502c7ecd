// SPDX-License-Identifier: Apache-2.0
import { describe, expect, it } from 'vitest';
import { CameraCoalescer, type FrameScheduler } from '../src/protocol/camera_coalescer';
import type { ViewportCameraPayload } from '../src/protocol/messages';
import { FrameStats } from '../src/studio/frame_stats';
import { frame_request } from '../src/studio/frame_request';
import { group_tools } from '../src/studio/tool_groups';

class ManualFrames implements FrameScheduler {
  callbacks: (() => void)[] = [];
  request(callback: () => void) {
    this.callbacks.push(callback);
    return this.callbacks.length;
  }
  cancel() {
    this.callbacks = [];
  }
  tick() {
    const due = this.callbacks;
    this.callbacks = [];
    for (const callback of due) callback();
  }
}

describe('CameraCoalescer', () => {
  it('sends at most one message per action per animation frame, with summed deltas', () => {
    const sent: ViewportCameraPayload[] = [];
    const frames = new ManualFrames();
    const camera = new CameraCoalescer((p) => sent.push({ ...p }), frames);
    camera.add('orbit', 3, 1);
    camera.add('orbit', 4, -2);
    camera.add('zoom', 0, 0, 1.5);
    camera.add('zoom', 0, 0, 0.5);
    expect(frames.callbacks).toHaveLength(1);
    expect(sent).toEqual([]);
    frames.tick();
    expect(sent).toEqual([
      { action: 'orbit', dx: 7, dy: -1, delta: 0 },
      { action: 'zoom', dx: 0, dy: 0, delta: 2 },
    ]);
    camera.add('pan', 1, 1);
    frames.tick();
    expect(sent.at(-1)).toEqual({ action: 'pan', dx: 1, dy: 1, delta: 0 });
  });

  it('sends nothing for moves that cancel out, and nothing after dispose', () => {
    const sent: ViewportCameraPayload[] = [];
    const frames = new ManualFrames();
    const camera = new CameraCoalescer((p) => sent.push(p), frames);
    camera.add('orbit', 5, 0);
    camera.add('orbit', -5, 0);
    frames.tick();
    camera.add('orbit', 1, 0);
    camera.dispose();
    frames.tick();
    expect(sent).toEqual([]);
  });
});

describe('FrameStats', () => {
  it('counts frames of the last second and the age of the newest', () => {
    const stats = new FrameStats();
    for (let t = 0; t <= 2000; t += 100) stats.record(t);
    expect(stats.fps(2000)).toBe(11);
    expect(stats.age_ms(2250)).toBe(250);
    expect(new FrameStats().age_ms(5)).toBeUndefined();
  });

  it('drops late frames but accepts a restarted sequence', () => {
    const stats = new FrameStats();
    expect(stats.accept(10)).toBe(true);
    expect(stats.accept(9)).toBe(false);
    expect(stats.accept(11)).toBe(true);
    expect(stats.accept(5000)).toBe(true);
    expect(stats.accept(0)).toBe(true);
    expect(stats.dropped).toBe(1);
  });

  it('after a reset accepts a new engine that counts from 1 again', () => {
    const stats = new FrameStats();
    stats.accept(12);
    stats.record(100);
    expect(stats.accept(1)).toBe(false); // a small step back is a late frame …
    stats.reset(); // … unless a new session's engine draws
    expect(stats.accept(1)).toBe(true);
    expect(stats.age_ms(200)).toBeUndefined();
  });
});

describe('group_tools', () => {
  const tools = [
    { name: 'scene_basics__add_primitive', description: 'Add a mesh primitive' },
    { name: 'render__still', addon: 'render', description: 'Render a still image' },
    { name: 'scene_basics__delete_object', description: 'Delete an object' },
    { name: 'ping' },
  ];

  it('groups by addon (declared or from the name prefix), sorted', () => {
    expect(group_tools(tools, '').map((g) => [g.addon, g.tools.map((t) => t.name)])).toEqual([
      ['other', ['ping']],
      ['render', ['render__still']],
      ['scene_basics', ['scene_basics__add_primitive', 'scene_basics__delete_object']],
    ]);
  });

  it('searches name, addon and description with every word', () => {
    expect(group_tools(tools, 'mesh add').flatMap((g) => g.tools.map((t) => t.name))).toEqual(['scene_basics__add_primitive']);
    expect(group_tools(tools, 'RENDER').flatMap((g) => g.tools.map((t) => t.name))).toEqual(['render__still']);
    expect(group_tools(tools, 'nothing-like-this')).toEqual([]);
  });
});

describe('frame_request', () => {
  it("keeps a camera the user moved, and the engine's own framing otherwise", () => {
    expect(frame_request(true)).toEqual({ action: 'orbit', dx: 0, dy: 0, delta: 0 });
    expect(frame_request(false)).toEqual({ action: 'reset', dx: 0, dy: 0, delta: 0 });
  });
});
