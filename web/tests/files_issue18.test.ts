// SPDX-License-Identifier: Apache-2.0
import { describe, expect, it } from 'vitest';
import { normalize_diff, tree_at } from '../src/api/files';
import { normalize_render, normalize_version } from '../src/api/projects';
import { diff_line_kind } from '../src/components/diff_view';
import { preview_kind } from '../src/components/files_panel';
import { parse_literal, readable_result } from '../src/studio/result_text';
import { initial_session_view, session_reducer } from '../src/studio/session_state';
import { newest_still } from '../src/studio/thumbnails';
import { asset_folder, upload_path } from '../src/studio/use_uploads';

describe('tool results read as text (issue 19, item 14)', () => {
  it('cut a Python dict repr from the sentence and show the data as rows', () => {
    const data = { name: 'Material', base_color: [0.8, 0.1, 0.1, 1], metallic: 0, roughness: 0.5 };
    const result = readable_result("Cube uses material Material: {'name': 'Material', 'base_color': [0.8, 0.1, 0.1, 1.0], 'metallic': 0.0, 'roughness': 0.5}", data);
    expect(result.text).toBe('Cube uses material Material');
    expect(result.rows).toContainEqual({ label: 'Base color', value: '0.8, 0.1, 0.1, 1' });
    expect(result.rows).toContainEqual({ label: 'Roughness', value: '0.5' });
    expect(result.details).toEqual(data);
  });

  it('read a repr without data (True, None, tuples) when the engine sent no structure', () => {
    expect(parse_literal("{'a': True, 'b': None, 'c': (1, 2)}")).toEqual({ a: true, b: null, c: [1, 2] });
    const result = readable_result("Scene: {'frame_start': 1, 'frame_end': 250, 'objects': [{'name': 'Cube'}, {'name': 'Light'}]}");
    expect(result.text).toBe('Scene');
    expect(result.rows).toContainEqual({ label: 'Objects', value: 'Cube, Light' });
  });

  it('leave a plain sentence alone and keep the data one click away', () => {
    const result = readable_result('Added Suzanne at 0,0,1', { name: 'Suzanne' });
    expect(result).toEqual({ text: 'Added Suzanne at 0,0,1', rows: [], details: { name: 'Suzanne' } });
  });
});

describe('activity of other clients', () => {
  it('shows another client’s command as a recent command with who ran it, and reloads versions', () => {
    const view = session_reducer(initial_session_view, {
      type: 'message',
      message: { type: 'command:activity', payload: { tool: 'modeling__add_primitive', ok: true, version: 'abc123', by: { id: '7', kind: 'mcp', name: 'claude-code', version: '2.1' } } },
      now: 5,
    });
    expect(view.commands[0]).toMatchObject({ tool: 'modeling__add_primitive', status: 'ok', by: 'claude-code 2.1', version: 'abc123' });
    expect(view.version_tick).toBe(1);
  });
});

describe('files (issue 18)', () => {
  const versions = [
    normalize_version({ rev: 'c3', message: 'delete', files: [{ path: 'assets/old.png', status: 'deleted' }, { path: 'assets/logo.png', status: 'modified' }] }),
    normalize_version({ rev: 'c2', message: 'upload', files: [{ path: 'assets/logo.png', status: 'added' }, { path: 'assets/old.png', status: 'added' }] }),
    normalize_version({ rev: 'c1', message: 'start', files: [{ path: 'scene.blend', status: 'added' }, { path: 'scene.glb', status: 'added' }] }),
  ];

  it('replay the versions into the tree of any version', () => {
    expect(tree_at(versions, 'c3').map((file) => [file.path, file.changed_in])).toEqual([
      ['assets/logo.png', 'c3'],
      ['scene.blend', 'c1'],
      ['scene.glb', 'c1'],
    ]);
    expect(tree_at(versions, 'c2').map((file) => file.path)).toEqual(['assets/logo.png', 'assets/old.png', 'scene.blend', 'scene.glb']);
    expect(tree_at(versions, 'nope')).toEqual([]);
  });

  it('put uploads into the kind’s asset folder', () => {
    expect(asset_folder('remotion')).toBe('public');
    expect(asset_folder('blender')).toBe('assets');
    expect(upload_path('/public/', 'logo final.png')).toBe('public/logo final.png');
    expect(upload_path('', 'a.png')).toBe('a.png');
  });

  it('preview images, audio, video and text by extension', () => {
    expect(['a.PNG', 'b.wav', 'c.mp4', 'src/Root.tsx', 'scene.blend'].map(preview_kind)).toEqual(['image', 'audio', 'video', 'text', 'none']);
  });

  it('read a diff with statuses, text and the glb objects', () => {
    const diff = normalize_diff(
      {
        rev: 'c3',
        against: 'c2',
        files: [
          { path: 'src/Intro.tsx', status: 'modified', diff: '@@ -1 +1 @@\n-a\n+b' },
          { path: 'scene.glb', status: 'modified', objects: { added: ['Suzanne'], removed: [], moved: [{ name: 'Cube', from: [0, 0, 0], to: [1, 0, 0] }], rematerialed: [] } },
        ],
      },
      'c3',
    );
    expect(diff.against).toBe('c2');
    expect(diff.files[0]).toMatchObject({ path: 'src/Intro.tsx', status: 'modified', diff: '@@ -1 +1 @@\n-a\n+b' });
    expect(diff.files[1]!.objects).toEqual({ added: [{ name: 'Suzanne' }], removed: [], moved: [{ name: 'Cube', detail: '0,0,0 → 1,0,0' }], rematerialed: [] });
    expect(['@@ -1 +1 @@', '-a', '+b', '--- a/x', ' same'].map(diff_line_kind)).toEqual(['hunk', 'del', 'add', 'meta', 'ctx']);
  });

  it('pick the newest render picture, optionally of one version, and never an export', () => {
    const files = [
      normalize_render({ name: 'scene.fbx', kind: 'export', modified: 3000, version: 'c3' }, 'p')!,
      normalize_render({ name: 'turntable.mp4', modified: 2000, version: 'c2' }, 'p')!,
      normalize_render({ name: 'still.png', modified: 1000, version: 'c1' }, 'p')!,
    ];
    expect(newest_still(files)).toMatchObject({ name: 'turntable.mp4', kind: 'video' });
    expect(newest_still(files, 'c1')).toMatchObject({ name: 'still.png', kind: 'image' });
    expect(newest_still(files, 'c3')).toBeUndefined();
  });
});
