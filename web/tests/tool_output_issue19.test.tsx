// SPDX-License-Identifier: Apache-2.0
// @vitest-environment happy-dom
import { act } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ToolOutput } from '../src/components/tool_output';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

let container: HTMLDivElement;
let root: Root;

beforeEach(() => {
  container = document.createElement('div');
  document.body.appendChild(container);
  root = createRoot(container);
});

afterEach(() => {
  act(() => root.unmount());
  container.remove();
});

describe('ToolOutput', () => {
  it('shows the sentence and the data as rows, not a Python dict; the structure only under details', () => {
    const data = { name: 'Material', base_color: [0.8, 0.1, 0.1, 1], roughness: 0.5 };
    act(() =>
      root.render(<ToolOutput content={[{ type: 'text', text: "Cube uses material Material: {'name': 'Material', 'base_color': [0.8, 0.1, 0.1, 1.0], 'roughness': 0.5}" }]} data={data} />),
    );
    expect(container.querySelector('.tool-text')?.textContent).toBe('Cube uses material Material');
    const rows = [...container.querySelectorAll('.result-summary > div')].map((row) => row.textContent);
    expect(rows).toContain('Base color0.8, 0.1, 0.1, 1');
    // Nothing outside <details> shows braces or quotes.
    const visible = [...container.querySelector('.tool-body')!.children].filter((child) => child.tagName !== 'DETAILS').map((child) => child.textContent).join(' ');
    expect(visible).not.toMatch(/[{}']/);
    expect(container.querySelector('details summary')?.textContent).toBe('details');
  });
});
