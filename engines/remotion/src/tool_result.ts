// SPDX-License-Identifier: Apache-2.0
// What a tool returns: MCP-style content blocks for the model, structured data for programs.

export type Content = { type: 'text'; text: string } | { type: 'image'; mimeType: string; data: string };

export type ToolResult = { content: Content[]; data?: unknown; scene?: unknown };

export function textResult(text: string): ToolResult {
  return { content: [{ type: 'text', text }] };
}
