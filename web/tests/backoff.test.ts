// SPDX-License-Identifier: Apache-2.0
import { describe, expect, it } from 'vitest';
import { backoff_ceiling, backoff_delay } from '../src/protocol/backoff';

const policy = { base_ms: 500, cap_ms: 10_000 };

describe('backoff', () => {
  it('doubles from 0.5 s and caps at 10 s', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 40].map((n) => backoff_ceiling(n, policy))).toEqual([
      500, 1000, 2000, 4000, 8000, 10_000, 10_000, 10_000,
    ]);
  });

  it('keeps every jittered delay between half the ceiling and the ceiling', () => {
    for (let attempt = 0; attempt < 10; attempt++) {
      const ceiling = backoff_ceiling(attempt, policy);
      for (const r of [0, 0.25, 0.5, 0.999999]) {
        const delay = backoff_delay(attempt, policy, () => r);
        expect(delay).toBeGreaterThanOrEqual(ceiling / 2);
        expect(delay).toBeLessThanOrEqual(ceiling);
      }
    }
  });

  it('spreads delays with the random source', () => {
    expect(backoff_delay(2, policy, () => 0)).toBe(1000);
    expect(backoff_delay(2, policy, () => 0.5)).toBe(1500);
    expect(backoff_delay(2, policy, () => 0.999999)).toBe(2000);
  });

  it('treats negative attempts as the first', () => {
    expect(backoff_ceiling(-3, policy)).toBe(500);
  });
});
