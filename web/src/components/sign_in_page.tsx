// SPDX-License-Identifier: Apache-2.0
import { useState, type FormEvent } from 'react';
import { ApiError } from '../api/http';
import { hub } from '../api/projects';

interface Props {
  /// The hub has user accounts: offer user name and password above the token.
  accounts?: boolean | undefined;
  /// After a password sign-in (the hub has set its cookie): check again and go on.
  on_signed_in: () => void;
  /// Why the sign-in link that led here did not sign in (take_link_error).
  link_error?: string | undefined;
}

/// The query parameter with which the hub sends a browser back from a sign-in link whose token it
/// refused (`/?token=wrong` → 302 `/?signin=invalid_token`), instead of a JSON error page.
export const LINK_ERROR_PARAM = 'signin';

/// What the sign-in page says about the link that brought the browser here, if anything; the
/// parameter is taken off the address so a reload does not say it again.
export function take_link_error(location: Location, history: History): string | undefined {
  const params = new URLSearchParams(location.search);
  const code = params.get(LINK_ERROR_PARAM);
  if (!code) return undefined;
  params.delete(LINK_ERROR_PARAM);
  const rest = params.toString();
  history.replaceState(history.state, '', `${location.pathname}${rest ? `?${rest}` : ''}${location.hash}`);
  return code === 'invalid_token' ? 'That link’s token is not valid for this hub. Ask for a new link, or paste a token below.' : 'That sign-in link did not work.';
}

/// What a failed password sign-in says. The hub never tells which of the two was wrong.
export function sign_in_error(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.status === 401) return 'Wrong user name or password.';
    if (error.status === 429) return `${error.message.charAt(0).toUpperCase()}${error.message.slice(1)}.`;
    if (error.status === 0) return error.message;
    return `Signing in failed: ${error.message}`;
  }
  return 'Signing in failed.';
}

/// Sign-in: with user name and password where the hub has accounts (`POST /api/login` sets the
/// session cookie), and always with the hub's access token. The hub turns `/?token=…` into an
/// HttpOnly cookie and redirects to `/`; the token is checked first with a Bearer request so a
/// typo gets a message here, not a JSON error page.
export function SignInPage({ accounts = false, on_signed_in, link_error }: Props) {
  return (
    <main className="center-page">
      <div className="card signin">
        <div className="row" style={{ gap: 12 }}>
          <span className="wordmark-mark" style={{ width: 34, height: 34, borderRadius: 9 }} aria-hidden="true" />
          <div>
            <h1 id="signin-title">Sign in to atelier</h1>
            <p>{accounts ? 'With your account, or with an access token.' : 'This hub needs its access token.'}</p>
          </div>
        </div>
        {link_error && (
          <div className="signin-link-error" role="alert">
            {link_error}
          </div>
        )}
        {accounts && <PasswordForm on_signed_in={on_signed_in} />}
        {accounts && (
          <div className="signin-divider" role="separator">
            <span>or with a token</span>
          </div>
        )}
        <TokenForm only={!accounts} />
      </div>
    </main>
  );
}

function PasswordForm({ on_signed_in }: { on_signed_in: () => void }) {
  const [username, set_username] = useState('');
  const [password, set_password] = useState('');
  const [error, set_error] = useState<string | null>(null);
  const [busy, set_busy] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!username.trim() || !password) return;
    set_busy(true);
    set_error(null);
    try {
      await hub.login(username.trim(), password);
      on_signed_in();
    } catch (failure) {
      set_error(sign_in_error(failure));
      set_busy(false);
    }
  };

  return (
    <form className="signin-form" onSubmit={submit} aria-label="Sign in with your account">
      <label>
        <div className="field-label">User name</div>
        <input
          autoComplete="username"
          spellCheck={false}
          value={username}
          onChange={(event) => set_username(event.target.value)}
          autoFocus
          maxLength={200}
        />
      </label>
      <label>
        <div className="field-label">Password</div>
        <input
          type="password"
          autoComplete="current-password"
          value={password}
          onChange={(event) => set_password(event.target.value)}
          aria-invalid={error !== null}
          aria-describedby={error ? 'signin-password-error' : undefined}
        />
      </label>
      {error && (
        <div className="error-notice" id="signin-password-error" role="alert">
          {error}
        </div>
      )}
      <button className="primary" type="submit" disabled={busy || !username.trim() || !password} style={{ height: 36 }}>
        {busy ? 'Signing in…' : 'Sign in'}
      </button>
    </form>
  );
}

/// `only`: the one way to sign in here (no accounts), so it is the primary action.
function TokenForm({ only }: { only: boolean }) {
  const [token, set_token] = useState('');
  const [error, set_error] = useState<string | null>(null);
  const [busy, set_busy] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const value = token.trim();
    if (!value) return;
    set_busy(true);
    set_error(null);
    try {
      const response = await fetch('/api/projects', { headers: { Authorization: `Bearer ${value}` } });
      if (response.status === 401) {
        set_error('That token is not valid for this hub.');
        set_busy(false);
        return;
      }
    } catch {
      // The hub is unreachable; let the navigation show what happens.
    }
    window.location.href = `/?token=${encodeURIComponent(value)}`;
  };

  return (
    <form className="signin-form" onSubmit={submit} aria-label="Sign in with a token">
      <label>
        <div className="field-label">Access token</div>
        <input
          type="password"
          autoComplete="off"
          spellCheck={false}
          value={token}
          onChange={(event) => set_token(event.target.value)}
          placeholder="paste the token"
          autoFocus={only}
          aria-invalid={error !== null}
          aria-describedby={error ? 'signin-error' : undefined}
        />
      </label>
      {error && (
        <div className="error-notice" id="signin-error" role="alert">
          {error}
        </div>
      )}
      <button className={only ? 'primary' : ''} type="submit" disabled={busy || token.trim() === ''} style={{ height: 36 }}>
        {busy ? 'Checking…' : only ? 'Sign in' : 'Sign in with the token'}
      </button>
      <p className="signin-hint">
        The link printed by <code>make run</code> signs you in directly. The token is also in the hub's data
        directory (<code>~/.local/share/atelier/token</code>) or in <code>ATELIER_TOKEN</code>.
      </p>
    </form>
  );
}
