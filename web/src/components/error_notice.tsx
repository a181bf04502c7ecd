// SPDX-License-Identifier: Apache-2.0
import { ApiError } from '../api/http';

interface Props {
  error: unknown;
  action?: string;
  on_dismiss?: () => void;
}

/// An API error as "what failed: the hub's message (code)".
export function ErrorNotice({ error, action, on_dismiss }: Props) {
  const message = error instanceof Error ? error.message : String(error);
  const code = error instanceof ApiError && !error.code.startsWith('http_') ? error.code : undefined;
  return (
    <div className="error-notice" role="alert">
      <div style={{ flex: 1 }}>
        {action && <strong>{action}: </strong>}
        {message}
        {code && (
          <>
            {' '}
            <code>{code}</code>
          </>
        )}
      </div>
      {on_dismiss && (
        <button className="ghost small" onClick={on_dismiss} aria-label="Dismiss">
          ✕
        </button>
      )}
    </div>
  );
}
