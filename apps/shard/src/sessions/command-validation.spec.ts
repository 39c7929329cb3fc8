import { ErrorCodes, ForesightError } from '@foresight/contracts';
import { checkMeta, json, str } from './command-validation';

const codeOf = (run: () => unknown) => {
  try {
    run();
    return undefined;
  } catch (error) {
    return error instanceof ForesightError ? error.code : String(error);
  }
};

describe('shard command validation', () => {
  it('refuses strings a Postgres text column cannot hold (NUL, unpaired surrogates) with REQUEST.INVALID', () => {
    expect(codeOf(() => str({ userId: 'x\u0000' }, 'userId'))).toBe(ErrorCodes.VALIDATION);
    expect(codeOf(() => str({ userId: 'x\ud800' }, 'userId'))).toBe(ErrorCodes.VALIDATION);
    expect(() => str({ userId: 'x\u0000' }, 'userId')).toThrow(/"userId" contains a character that cannot be stored/);
    expect(str({ userId: 'ünï 😀' }, 'userId')).toBe('ünï 😀');
  });

  it('refuses NUL in the ids a write carries in its NATS headers (they reach Postgres text columns)', () => {
    const meta = { op: 'var.put', subject: 'fs.rpc.shard.n1', correlationId: 'c', causationId: 'k' };
    expect(codeOf(() => checkMeta(meta))).toBeUndefined();
    expect(codeOf(() => checkMeta({ ...meta, requestId: 'idem:abc' }))).toBeUndefined();
    expect(codeOf(() => checkMeta({ ...meta, correlationId: 'c\u0000' }))).toBe(ErrorCodes.VALIDATION);
    expect(codeOf(() => checkMeta({ ...meta, causationId: '\u0000' }))).toBe(ErrorCodes.VALIDATION);
    expect(codeOf(() => checkMeta({ ...meta, requestId: 'idem:\u0000' }))).toBe(ErrorCodes.VALIDATION);
  });

  it('keeps NUL inside variable values (stored as MessagePack bytes) but refuses unpaired surrogates there', () => {
    expect(json({ value: { 'k\u0000': 'a\u0000b' } }, 'value')).toEqual({ 'k\u0000': 'a\u0000b' });
    expect(codeOf(() => json({ value: ['\ud800'] }, 'value'))).toBe(ErrorCodes.VALIDATION);
    expect(codeOf(() => json({ value: { ['\udc00']: 1 } }, 'value'))).toBe(ErrorCodes.VALIDATION);
  });
});
