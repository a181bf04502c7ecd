// SPDX-License-Identifier: Apache-2.0
/// REST calls to the hub (DESIGN §12). The browser authenticates with the HttpOnly cookie the hub
/// set at `/?token=`; errors arrive as `{"error": {"code", "message"}}` and become ApiError.

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  get unauthorized(): boolean {
    return this.status === 401;
  }
}

export type Fetch = (input: string, init?: RequestInit) => Promise<Response>;

let fetch_impl: Fetch = (input, init) => fetch(input, init);

/// Tests swap in a fake.
export function set_fetch(f: Fetch): void {
  fetch_impl = f;
}

async function error_from(response: Response): Promise<ApiError> {
  let code = `http_${response.status}`;
  let message = response.statusText || `the hub answered ${response.status}`;
  try {
    const body = (await response.json()) as { error?: { code?: string; message?: string } };
    if (body.error?.code) code = body.error.code;
    if (body.error?.message) message = body.error.message;
  } catch {
    // Not JSON (a proxy's error page, say): keep the status line.
  }
  return new ApiError(response.status, code, message);
}

export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  let response: Response;
  try {
    response = await fetch_impl(path, {
      method,
      credentials: 'same-origin',
      headers: body === undefined ? { Accept: 'application/json' } : { Accept: 'application/json', 'Content-Type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  } catch {
    throw new ApiError(0, 'network', 'the hub does not answer — is `atelier serve` running?');
  }
  if (!response.ok) throw await error_from(response);
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

export function describe_error(error: unknown): string {
  if (error instanceof ApiError) return error.code.startsWith('http_') ? error.message : `${error.message} (${error.code})`;
  if (error instanceof Error) return error.message;
  return String(error);
}
