// SPDX-License-Identifier: Apache-2.0
import type { ReactNode } from 'react';
import type { Health } from '../api/projects';
import { navigate } from '../lib/router';

interface Props {
  health?: Health | undefined;
  down?: boolean;
  children?: ReactNode;
  /// Shown as "Sign out" when given (signed in).
  on_sign_out?: (() => void) | undefined;
}

export function TopBar({ health, down = false, children, on_sign_out }: Props) {
  const degraded = down || (health !== undefined && health.status !== 'ok');
  return (
    <header className="topbar">
      <a
        className="wordmark"
        href="/"
        onClick={(event) => {
          event.preventDefault();
          navigate({ name: 'projects' });
        }}
      >
        <span className="wordmark-mark" aria-hidden="true" />
        atelier
      </a>
      {children}
      <span className="spacer" />
      <span className="health" title={health ? `hub ${health.version ?? ''}: ${health.status}` : undefined}>
        <span className={`health-dot${degraded ? ' down' : ''}`} aria-hidden="true" />
        {down ? 'hub unreachable' : health ? `hub ${health.version ?? ''}${health.status !== 'ok' ? ` · ${health.status}` : ''}` : ''}
      </span>
      {on_sign_out && (
        <button className="ghost small" onClick={on_sign_out} title="Forget this browser's sign-in">
          Sign out
        </button>
      )}
    </header>
  );
}
