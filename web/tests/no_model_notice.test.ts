// SPDX-License-Identifier: Apache-2.0
import { describe, expect, it } from 'vitest';
import { split_notice } from '../src/components/no_model_notice';

describe('split_notice', () => {
  it("keeps the hub's first sentence up front and the how-to for later", () => {
    const { head, rest } = split_notice(
      'No model is configured: no model provider is set, so natural-language turns are off; direct tool commands still work. To turn the agent on, set [model] in the config file.',
    );
    expect(head).toBe('No model is configured: no model provider is set, so natural-language turns are off; direct tool commands still work.');
    expect(rest).toBe('To turn the agent on, set [model] in the config file.');
  });

  it('leaves a one-sentence message whole, and does not split inside values like 127.0.0.1', () => {
    expect(split_notice('this hub runs without an agent')).toEqual({ head: 'this hub runs without an agent', rest: '' });
    expect(split_notice('set base_url = http://127.0.0.1:8080/v1 first')).toEqual({ head: 'set base_url = http://127.0.0.1:8080/v1 first', rest: '' });
  });
});
