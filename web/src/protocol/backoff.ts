// SPDX-License-Identifier: Apache-2.0
/// Reconnect delays: exponential with "equal jitter" — the delay for attempt n (0-based) lies in
/// [base·2ⁿ / 2, base·2ⁿ], capped at `cap_ms`. Half the delay is guaranteed, so a crowd of tabs
/// reconnecting after a hub restart spreads out without any tab retrying at once.

export interface BackoffPolicy {
  base_ms: number;
  cap_ms: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { base_ms: 500, cap_ms: 10_000 };

/// The upper bound of the delay before attempt `attempt` (0-based), before jitter.
export function backoff_ceiling(attempt: number, policy: BackoffPolicy = DEFAULT_BACKOFF): number {
  const exponent = Math.min(Math.max(0, attempt), 30);
  return Math.min(policy.cap_ms, policy.base_ms * 2 ** exponent);
}

/// The delay before attempt `attempt`; `random` returns a number in [0, 1) and is injectable for tests.
export function backoff_delay(
  attempt: number,
  policy: BackoffPolicy = DEFAULT_BACKOFF,
  random: () => number = Math.random,
): number {
  const ceiling = backoff_ceiling(attempt, policy);
  const half = ceiling / 2;
  return Math.round(half + half * random());
}
