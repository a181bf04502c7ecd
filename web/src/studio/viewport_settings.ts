// SPDX-License-Identifier: Apache-2.0
/// What the Blender viewport shows and at which size: sent as `viewport:configure {width, height,
/// shading, view}` whenever the panel's size, the shading or the view changes, and again for every
/// new session (a new engine starts with its own defaults). Pure.

export type Shading = 'solid' | 'material' | 'rendered';
/// `camera`: look through the scene's camera (what a render shows); `free`: the orbit camera.
export type ViewMode = 'camera' | 'free';

export const SHADINGS: { value: Shading; label: string; title: string }[] = [
  { value: 'solid', label: 'Solid', title: 'Fast Workbench shading: shapes and their colours' },
  { value: 'material', label: 'Material', title: 'Material preview: materials under a studio light' },
  { value: 'rendered', label: 'Rendered', title: 'Rendered: the scene’s own lights and world (Eevee)' },
];

export interface ViewportConfigurePayload {
  width: number;
  height: number;
  shading: Shading;
  view: ViewMode;
}

/// The hub accepts 16..4096 pixels per side.
const MIN_SIDE = 16;
const MAX_SIDE = 4096;
/// Frames are rendered at the panel's CSS size, capped so that a big screen does not make every
/// frame a large render; the aspect is kept, which is what makes the frame fill the panel.
const MAX_LONG_SIDE = 1600;

/// The payload for a panel of `css_width` × `css_height` CSS pixels, or undefined while the panel
/// has no size (hidden, not laid out yet).
export function configure_payload(css_width: number, css_height: number, shading: Shading, view: ViewMode): ViewportConfigurePayload | undefined {
  if (!(css_width >= 1 && css_height >= 1)) return undefined;
  const scale = Math.min(1, MAX_LONG_SIDE / Math.max(css_width, css_height));
  const side = (value: number) => Math.min(MAX_SIDE, Math.max(MIN_SIDE, Math.round(value * scale)));
  return { width: side(css_width), height: side(css_height), shading, view };
}

export function same_payload(a: ViewportConfigurePayload | undefined, b: ViewportConfigurePayload | undefined): boolean {
  return !!a && !!b && a.width === b.width && a.height === b.height && a.shading === b.shading && a.view === b.view;
}
