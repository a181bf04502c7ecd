// SPDX-License-Identifier: Apache-2.0
// @vitest-environment happy-dom
import { act } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ChatComposer } from '../src/components/chat_composer';
import { ToolForm } from '../src/components/tool_form';
import type { ToolDescriptor } from '../src/protocol/messages';

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

const tool: ToolDescriptor = {
  name: 'scene_basics__add_primitive',
  addon: 'scene_basics',
  input_schema: {
    type: 'object',
    required: ['shape'],
    properties: {
      shape: { type: 'string', enum: ['cube', 'cone'] },
      location: { type: 'array', items: { type: 'number' }, minItems: 3, maxItems: 3, default: [0, 0, 1] },
      color: { type: 'string', description: '#RRGGBB base colour' },
      smooth: { type: 'boolean' },
      size: { type: 'number', minimum: 0.1, maximum: 10 },
    },
  },
};

function key(target: Element, init: KeyboardEventInit) {
  act(() => {
    target.dispatchEvent(new KeyboardEvent('keydown', { bubbles: true, cancelable: true, ...init }));
  });
}

describe('ToolForm', () => {
  it('renders the generated fields and submits typed arguments', () => {
    const on_run = vi.fn();
    act(() => root.render(<ToolForm tool={tool} runs={[]} on_run={on_run} on_dismiss={() => {}} />));
    expect(container.querySelector('select')).not.toBeNull();
    expect(container.querySelectorAll('.vector input')).toHaveLength(3);
    expect(container.querySelector('input[type=color]')).not.toBeNull();
    expect(container.querySelector('input[type=checkbox]')).not.toBeNull();
    expect(container.querySelector('.required')?.textContent).toContain('*');
    act(() => (container.querySelector('button[type=submit]') as HTMLButtonElement).click());
    expect(on_run).toHaveBeenCalledWith({ shape: 'cube', location: [0, 0, 1] });
  });

  it('shows field errors instead of sending invalid arguments', () => {
    const on_run = vi.fn();
    const bounded: ToolDescriptor = { ...tool, input_schema: { type: 'object', required: ['size'], properties: { size: { type: 'number', minimum: 1 } } } };
    act(() => root.render(<ToolForm tool={bounded} runs={[]} on_run={on_run} on_dismiss={() => {}} />));
    act(() => (container.querySelector('button[type=submit]') as HTMLButtonElement).click());
    expect(on_run).not.toHaveBeenCalled();
    expect(container.querySelector('.field-error')?.textContent).toBe('required');
  });
});

describe('ChatComposer', () => {
  function render(running: boolean) {
    const on_send = vi.fn();
    const on_cancel = vi.fn();
    act(() => root.render(<ChatComposer running={running} cancelling={false} on_send={on_send} on_cancel={on_cancel} />));
    const textarea = container.querySelector('textarea')!;
    return { on_send, on_cancel, textarea };
  }

  function type(textarea: HTMLTextAreaElement, text: string) {
    act(() => {
      const setter = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(textarea), 'value')!.set!;
      setter.call(textarea, text);
      textarea.dispatchEvent(new Event('input', { bubbles: true }));
    });
  }

  it('sends on Enter and clears the input', () => {
    const { on_send, textarea } = render(false);
    type(textarea, 'a red cube');
    key(textarea, { key: 'Enter' });
    expect(on_send).toHaveBeenCalledWith('a red cube');
    expect(textarea.value).toBe('');
  });

  it('does not send on Shift+Enter', () => {
    const { on_send, textarea } = render(false);
    type(textarea, 'line one');
    key(textarea, { key: 'Enter', shiftKey: true });
    expect(on_send).not.toHaveBeenCalled();
  });

  it('cancels a running turn on Escape, and only then', () => {
    const idle = render(false);
    key(idle.textarea, { key: 'Escape' });
    expect(idle.on_cancel).not.toHaveBeenCalled();
    const busy = render(true);
    key(busy.textarea, { key: 'Escape' });
    expect(busy.on_cancel).toHaveBeenCalledTimes(1);
  });
});
