import { fuzzCli } from './cli';
import { checkAnswer, generateRequests } from './http-fuzz';

describe('npm run fuzz', () => {
  it('takes a count and a seed, with defaults for the rest', () => {
    expect(fuzzCli.parse(['--count', '100000', '--seed', '7'])).toMatchObject({ count: 100_000, seed: 7, concurrency: 8, sessions: 20, shardNodes: 1 });
    expect(() => fuzzCli.parse(['--count', '0'])).toThrow(/--count/);
  });

  it('sends the same requests for the same seed, over many routes', () => {
    const ctx = { sessionIds: ['AbCdEfGhIjKlMnOpQrStUvWxYz012345'], apiKey: 'dev-key', groups: ['cart'] };
    const a = generateRequests(ctx, 300, 5);
    expect(generateRequests(ctx, 300, 5)).toEqual(a);
    expect(new Set(a.map((r) => `${r.method} ${r.path.split('/').slice(0, 3).join('/')}`)).size).toBeGreaterThan(5);
  });

  it('flags a 5xx and an error outside the envelope, not a documented error', () => {
    const envelope = JSON.stringify({ error: { code: 'REQUEST.INVALID', message: 'The request body must be…', correlationId: 'c' } });
    expect(checkAnswer(400, 'application/json; charset=utf-8', envelope, 'POST')).toBeUndefined();
    expect(checkAnswer(502, 'application/json', envelope, 'GET')).toBe('status 502');
    expect(checkAnswer(404, 'application/json', '{"message":"Not Found"}', 'GET')).toMatch(/outside the envelope/);
    expect(checkAnswer(400, 'text/html', '<h1>', 'GET')).toMatch(/content-type/);
  });
});
