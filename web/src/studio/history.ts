// SPDX-License-Identifier: Apache-2.0
import type { ToolDescriptor } from '../protocol/messages';

/// The engine's undo and redo tools (the Blender router's `router__undo` / `router__redo`), found by
/// name so any engine that declares `<addon>__undo` and `<addon>__redo` gets the buttons. Pure.
export interface HistoryTools {
  undo?: string;
  redo?: string;
}

export function history_tools(tools: ToolDescriptor[]): HistoryTools {
  const find = (action: string) => tools.find((tool) => tool.name === `router__${action}`)?.name ?? tools.find((tool) => tool.name.endsWith(`__${action}`))?.name;
  const undo = find('undo');
  const redo = find('redo');
  return { ...(undo ? { undo } : {}), ...(redo ? { redo } : {}) };
}

/// Which history action a key press asks for: Ctrl+Z (⌘Z) undo, Ctrl+Shift+Z or Ctrl+Y redo.
/// None while typing in a field or an editor, where the keys belong to the text.
export function history_action(event: { key: string; ctrlKey: boolean; metaKey: boolean; shiftKey: boolean; altKey: boolean; target: EventTarget | null }): 'undo' | 'redo' | undefined {
  if (!(event.ctrlKey || event.metaKey) || event.altKey) return undefined;
  if (is_editable(event.target)) return undefined;
  const key = event.key.toLowerCase();
  if (key === 'z') return event.shiftKey ? 'redo' : 'undo';
  if (key === 'y' && !event.shiftKey) return 'redo';
  return undefined;
}

function is_editable(target: EventTarget | null): boolean {
  const element = target as { tagName?: string; isContentEditable?: boolean; closest?: (selector: string) => unknown } | null;
  if (!element || typeof element.tagName !== 'string') return false;
  if (element.isContentEditable) return true;
  if (['INPUT', 'TEXTAREA', 'SELECT'].includes(element.tagName.toUpperCase())) return true;
  return typeof element.closest === 'function' && element.closest('.cm-editor') !== null;
}
