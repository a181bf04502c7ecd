// SPDX-License-Identifier: Apache-2.0
/// The parts of an engine's scene summary (`scene:updated {summary}`, `session:ready {scene}`) the
/// studio uses beyond the one-line strip: the outliner, the name pickers of the forms, partial
/// vectors that keep an object's current value, and the timeline's frame range. Tolerant: what a
/// summary does not carry is left out. Pure.

export interface SceneObject {
  name: string;
  type?: string;
  location?: number[];
  rotation?: number[];
  scale?: number[];
  dimensions?: number[];
  material?: string;
  parent?: string;
  hidden?: boolean;
}

export interface SceneInfo {
  objects: SceneObject[];
  materials: string[];
  collections: string[];
  frame_range?: [number, number];
  fps?: number;
  camera?: string;
}

function numbers(value: unknown): number[] | undefined {
  return Array.isArray(value) && value.every((n) => typeof n === 'number') ? (value as number[]) : undefined;
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((s): s is string => typeof s === 'string' && s !== '') : [];
}

export function scene_info(summary: unknown): SceneInfo | undefined {
  if (!summary || typeof summary !== 'object' || Array.isArray(summary)) return undefined;
  const raw = summary as Record<string, unknown>;
  if (!Array.isArray(raw.objects)) return undefined;
  const objects: SceneObject[] = [];
  for (const entry of raw.objects) {
    if (typeof entry === 'string') {
      if (entry) objects.push({ name: entry });
      continue;
    }
    if (!entry || typeof entry !== 'object') continue;
    const o = entry as Record<string, unknown>;
    if (typeof o.name !== 'string' || o.name === '') continue;
    const object: SceneObject = { name: o.name };
    if (typeof o.type === 'string') object.type = o.type;
    else if (typeof o.shape === 'string') object.type = o.shape;
    for (const key of ['location', 'rotation', 'scale', 'dimensions'] as const) {
      const value = numbers(o[key]);
      if (value) object[key] = value;
    }
    if (typeof o.material === 'string') object.material = o.material;
    if (typeof o.parent === 'string') object.parent = o.parent;
    if (o.hidden === true) object.hidden = true;
    objects.push(object);
  }
  const materials = [...new Set([...strings(raw.materials), ...objects.map((o) => o.material).filter((m): m is string => !!m)])];
  const info: SceneInfo = { objects, materials, collections: strings(raw.collections) };
  const range = numbers(raw.frame_range);
  if (range && range.length === 2) info.frame_range = [range[0]!, range[1]!];
  if (typeof raw.fps === 'number') info.fps = raw.fps;
  const camera = raw.camera && typeof raw.camera === 'object' ? (raw.camera as { name?: unknown }).name : undefined;
  if (typeof camera === 'string') info.camera = camera;
  return info;
}

/// The names a picker offers for a kind of name.
export function scene_names(info: SceneInfo | undefined, kind: 'object' | 'material' | 'collection'): string[] {
  if (!info) return [];
  if (kind === 'object') return info.objects.map((o) => o.name);
  return kind === 'material' ? info.materials : info.collections;
}

/// The current value of a vector parameter (location, rotation, scale, dimensions) of the object
/// that the form's object-name field names, when the scene has it.
export function current_vector(info: SceneInfo | undefined, property: string, object_name: string | undefined): number[] | undefined {
  if (!info || !object_name) return undefined;
  const key = property === 'rotation_degrees' || property === 'rotation_euler' ? 'rotation' : property;
  if (key !== 'location' && key !== 'rotation' && key !== 'scale' && key !== 'dimensions') return undefined;
  return info.objects.find((o) => o.name === object_name)?.[key];
}
