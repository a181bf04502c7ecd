// SPDX-License-Identifier: Apache-2.0
/// One line about the scene for the strip under the viewport, from an engine's `scene:updated`
/// summary: a string as it is, or a summary object with an `objects` list (the Blender engine and
/// the test engine send one) as "3 objects: Cube, Light, Camera". Anything else: nothing.
export function summary_line(summary: unknown, max_names = 6): string | undefined {
  if (typeof summary === 'string') return summary.trim() || undefined;
  if (!summary || typeof summary !== 'object') return undefined;
  const raw = summary as { objects?: unknown; object_count?: unknown };
  if (!Array.isArray(raw.objects)) return undefined;
  const names = raw.objects
    .map((entry) => (typeof entry === 'string' ? entry : entry && typeof entry === 'object' ? (entry as { name?: unknown }).name : undefined))
    .filter((name): name is string => typeof name === 'string' && name !== '');
  const count = typeof raw.object_count === 'number' ? raw.object_count : raw.objects.length;
  if (count === 0) return 'Empty scene';
  const shown = names.slice(0, max_names).join(', ');
  const more = count - Math.min(names.length, max_names);
  return `${count} object${count === 1 ? '' : 's'}${shown ? `: ${shown}` : ''}${more > 0 && shown ? ` +${more} more` : ''}`;
}
