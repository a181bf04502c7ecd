// SPDX-License-Identifier: Apache-2.0
// @vitest-environment happy-dom
import { act } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { set_fetch } from '../src/api/http';
import { PreviewTimeline } from '../src/components/preview_timeline';
import { RendersPanel } from '../src/components/renders_panel';
import { SignInPage } from '../src/components/sign_in_page';

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

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
}

async function settle() {
  await act(async () => {
    await new Promise((resolve) => setTimeout(resolve, 0));
  });
}

function type_into(input: HTMLInputElement, value: string) {
  const setter = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value')!.set!;
  act(() => {
    setter.call(input, value);
    input.dispatchEvent(new Event('input', { bubbles: true }));
  });
}

describe('RendersPanel', () => {
  it('lists the files of GET /renders with download links, and reloads when the tick changes', async () => {
    const calls: string[] = [];
    let files = [{ name: 'intro.mp4', size: 2048, modified: 1795220551000, url: '/api/projects/p1/renders/intro.mp4' }];
    set_fetch(async (input) => {
      calls.push(input);
      return json(200, { renders: files });
    });
    act(() => root.render(<RendersPanel project_id="p1" jobs={[]} tick={0} />));
    await settle();
    const link = container.querySelector('.render-files a') as HTMLAnchorElement;
    expect(link.getAttribute('href')).toBe('/api/projects/p1/renders/intro.mp4');
    expect(link.textContent).toContain('intro.mp4');
    expect(container.textContent).toContain('2.0 KB');
    expect(calls).toEqual(['/api/projects/p1/renders']);

    files = [...files, { name: 'still.png', size: 10, modified: 1795220552000, url: '/api/projects/p1/renders/still.png' }];
    act(() => root.render(<RendersPanel project_id="p1" jobs={[]} tick={1} />));
    await settle();
    expect(container.querySelectorAll('.render-files li')).toHaveLength(2);
  });

  it('shows a job with its progress bar even when the hub has no renders route', async () => {
    set_fetch(async () => json(404, { error: { code: 'not_found', message: 'no route' } }));
    const job = { job_id: 'c1', label: 'Render c1', progress: 0.5, state: 'running', frame: 2, total_frames: 4 };
    act(() => root.render(<RendersPanel project_id="p1" jobs={[job]} tick={0} />));
    await settle();
    expect(container.querySelector('[role=progressbar]')?.getAttribute('aria-valuenow')).toBe('50');
    expect(container.textContent).toContain('frame 2 of 4');
  });
});

describe('SignInPage', () => {
  it('offers only the token without accounts', () => {
    act(() => root.render(<SignInPage on_signed_in={() => {}} />));
    expect(container.querySelector('input[autocomplete=username]')).toBeNull();
    expect(container.querySelectorAll('form')).toHaveLength(1);
  });

  it('signs in with user name and password where accounts exist, and says so when they are wrong', async () => {
    const bodies: unknown[] = [];
    let answer = json(401, { error: { code: 'unauthorized', message: 'wrong user name or password' } });
    set_fetch(async (_input, init) => {
      bodies.push(JSON.parse(String(init?.body)));
      return answer;
    });
    const on_signed_in = vi.fn();
    act(() => root.render(<SignInPage accounts on_signed_in={on_signed_in} />));
    expect(container.querySelectorAll('form')).toHaveLength(2);
    type_into(container.querySelector('input[autocomplete=username]') as HTMLInputElement, 'alice');
    type_into(container.querySelector('input[autocomplete=current-password]') as HTMLInputElement, 'nope');
    act(() => (container.querySelector('form[aria-label="Sign in with your account"] button') as HTMLButtonElement).click());
    await settle();
    expect(bodies).toEqual([{ username: 'alice', password: 'nope' }]);
    expect(container.querySelector('[role=alert]')?.textContent).toBe('Wrong user name or password.');
    expect(on_signed_in).not.toHaveBeenCalled();

    answer = json(200, { user: { id: 'u1', name: 'alice' } });
    act(() => (container.querySelector('form[aria-label="Sign in with your account"] button') as HTMLButtonElement).click());
    await settle();
    expect(on_signed_in).toHaveBeenCalledTimes(1);
  });
});

describe('PreviewTimeline', () => {
  it('draws one bar per visible sequence and seeks with the keyboard', () => {
    const on_seek = vi.fn();
    const sequences = [
      { name: 'Title', from: 0, durationInFrames: 50 },
      { name: 'Logo', from: 50, durationInFrames: 50 },
      { name: 'Later', from: 200, durationInFrames: 10 },
    ];
    act(() => root.render(<PreviewTimeline sequences={sequences} duration={100} frame={10} fps={30} on_seek={on_seek} />));
    const bars = [...container.querySelectorAll<HTMLElement>('.timeline-bar')];
    expect(bars.map((b) => b.dataset.sequence)).toEqual(['Title', 'Logo']);
    expect(bars[1]!.style.left).toBe('50%');
    expect(bars[1]!.style.width).toBe('50%');
    expect((container.querySelector('.timeline-playhead') as HTMLElement).style.left).toBe('10%');
    const track = container.querySelector('[role=slider]')!;
    act(() => {
      track.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowRight', bubbles: true }));
      track.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowRight', shiftKey: true, bubbles: true }));
      track.dispatchEvent(new KeyboardEvent('keydown', { key: 'End', bubbles: true }));
    });
    expect(on_seek.mock.calls).toEqual([[11], [40], [99]]);
  });
});
