import { behaviourFor, item, parseRules } from './behaviour';

const defaults = { latencyMs: 20, payloadBytes: 100, failureRate: 0 };

describe('example origin behaviour', () => {
  it('applies the longest matching rule over the defaults', () => {
    const rules = [
      { prefix: 'slow:', latencyMs: 3000 },
      { prefix: 'slow:very:', latencyMs: 9000, status: 500 },
    ];
    expect(behaviourFor('fast:1', defaults, rules)).toEqual(defaults);
    expect(behaviourFor('slow:1', defaults, rules)).toEqual({ ...defaults, latencyMs: 3000 });
    expect(behaviourFor('slow:very:1', defaults, rules)).toEqual({ ...defaults, latencyMs: 9000, status: 500 });
  });

  it('refuses malformed rules with a sentence', () => {
    expect(parseRules({ rules: [{ prefix: 'a', latencyMs: 5 }] })).toEqual([{ prefix: 'a', latencyMs: 5 }]);
    expect(typeof parseRules({})).toBe('string');
    expect(typeof parseRules({ rules: [{ latencyMs: 5 }] })).toBe('string');
    expect(typeof parseRules({ rules: [{ prefix: 'a', failureRate: 2 }] })).toBe('string');
  });

  it('pads items to the configured size', () => {
    const body = item('product:1', 3, 500, 0);
    expect(body.length).toBe(500);
    expect(JSON.parse(body)).toMatchObject({ key: 'product:1', version: 3 });
    expect(JSON.parse(item('k', 1, 0, 0)).key).toBe('k');
  });
});
