// SPDX-License-Identifier: Apache-2.0
import { useEffect, useState, type FormEvent } from 'react';
import type { ProjectKind } from '../api/projects';

interface Props {
  /// The engine kinds the hub can start (`GET /api/engines` → `kinds`); null when the hub does not
  /// say (then the built-in kinds and a free field for another are offered); undefined while loading.
  kinds: string[] | null | undefined;
  on_create: (name: string, kind: ProjectKind) => Promise<void>;
  on_cancel: () => void;
}

const KNOWN: Record<string, { label: string; hint: string }> = {
  blender: { label: 'Blender', hint: '3D scene' },
  remotion: { label: 'Remotion', hint: 'video' },
};

/// The choices the form offers: exactly the hub's kinds, the built-in ones first.
export function kind_options(kinds: string[] | null): { kind: string; label: string; hint: string }[] {
  const list = kinds ?? Object.keys(KNOWN);
  const rank = (kind: string) => (kind in KNOWN ? Object.keys(KNOWN).indexOf(kind) : Object.keys(KNOWN).length);
  return [...list]
    .sort((a, b) => rank(a) - rank(b) || a.localeCompare(b))
    .map((kind) => ({ kind, label: KNOWN[kind]?.label ?? kind, hint: KNOWN[kind]?.hint ?? `engine kind ${kind}` }));
}

/// The segmented choice for an engine kind the hub did not list (only when it lists none).
const OTHER = 'other';

export function CreateProjectForm({ kinds, on_create, on_cancel }: Props) {
  const options = kinds === undefined ? [] : kind_options(kinds);
  const [name, set_name] = useState('');
  const [kind, set_kind] = useState<ProjectKind>(options[0]?.kind ?? '');
  const [other_kind, set_other_kind] = useState('');
  const [busy, set_busy] = useState(false);
  const free = kinds === null;
  const chosen = kind === OTHER ? other_kind.trim() : kind;

  // The kinds arrive after the form may have opened: keep the choice valid.
  useEffect(() => {
    if (kind !== OTHER && !options.some((option) => option.kind === kind)) set_kind(options[0]?.kind ?? '');
    // Only when the list itself changes, not on every render's new `options` array.
  }, [kinds?.join(',')]);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!name.trim() || !chosen) return;
    set_busy(true);
    try {
      await on_create(name.trim(), chosen);
    } catch {
      // The page shows the error; keep the form so the user can fix the name.
    } finally {
      set_busy(false);
    }
  };

  return (
    <form
      className="create-form"
      onSubmit={submit}
      onKeyDown={(event) => {
        if (event.key === 'Escape') on_cancel();
      }}
      aria-label="New project"
    >
      <label>
        <div className="field-label">Name</div>
        <input value={name} onChange={(event) => set_name(event.target.value)} placeholder="Low-poly island" autoFocus maxLength={200} />
      </label>
      <div>
        <div className="field-label" id="kind-label">
          Kind
        </div>
        {kinds === undefined ? (
          <div className="segmented" role="group" aria-labelledby="kind-label" aria-busy="true" style={{ minWidth: 160 }} />
        ) : options.length === 0 ? (
          <div className="create-no-kinds" role="note">
            This hub has no engines configured. Add an <code>[engines.&lt;kind&gt;]</code> table to its config.
          </div>
        ) : (
          <div className="segmented" role="group" aria-labelledby="kind-label">
            {options.map((option) => (
              <button
                type="button"
                key={option.kind}
                aria-pressed={kind === option.kind}
                onClick={() => set_kind(option.kind)}
                title={option.hint}
              >
                {option.label}
              </button>
            ))}
            {free && (
              <button type="button" aria-pressed={kind === OTHER} onClick={() => set_kind(OTHER)} title="another engine kind of this hub's config">
                Other…
              </button>
            )}
          </div>
        )}
      </div>
      {kind === OTHER && (
        <label>
          <div className="field-label">Engine kind</div>
          <input
            value={other_kind}
            onChange={(event) => set_other_kind(event.target.value)}
            placeholder="as in [engines.<kind>]"
            spellCheck={false}
            autoFocus
            maxLength={64}
            style={{ width: 180 }}
          />
        </label>
      )}
      <button type="submit" className="primary" disabled={busy || !name.trim() || !chosen}>
        {busy ? 'Creating…' : 'Create'}
      </button>
      <button type="button" className="ghost" onClick={on_cancel}>
        Cancel
      </button>
    </form>
  );
}
