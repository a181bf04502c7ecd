// SPDX-License-Identifier: Apache-2.0
// @vitest-environment happy-dom
import { act } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { set_fetch } from '../src/api/http';
import { normalize_version } from '../src/api/projects';
import { DiffView } from '../src/components/diff_view';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

let container: HTMLDivElement;
let root: Root;
const asked: string[] = [];

beforeEach(() => {
  container = document.createElement('div');
  document.body.appendChild(container);
  root = createRoot(container);
  asked.length = 0;
  set_fetch(async (input) => {
    asked.push(input);
    const body = {
      rev: 'c2',
      files: [
        { path: 'notes.txt', status: 'modified', diff: '--- a/notes.txt\n+++ b/notes.txt\n@@ -1,2 +1,2 @@\n title\n-duration: 5 s\n+duration: 10 s' },
        { path: 'scene.glb', status: 'modified', objects: { added: ['Suzanne'], removed: ['Cone'], moved: [], rematerialed: ['Cube'] } },
        { path: 'logo.png', status: 'added', binary: true },
      ],
    };
    return new Response(JSON.stringify(body), { status: 200, headers: { 'Content-Type': 'application/json' } });
  });
});

afterEach(() => {
  act(() => root.unmount());
  container.remove();
});

const versions = [normalize_version({ rev: 'c2', message: 'upload notes.txt', files: [] }), normalize_version({ rev: 'c1', message: 'start', files: [] })];

describe('DiffView', () => {
  it('lists the changed files with their status, colours the text diff and names the glb objects', async () => {
    await act(async () => {
      root.render(<DiffView project_id="p1" version={versions[0]!} versions={versions} on_close={() => {}} />);
    });
    expect(asked[0]).toBe('/api/projects/p1/versions/c2/diff');
    const marks = [...container.querySelectorAll('.diff-files a')].map((a) => a.className);
    expect(marks).toEqual(['diff-status modified', 'diff-status modified', 'diff-status added']);
    const notes = container.querySelector('[aria-label="notes.txt modified"]')!;
    expect([...notes.querySelectorAll('.diff-line.del')].map((line) => line.textContent)).toEqual(['-duration: 5 s\n']);
    expect([...notes.querySelectorAll('.diff-line.add')].map((line) => line.textContent)).toEqual(['+duration: 10 s\n']);
    expect(notes.querySelectorAll('.diff-line.hunk')).toHaveLength(1);
    const scene = container.querySelector('[aria-label="scene.glb modified"]')!;
    expect(scene.querySelector('.scene-diff-added')?.textContent).toContain('Suzanne');
    expect(scene.querySelector('.scene-diff-removed')?.textContent).toContain('Cone');
    expect(scene.querySelector('.scene-diff-rematerialed')?.textContent).toContain('Cube');
    expect(container.querySelector('[aria-label="logo.png added"]')?.textContent).toContain('binary');

    // Another version to compare with asks again with `against`.
    const select = container.querySelector('select') as HTMLSelectElement;
    await act(async () => {
      select.value = 'c1';
      select.dispatchEvent(new Event('change', { bubbles: true }));
    });
    expect(asked[asked.length - 1]).toBe('/api/projects/p1/versions/c2/diff?against=c1');
  });
});
