import { ErrorCodes, ForesightError } from '@foresight/contracts';
import { checkMeta, shardRequests } from './shard-requests';

const SID = 'AbCdEfGhIjKlMnOpQrStUvWxYz012345';

const refusal = (run: () => unknown) => {
  try {
    run();
    return undefined;
  } catch (error) {
    return error instanceof ForesightError ? [error.code, error.message] : String(error);
  }
};

describe('shard command checks', () => {
  it('refuse strings a Postgres text column cannot hold (NUL, unpaired surrogates) with REQUEST.INVALID', () => {
    for (const userId of ['x\u0000', 'x\ud800']) {
      expect(refusal(() => shardRequests['session.create'].parse({ sessionId: SID, userId, groups: {} }))).toEqual([
        ErrorCodes.VALIDATION,
        '"userId" contains a character that cannot be stored: NUL (\\u0000) or an unpaired UTF-16 surrogate. Remove it.',
      ]);
    }
    expect(shardRequests['session.create'].parse({ sessionId: SID, userId: 'ünï 😀', groups: {} }).userId).toBe('ünï 😀');
  });

  it('refuse NUL in the ids a write carries in its NATS headers (they reach Postgres text columns)', () => {
    const meta = { op: 'var.put', subject: 'fs.rpc.shard.n1', correlationId: 'c', causationId: 'k' };
    expect(refusal(() => checkMeta(meta))).toBeUndefined();
    expect(refusal(() => checkMeta({ ...meta, requestId: 'idem:abc' }))).toBeUndefined();
    expect(refusal(() => checkMeta({ ...meta, correlationId: 'c\u0000' }))).toEqual([
      ErrorCodes.VALIDATION,
      expect.stringMatching(/^"Fs-Correlation-Id header" contains/),
    ]);
    expect(refusal(() => checkMeta({ ...meta, causationId: '\u0000' }))?.[0]).toBe(ErrorCodes.VALIDATION);
    expect(refusal(() => checkMeta({ ...meta, requestId: 'idem:\u0000' }))?.[0]).toBe(ErrorCodes.VALIDATION);
  });

  it('keep NUL inside variable values (stored as MessagePack bytes) but refuse unpaired surrogates there', () => {
    const put = (value: unknown) => ({ sessionId: SID, group: 'cart', name: 'v', value });
    expect(shardRequests['var.put'].parse(put({ 'k\u0000': 'a\u0000b' })).value).toEqual({ 'k\u0000': 'a\u0000b' });
    expect(refusal(() => shardRequests['var.put'].parse(put(['\ud800'])))?.[0]).toBe(ErrorCodes.VALIDATION);
    expect(refusal(() => shardRequests['var.put'].parse(put({ ['\udc00']: 1 })))?.[0]).toBe(ErrorCodes.VALIDATION);
  });

  it("check the cache ops' keys and contexts", () => {
    expect(shardRequests['data.get'].parse({ sessionId: SID, key: 'a'.repeat(512) }).key).toHaveLength(512);
    for (const key of [undefined, '', 'a b', 'a*', 'é', 'a'.repeat(513), 42]) {
      expect([key, refusal(() => shardRequests['data.get'].parse({ sessionId: SID, key }))?.[0]]).toEqual([key, ErrorCodes.VALIDATION]);
    }
    expect(shardRequests['data.prefetch'].parse({ sessionId: SID, action: 'home', context: { userId: 'u1', page: 2 } }).context).toEqual({
      userId: 'u1',
      page: 2,
    });
    for (const context of [{ nested: { a: 1 } }, ['a'], { 'bad key': 'x' }]) {
      expect(refusal(() => shardRequests['data.prefetch'].parse({ sessionId: SID, action: 'home', context }))?.[0]).toBe(ErrorCodes.VALIDATION);
    }
  });
});
