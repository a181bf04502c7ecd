import { useState, type FormEvent } from 'react';

/// Token sign-in. The hub turns `/?token=…` into an HttpOnly cookie and redirects to `/`; the token
/// is checked first with a Bearer request so a typo gets a message here, not a JSON error page.
export function SignInPage() {
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
    <main className="center-page">
      <form className="card signin" onSubmit={submit} aria-labelledby="signin-title">
        <div className="row" style={{ gap: 12 }}>
          <span className="wordmark-mark" style={{ width: 34, height: 34, borderRadius: 9 }} aria-hidden="true" />
          <div>
            <h1 id="signin-title">Sign in to atelier</h1>
            <p>This hub needs its access token.</p>
          </div>
        </div>
        <label>
          <div className="field-label">Access token</div>
          <input
            type="password"
            autoComplete="current-password"
            spellCheck={false}
            value={token}
            onChange={(event) => set_token(event.target.value)}
            placeholder="paste the token"
            autoFocus
            aria-invalid={error !== null}
            aria-describedby={error ? 'signin-error' : undefined}
          />
        </label>
        {error && (
          <div className="error-notice" id="signin-error" role="alert">
            {error}
          </div>
        )}
        <button className="primary" type="submit" disabled={busy || token.trim() === ''} style={{ height: 36 }}>
          {busy ? 'Checking…' : 'Sign in'}
        </button>
        <p className="signin-hint">
          The link printed by <code>make run</code> signs you in directly. The token is also in the hub's data
          directory (<code>~/.local/share/atelier/token</code>) or in <code>ATELIER_TOKEN</code>.
        </p>
      </form>
    </main>
  );
}
