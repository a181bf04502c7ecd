import { useState, type FormEvent } from 'react';
import type { ProjectKind } from '../api/projects';

interface Props {
  on_create: (name: string, kind: ProjectKind) => Promise<void>;
  on_cancel: () => void;
}

const KINDS: { kind: ProjectKind; label: string; hint: string }[] = [
  { kind: 'blender', label: 'Blender', hint: '3D scene' },
  { kind: 'remotion', label: 'Remotion', hint: 'video' },
];

/// The segmented choice for an engine kind of the hub's config other than the two built-in ones
/// (`[engines.<kind>]`: any program that speaks the engine protocol).
const OTHER = 'other';

export function CreateProjectForm({ on_create, on_cancel }: Props) {
  const [name, set_name] = useState('');
  const [kind, set_kind] = useState<ProjectKind>('blender');
  const [other_kind, set_other_kind] = useState('');
  const [busy, set_busy] = useState(false);
  const chosen = kind === OTHER ? other_kind.trim() : kind;

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
        <div className="segmented" role="group" aria-labelledby="kind-label">
          {KINDS.map((option) => (
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
          <button type="button" aria-pressed={kind === OTHER} onClick={() => set_kind(OTHER)} title="another engine kind of this hub's config">
            Other…
          </button>
        </div>
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
