import { MAX_KEY_LENGTH } from '@foresight/cache-core';
import { Limits, MAX_PATH_PARAM_LENGTH, isTraceId } from '@foresight/contracts';
import { VARIABLE_NAME } from '@foresight/session-domain';

describe('input limits', () => {
  it('match what the shard accepts as variable names and data keys', () => {
    expect(VARIABLE_NAME.test('n'.repeat(Limits.variableNameLength))).toBe(true);
    expect(VARIABLE_NAME.test('n'.repeat(Limits.variableNameLength + 1))).toBe(false);
    expect(MAX_KEY_LENGTH).toBe(Limits.dataKeyLength);
  });

  it('let the router take every documented parameter, even fully percent-encoded', () => {
    expect(MAX_PATH_PARAM_LENGTH).toBeGreaterThanOrEqual(3 * Limits.dataKeyLength);
    expect(MAX_PATH_PARAM_LENGTH).toBeGreaterThanOrEqual(3 * Limits.variableNameLength);
  });

  it('keep correlation ids to 1-128 visible ASCII characters', () => {
    expect(isTraceId('c'.repeat(128))).toBe(true);
    expect(isTraceId('4b7f6c1e-2a51-4f43-9a53-0f5cf4b1d6c2')).toBe(true);
    for (const bad of ['', 'c'.repeat(129), 'has space', 'tab\there', 'ünï', 'a\u0000b', undefined, 42, ['a']]) expect(isTraceId(bad)).toBe(false);
  });
});
