// SPDX-License-Identifier: Apache-2.0
import { SHADINGS, type Shading, type ViewMode } from '../studio/viewport_settings';

interface Props {
  shading: Shading;
  view: ViewMode;
  on_shading: (shading: Shading) => void;
  on_view: (view: ViewMode) => void;
  /// The engine's answer to the last `viewport:configure`, when it refused it.
  error?: string | undefined;
  undo?: (() => void) | undefined;
  redo?: (() => void) | undefined;
  disabled?: boolean;
}

/// Above the Blender viewport: the shading (Solid / Material / Rendered), "Camera view" (look
/// through the scene's camera, as a render does), and Undo / Redo.
export function ViewportToolbar({ shading, view, on_shading, on_view, error, undo, redo, disabled = false }: Props) {
  return (
    <div className="viewport-toolbar" role="toolbar" aria-label="Viewport">
      <div className="segmented" role="radiogroup" aria-label="Shading">
        {SHADINGS.map((option) => (
          <button
            key={option.value}
            type="button"
            role="radio"
            aria-checked={shading === option.value}
            className={shading === option.value ? 'on' : ''}
            title={option.title}
            onClick={() => on_shading(option.value)}
          >
            {option.label}
          </button>
        ))}
      </div>
      <button
        type="button"
        className={`small toggle-button${view === 'camera' ? ' on' : ''}`}
        aria-pressed={view === 'camera'}
        title="Look through the scene's camera, as a render does (drag the view to leave it)"
        onClick={() => on_view(view === 'camera' ? 'free' : 'camera')}
      >
        <span aria-hidden="true">◉</span>
        <span>
          Camera<span className="wide-only"> view</span>
        </span>
      </button>
      {error && (
        <span className="viewport-toolbar-error" role="status" title={error}>
          {error}
        </span>
      )}
      <span className="spacer" />
      {(undo || redo) && (
        <div className="history-buttons">
          <button type="button" className="small" onClick={undo} disabled={disabled || !undo} title="Undo the last change (Ctrl+Z)" aria-label="Undo" aria-keyshortcuts="Control+Z">
            <span aria-hidden="true">↶</span>
            <span className="wide-only" aria-hidden="true">
              Undo
            </span>
          </button>
          <button type="button" className="small" onClick={redo} disabled={disabled || !redo} title="Redo (Ctrl+Shift+Z)" aria-label="Redo" aria-keyshortcuts="Control+Shift+Z">
            <span aria-hidden="true">↷</span>
            <span className="wide-only" aria-hidden="true">
              Redo
            </span>
          </button>
        </div>
      )}
    </div>
  );
}
