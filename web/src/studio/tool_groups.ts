// SPDX-License-Identifier: Apache-2.0
import { split_tool_name } from '../lib/format';
import type { ToolDescriptor } from '../protocol/messages';

export interface ToolGroup {
  addon: string;
  tools: ToolDescriptor[];
}

/// Tools grouped by addon (sorted), filtered by a search over name, addon and description.
export function group_tools(tools: ToolDescriptor[], query: string): ToolGroup[] {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  const groups = new Map<string, ToolDescriptor[]>();
  for (const tool of tools) {
    const { addon } = split_tool_name(tool.name, tool.addon);
    const haystack = `${tool.name} ${addon} ${tool.description ?? ''}`.toLowerCase();
    if (!words.every((word) => haystack.includes(word))) continue;
    groups.set(addon, [...(groups.get(addon) ?? []), tool]);
  }
  return [...groups.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([addon, list]) => ({ addon, tools: [...list].sort((a, b) => a.name.localeCompare(b.name)) }));
}
