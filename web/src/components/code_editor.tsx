// SPDX-License-Identifier: Apache-2.0
import { useEffect, useRef } from 'react';
import { basicSetup } from 'codemirror';
import { javascript } from '@codemirror/lang-javascript';
import { HighlightStyle, syntaxHighlighting } from '@codemirror/language';
import { setDiagnostics, type Diagnostic } from '@codemirror/lint';
import { EditorState, type Extension } from '@codemirror/state';
import { EditorView, keymap } from '@codemirror/view';
import { tags } from '@lezer/highlight';

/// A problem at a line of the open file (1-based line and column), from `typecheck` or the preview.
export interface CodeProblem {
  line: number;
  column: number;
  message: string;
  source: string;
}

interface Props {
  /// Which file this is: a new path (or a reload of it) replaces the document.
  doc_key: string;
  text: string;
  language: 'tsx' | 'ts' | 'js' | 'json' | 'css' | 'text';
  problems: CodeProblem[];
  on_change: (text: string) => void;
  on_save: () => void;
  read_only?: boolean;
}

const highlight = HighlightStyle.define([
  { tag: [tags.keyword, tags.controlKeyword, tags.moduleKeyword, tags.operatorKeyword], color: '#c792ea' },
  { tag: [tags.string, tags.special(tags.string)], color: '#c3e88d' },
  { tag: [tags.number, tags.bool, tags.null], color: '#f78c6c' },
  { tag: [tags.comment, tags.lineComment, tags.blockComment], color: '#6b7282', fontStyle: 'italic' },
  { tag: [tags.typeName, tags.className, tags.namespace], color: '#ffcb6b' },
  { tag: [tags.tagName], color: '#f07178' },
  { tag: [tags.attributeName], color: '#ffcb6b' },
  { tag: [tags.function(tags.variableName), tags.function(tags.propertyName)], color: '#82aaff' },
  { tag: [tags.propertyName], color: '#b2ccd6' },
  { tag: [tags.variableName, tags.definition(tags.variableName)], color: '#e6e8ee' },
  { tag: [tags.operator, tags.punctuation, tags.bracket, tags.angleBracket], color: '#89ddff' },
]);

const theme = EditorView.theme(
  {
    '&': { height: '100%', backgroundColor: '#0c0e12', color: '#e6e8ee', fontSize: '12.5px' },
    '.cm-scroller': { fontFamily: "'JetBrains Mono', ui-monospace, Menlo, Consolas, monospace", lineHeight: '1.5' },
    '.cm-content': { caretColor: '#7c9cff' },
    '.cm-gutters': { backgroundColor: '#0f1115', color: '#6b7282', border: 'none', borderRight: '1px solid #262b35' },
    '.cm-activeLine': { backgroundColor: 'rgba(124, 156, 255, 0.06)' },
    '.cm-activeLineGutter': { backgroundColor: 'rgba(124, 156, 255, 0.1)', color: '#9aa1b1' },
    '&.cm-focused .cm-selectionBackground, .cm-selectionBackground, ::selection': { backgroundColor: 'rgba(124, 156, 255, 0.28) !important' },
    '.cm-cursor': { borderLeftColor: '#7c9cff' },
    '.cm-tooltip': { backgroundColor: '#161920', border: '1px solid #343a47', color: '#e6e8ee' },
    '.cm-diagnostic-error': { borderLeft: '3px solid #ff6b6b' },
    '.cm-lintRange-error': { backgroundImage: 'none', textDecoration: 'underline wavy #ff6b6b', textUnderlineOffset: '3px' },
  },
  { dark: true },
);

function language_extension(language: Props['language']): Extension {
  switch (language) {
    case 'tsx':
      return javascript({ typescript: true, jsx: true });
    case 'ts':
      return javascript({ typescript: true });
    case 'js':
      return javascript({ jsx: true });
    case 'json':
      return javascript();
    default:
      return [];
  }
}

/// Diagnostics for CodeMirror: each problem underlines from its column to the end of the word
/// (or of the line).
function diagnostics(state: EditorState, problems: CodeProblem[]): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const problem of problems) {
    if (problem.line < 1 || problem.line > state.doc.lines) continue;
    const line = state.doc.line(problem.line);
    const from = Math.min(line.to, line.from + Math.max(0, problem.column - 1));
    const word = /^[\w$]+/.exec(line.text.slice(from - line.from));
    const to = word ? from + word[0].length : line.to > from ? line.to : from;
    out.push({ from, to, severity: 'error', message: problem.message, source: problem.source });
  }
  return out;
}

/// CodeMirror 6 with TypeScript/TSX highlighting, Ctrl+S to save, and problems shown at their line.
export function CodeEditor({ doc_key, text, language, problems, on_change, on_save, read_only = false }: Props) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const callbacks = useRef({ on_change, on_save });
  callbacks.current = { on_change, on_save };

  useEffect(() => {
    if (!host.current) return;
    const editor = new EditorView({
      parent: host.current,
      state: EditorState.create({
        doc: text,
        extensions: [
          keymap.of([
            {
              key: 'Mod-s',
              preventDefault: true,
              run: () => {
                callbacks.current.on_save();
                return true;
              },
            },
          ]),
          basicSetup,
          language_extension(language),
          syntaxHighlighting(highlight),
          theme,
          EditorState.readOnly.of(read_only),
          EditorView.updateListener.of((update) => {
            if (update.docChanged) callbacks.current.on_change(update.state.doc.toString());
          }),
          EditorView.contentAttributes.of({ 'aria-label': 'Code editor' }),
        ],
      }),
    });
    view.current = editor;
    return () => {
      editor.destroy();
      view.current = null;
    };
    // A new document (another file, or the file read again) builds a new editor; typing does not.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [doc_key, language, read_only]);

  useEffect(() => {
    const editor = view.current;
    if (!editor) return;
    editor.dispatch(setDiagnostics(editor.state, diagnostics(editor.state, problems)));
  }, [problems, doc_key]);

  return <div className="code-editor" ref={host} />;
}
