// SPDX-License-Identifier: Apache-2.0
/// Errors of a Remotion project as a person reads them: paths relative to the project (as the
/// file tools take them), no server paths or preview URLs, and the code frame Vite and esbuild put
/// under the message kept as preformatted lines. Pure.

// An absolute path or URL of at least two segments, with an optional :line:column after it.
const PATH = /(?:file:\/\/|https?:\/\/[\w.-]+(?::\d+)?)?\/[\w@.+~-]+(?:\/[\w@.+~%-]+)+(?:\?[\w=&.-]*)?/g;

function relative(path: string): string {
  const bare = path.replace(/^(?:file:\/\/|https?:\/\/[\w.-]+(?::\d+)?)/, '').replace(/\?[\w=&.-]*$/, '');
  const preview = /\/preview\/[\w-]+\/(.*)$/.exec(bare);
  if (preview) return preview[1] ?? '';
  const modules = bare.indexOf('/node_modules/');
  if (modules >= 0) return bare.slice(modules + 1);
  for (const folder of ['/src/', '/public/']) {
    const at = bare.lastIndexOf(folder);
    if (at >= 0) return bare.slice(at + 1);
  }
  const parts = bare.split('/').filter(Boolean);
  return parts.length >= 3 ? `…/${parts.slice(-2).join('/')}` : bare;
}

/// The text with every absolute path or URL made relative to the project.
export function clean_error_text(text: string): string {
  return text.replace(PATH, (match) => relative(match));
}

/// The first line (what went wrong) and the rest (the code frame, a stack), if any.
export function split_error(message: string): { headline: string; detail?: string } {
  const text = message.replace(/\r\n/g, '\n').replace(/\n+$/, '');
  const newline = text.indexOf('\n');
  if (newline < 0) return { headline: text };
  // Blank lines between the message and its code frame are dropped; the frame's indent is kept.
  const detail = text.slice(newline + 1).replace(/^(?:[ \t]*\n)+/, '');
  return detail.trim() ? { headline: text.slice(0, newline), detail } : { headline: text.slice(0, newline) };
}

/// `src/Title.tsx:12:5` (or tsc's `src/Title.tsx(12,5)`, Babel's `src/Title.tsx: … (12:5)`) named in an error: where to put the cursor.
export function error_location(text: string): { path: string; line: number; column: number } | undefined {
  // Babel (the Remotion bundler): "src/Intro.tsx: Unexpected token (83:23)".
  const babel = /((?:src|public)\/[\w@.+~/-]+\.[cm]?[jt]sx?): [^\n]*?\((\d+):(\d+)\)/.exec(text);
  if (babel) return { path: babel[1]!, line: Number(babel[2]), column: Number(babel[3]) };
  const match = /((?:src|public)\/[\w@.+~/-]+\.[cm]?[jt]sx?)(?::(\d+)(?::(\d+))?|\((\d+),(\d+)\))/.exec(text);
  if (!match) return undefined;
  const line = Number(match[2] ?? match[4]);
  const column = Number(match[3] ?? match[5] ?? 1);
  return Number.isFinite(line) && line > 0 ? { path: match[1]!, line, column: Number.isFinite(column) && column > 0 ? column : 1 } : undefined;
}
