import { ErrorCodes, ForesightError } from '@foresight/contracts';
import { modelRequest, predictRequest, predictionCount } from './request-validation';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return error instanceof ForesightError ? error.code : 'other';
  }
  return undefined;
}

describe('prediction request validation', () => {
  it('accepts n from 1 to 50 and defaults it to 5', () => {
    expect(predictionCount(undefined)).toBe(5);
    expect(predictionCount(1)).toBe(1);
    expect(predictionCount(50)).toBe(50);
  });

  it.each([0, 51, -1, 2.5, '3', Number.NaN, {}])('refuses n = %p with REQUEST.INVALID', (n) => {
    expect(codeOf(() => predictionCount(n))).toBe(ErrorCodes.VALIDATION);
  });

  it('refuses requests that are not maps or lack a usable session id', () => {
    for (const raw of [null, 'x', 42, [], {}, { sessionId: 7 }, { sessionId: 'a b' }, { sessionId: 'x'.repeat(65) }]) {
      expect(codeOf(() => predictRequest(raw))).toBe(ErrorCodes.VALIDATION);
    }
    expect(predictRequest({ sessionId: 'abc', n: 2 })).toEqual({ sessionId: 'abc', n: 2 });
  });

  it('reads model requests', () => {
    expect(modelRequest(undefined)).toEqual({ modelVersion: undefined, chunk: 0 });
    expect(modelRequest({ modelVersion: 'v2', chunk: 3 })).toEqual({ modelVersion: 'v2', chunk: 3 });
    expect(codeOf(() => modelRequest({ chunk: -1 }))).toBe(ErrorCodes.VALIDATION);
    expect(codeOf(() => modelRequest({ modelVersion: 5 }))).toBe(ErrorCodes.VALIDATION);
  });
});
