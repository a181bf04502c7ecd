// SPDX-License-Identifier: Apache-2.0
import { useCallback, useEffect, useState } from 'react';
import { ApiError, describe_error } from '../api/http';
import { hub, type Health } from '../api/projects';
import { navigate, use_route } from '../lib/router';
import { HubDown } from './hub_down';
import { ProjectsPage } from './projects_page';
import { SignInPage, take_link_error } from './sign_in_page';
import { StudioPage } from './studio_page';
import { TopBar } from './top_bar';

type AuthState =
  | { kind: 'checking' }
  | { kind: 'signed_in'; health?: Health }
  | { kind: 'signed_out'; health?: Health }
  | { kind: 'hub_down'; message: string };

/// Checks the hub and the sign-in once (health is public, the projects list needs the cookie),
/// then shows the projects or the studio; any 401 later sends the user back to sign-in.
export function App() {
  const route = use_route();
  const [auth, set_auth] = useState<AuthState>({ kind: 'checking' });
  const [link_error] = useState(() => take_link_error(window.location, window.history));

  const check = useCallback(async () => {
    set_auth({ kind: 'checking' });
    let health: Health | undefined;
    try {
      health = await hub.health();
    } catch (error) {
      // 503 "degraded" still has a body worth showing; anything else means no hub.
      if (!(error instanceof ApiError) || error.status === 0) {
        set_auth({ kind: 'hub_down', message: describe_error(error) });
        return;
      }
    }
    try {
      await hub.list_projects();
      set_auth({ kind: 'signed_in', ...(health ? { health } : {}) });
    } catch (error) {
      if (error instanceof ApiError && error.unauthorized) set_auth({ kind: 'signed_out', ...(health ? { health } : {}) });
      else if (error instanceof ApiError && error.status === 0) set_auth({ kind: 'hub_down', message: describe_error(error) });
      // Any other answer means we are signed in; the projects page shows its error.
      else set_auth({ kind: 'signed_in', ...(health ? { health } : {}) });
    }
  }, []);

  useEffect(() => {
    void check();
  }, [check]);

  const on_unauthorized = useCallback(() => set_auth((current) => ({ kind: 'signed_out', ...('health' in current && current.health ? { health: current.health } : {}) })), []);
  const sign_out = useCallback(async () => {
    try {
      await hub.logout();
    } catch {
      // The cookie is HttpOnly: only the hub can clear it. Show the sign-in page anyway.
    }
    navigate({ name: 'projects' });
    void check();
  }, [check]);
  const health = auth.kind === 'signed_in' || auth.kind === 'signed_out' ? auth.health : undefined;

  if (auth.kind === 'signed_in' && route.name === 'studio') {
    return <StudioPage key={route.project_id} project_id={route.project_id} health={health} on_unauthorized={on_unauthorized} on_sign_out={sign_out} />;
  }
  return (
    <div className="app">
      <TopBar health={health} down={auth.kind === 'hub_down'} {...(auth.kind === 'signed_in' ? { on_sign_out: sign_out } : {})} />
      {auth.kind === 'checking' && (
        <main className="center-page" aria-busy="true">
          <div className="spinner" aria-label="Connecting to the hub" />
        </main>
      )}
      {auth.kind === 'hub_down' && <HubDown message={auth.message} on_retry={check} />}
      {auth.kind === 'signed_out' && <SignInPage accounts={health?.accounts} on_signed_in={check} link_error={link_error} />}
      {auth.kind === 'signed_in' && <ProjectsPage on_unauthorized={on_unauthorized} />}
    </div>
  );
}
