// SPDX-License-Identifier: Apache-2.0
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { CommandResultPayload } from '../protocol/messages';
import { error_location } from '../preview/error_text';
import { files_of, is_text_file, language_of, tree_rows, typecheck_errors, type ProjectFile, type TypecheckError } from '../studio/code_files';
import { CodeEditor, type CodeProblem } from './code_editor';
import type { PreviewError } from './preview_panel';

interface Props {
  /// Runs one of the engine's tools (files__*, remotion__typecheck) and resolves with its result.
  call_tool: (tool: string, args: Record<string, unknown>) => Promise<CommandResultPayload>;
  /// Whether the engine is ready to take calls.
  ready: boolean;
  /// Counts the project's changes: the list and an unchanged open file are read again.
  project_tick: number;
  /// The error the preview shows now, put at its line when it names the open file.
  preview_error?: PreviewError | undefined;
}

interface OpenFile {
  path: string;
  saved: string;
  text: string;
  /// Bumped when the document is replaced (opened, read again), so the editor starts over.
  generation: number;
}

const DEFAULT_FILES = ['src/Root.tsx', 'src/index.ts', 'src/index.tsx'];

function message_of(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/// The Remotion project's code: a file tree and a CodeMirror editor. Saving goes through the
/// engine's `files__write_file` (so it is a version and the preview hot-reloads); `typecheck` and
/// the preview's error are shown at their line.
export function CodePanel({ call_tool, ready, project_tick, preview_error }: Props) {
  const [files, set_files] = useState<ProjectFile[] | null>(null);
  const [open, set_open] = useState<OpenFile | null>(null);
  const [status, set_status] = useState<{ tone: 'ok' | 'error' | 'info'; text: string } | null>(null);
  const [saving, set_saving] = useState(false);
  const [checking, set_checking] = useState(false);
  const [type_errors, set_type_errors] = useState<TypecheckError[] | null>(null);
  const open_ref = useRef(open);
  open_ref.current = open;

  const load_files = useCallback(async () => {
    try {
      const result = await call_tool('files__list_files', { recursive: true });
      const list = files_of(result.data);
      set_files(list);
      return list;
    } catch (error) {
      set_status({ tone: 'error', text: `Listing the files failed: ${message_of(error)}` });
      set_files([]);
      return [];
    }
  }, [call_tool]);

  const open_file = useCallback(
    async (path: string) => {
      if (!is_text_file(path)) {
        set_status({ tone: 'info', text: `${path} is not a text file.` });
        return;
      }
      const current = open_ref.current;
      if (current && current.text !== current.saved && current.path !== path && !window.confirm(`${current.path} has unsaved changes. Open ${path} anyway?`)) return;
      try {
        const result = await call_tool('files__read_file', { path });
        const text = String((result.data as { text?: unknown } | undefined)?.text ?? '');
        // read_file drops the file's last newline; keep files ending with one.
        const content = text === '' || text.endsWith('\n') ? text : `${text}\n`;
        set_open((old) => ({ path, saved: content, text: content, generation: (old?.generation ?? 0) + 1 }));
        set_status(null);
      } catch (error) {
        set_status({ tone: 'error', text: `Opening ${path} failed: ${message_of(error)}` });
      }
    },
    [call_tool],
  );

  // The list once the engine is ready; the first composition file opens by itself.
  useEffect(() => {
    if (!ready || files !== null) return;
    void load_files().then((list) => {
      if (open_ref.current) return;
      const first = DEFAULT_FILES.find((path) => list.some((file) => file.path === path)) ?? list.find((file) => /\.tsx?$/.test(file.path))?.path;
      if (first) void open_file(first);
    });
  }, [ready, files, load_files, open_file]);

  // Someone else (the agent, a form) changed the project: read the list and the open file again,
  // unless it has edits of its own here.
  const seen_tick = useRef(project_tick);
  useEffect(() => {
    if (seen_tick.current === project_tick || !ready) return;
    seen_tick.current = project_tick;
    void load_files();
    const current = open_ref.current;
    if (!current || current.text !== current.saved) return;
    void call_tool('files__read_file', { path: current.path })
      .then((result) => {
        const text = String((result.data as { text?: unknown } | undefined)?.text ?? '');
        const content = text === '' || text.endsWith('\n') ? text : `${text}\n`;
        const now = open_ref.current;
        if (!now || now.path !== current.path || now.text !== now.saved || content === now.saved) return;
        set_open({ ...now, saved: content, text: content, generation: now.generation + 1 });
      })
      .catch(() => {
        // Deleted or unreadable now: the editor keeps what it has; saving writes it again.
      });
  }, [project_tick, ready, load_files, call_tool]);

  const save = useCallback(async () => {
    const current = open_ref.current;
    if (!current || saving) return;
    set_saving(true);
    const text = current.text;
    try {
      await call_tool('files__write_file', { path: current.path, content: text });
      set_open((old) => (old && old.path === current.path ? { ...old, saved: text } : old));
      set_status({ tone: 'ok', text: `Saved ${current.path}.` });
    } catch (error) {
      set_status({ tone: 'error', text: `Saving ${current.path} failed: ${message_of(error)}` });
    } finally {
      set_saving(false);
    }
  }, [call_tool, saving]);

  const typecheck = useCallback(async () => {
    set_checking(true);
    try {
      const result = await call_tool('remotion__typecheck', {});
      const errors = typecheck_errors(result.data) ?? [];
      set_type_errors(errors);
      set_status(errors.length === 0 ? { tone: 'ok', text: 'typecheck: no errors' } : { tone: 'error', text: `typecheck: ${errors.length} error${errors.length === 1 ? '' : 's'}` });
    } catch (error) {
      set_type_errors(null);
      set_status({ tone: 'error', text: `typecheck failed: ${message_of(error)}` });
    } finally {
      set_checking(false);
    }
  }, [call_tool]);

  const problems = useMemo<CodeProblem[]>(() => {
    if (!open) return [];
    const list: CodeProblem[] = (type_errors ?? [])
      .filter((error) => error.file === open.path)
      .map((error) => ({ line: error.line, column: error.column, message: `${error.code ? `${error.code}: ` : ''}${error.message}`, source: 'typecheck' }));
    if (preview_error) {
      const where = error_location(`${preview_error.message}\n${preview_error.stack ?? ''}`);
      if (where && where.path === open.path) list.push({ line: where.line, column: where.column, message: preview_error.message.split('\n')[0] ?? preview_error.message, source: 'preview' });
    }
    return list;
  }, [open, type_errors, preview_error]);

  const rows = useMemo(() => tree_rows(files ?? []), [files]);
  const dirty = !!open && open.text !== open.saved;
  const problem_files = new Set((type_errors ?? []).map((error) => error.file));

  return (
    <div className="code-panel">
      <nav className="file-tree" aria-label="Project files">
        <div className="file-tree-head">
          <span>Files</span>
          <button className="ghost small icon" onClick={() => void load_files()} title="Read the list again" aria-label="Refresh files" disabled={!ready}>
            ↻
          </button>
        </div>
        {files === null && <div className="faint file-tree-empty">{ready ? 'Loading…' : 'Waiting for the engine…'}</div>}
        <ul>
          {rows.map((row) =>
            row.kind === 'folder' ? (
              <li key={row.path} className="file-tree-folder" style={{ paddingLeft: 8 + row.depth * 12 }}>
                {row.name}/
              </li>
            ) : (
              <li key={row.path}>
                <button
                  className={`file-tree-file${open?.path === row.path ? ' open' : ''}${problem_files.has(row.path) ? ' has-problems' : ''}`}
                  style={{ paddingLeft: 8 + row.depth * 12 }}
                  aria-current={open?.path === row.path ? 'true' : undefined}
                  onClick={() => void open_file(row.path)}
                  title={row.path}
                >
                  {row.name}
                </button>
              </li>
            ),
          )}
        </ul>
      </nav>
      <div className="code-main">
        <div className="code-toolbar">
          <span className="mono code-path" title={open?.path}>
            {open ? open.path : 'No file open'}
            {dirty && (
              <span className="dirty-dot" title="unsaved changes" aria-label="unsaved changes">
                {' '}●
              </span>
            )}
          </span>
          <span className="spacer" />
          <button className="small" onClick={() => void typecheck()} disabled={!ready || checking} title="Type-check the project (tsc --noEmit)">
            {checking ? 'Checking…' : 'Typecheck'}
          </button>
          <button className="small primary" onClick={() => void save()} disabled={!ready || !dirty || saving} title="Save through the engine (Ctrl+S): a version, and the preview reloads">
            {saving ? 'Saving…' : 'Save'}
          </button>
        </div>
        <div className="code-body">
          {open ? (
            <CodeEditor
              doc_key={`${open.path}#${open.generation}`}
              text={open.text}
              language={language_of(open.path)}
              problems={problems}
              on_change={(text) => set_open((old) => (old ? { ...old, text } : old))}
              on_save={() => void save()}
            />
          ) : (
            <div className="viewport-placeholder">Pick a file on the left.</div>
          )}
        </div>
        {(status || problems.length > 0) && (
          <div className="code-status" role="status">
            {status && <div className={`code-status-line ${status.tone}`}>{status.text}</div>}
            {type_errors && type_errors.length > 0 && (
              <ul className="code-problems">
                {type_errors.slice(0, 20).map((error, index) => (
                  <li key={index}>
                    <button className="ghost small" onClick={() => void open_file(error.file)} disabled={!error.file}>
                      <span className="mono">
                        {error.file || '(project)'}:{error.line}:{error.column}
                      </span>{' '}
                      {error.message.split('\n')[0]}
                    </button>
                  </li>
                ))}
              </ul>
            )}
          </div>
        )}
      </div>
    </div>
  );
}
