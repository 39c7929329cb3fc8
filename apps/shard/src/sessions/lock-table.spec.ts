import { ErrorCodes, ForesightError } from '@foresight/contracts';
import { LockTable, type LockGrant } from './lock-table';

const S = 'session-1';
const grant = (token: string, mode: LockGrant['mode'], expiresAt: number, extra: Partial<LockGrant> = {}): LockGrant => ({
  token,
  mode,
  holder: null,
  leaseMs: 1000,
  expiresAt,
  ...extra,
});
const codeOf = (f: () => unknown): string => {
  try {
    f();
    return 'ok';
  } catch (error) {
    return error instanceof ForesightError ? error.code : String(error);
  }
};

describe('LockTable', () => {
  let table: LockTable;
  beforeEach(() => {
    table = new LockTable(60_000);
  });

  describe('acquiring', () => {
    it('given an unlocked session, grants either mode', () => {
      expect(table.state(S, 0)).toBe('unlocked');
      expect(codeOf(() => table.checkAcquire(S, 'exclusive', 0))).toBe('ok');
      expect(codeOf(() => table.checkAcquire(S, 'shared', 0))).toBe('ok');
    });

    it('given a shared lock, grants more shared locks and refuses an exclusive one', () => {
      table.add(S, grant('a', 'shared', 1000));
      expect(codeOf(() => table.checkAcquire(S, 'shared', 10))).toBe('ok');
      table.add(S, grant('b', 'shared', 2000));
      expect(table.state(S, 10)).toBe('shared');
      expect(codeOf(() => table.checkAcquire(S, 'exclusive', 10))).toBe(ErrorCodes.LOCK_HELD);
    });

    it('given an exclusive lock, refuses both modes until it expires', () => {
      table.add(S, grant('a', 'exclusive', 1000));
      expect(codeOf(() => table.checkAcquire(S, 'shared', 999))).toBe(ErrorCodes.LOCK_HELD);
      expect(codeOf(() => table.checkAcquire(S, 'exclusive', 999))).toBe(ErrorCodes.LOCK_HELD);
      expect(codeOf(() => table.checkAcquire(S, 'exclusive', 1000))).toBe('ok');
      expect(table.state(S, 1000)).toBe('unlocked');
    });

    it('finds the grant of a retried acquisition by its request id while it is live', () => {
      table.add(S, grant('a', 'exclusive', 1000, { requestId: 'r1' }));
      expect(table.byRequest(S, 'r1', 10)?.token).toBe('a');
      expect(table.byRequest(S, 'r2', 10)).toBeUndefined();
      expect(table.byRequest(S, undefined, 10)).toBeUndefined();
      expect(table.byRequest(S, 'r1', 1000)).toBeUndefined();
    });
  });

  describe('renewing', () => {
    it('extends a live lock from now, never shortening it', () => {
      table.add(S, grant('a', 'exclusive', 1000));
      expect(table.renew(S, 'a', 1000, 900).expiresAt).toBe(1900);
      expect(table.renew(S, 'a', 100, 950).expiresAt).toBe(1900);
      expect(table.state(S, 1899)).toBe('exclusive');
    });

    it('refuses an expired lock as LOCK.EXPIRED and a token never issued as LOCK.NOT_HOLDER', () => {
      table.add(S, grant('a', 'exclusive', 1000));
      expect(codeOf(() => table.renew(S, 'a', 1000, 1000))).toBe(ErrorCodes.LOCK_EXPIRED);
      expect(codeOf(() => table.renew(S, 'zzz', 1000, 10))).toBe(ErrorCodes.LOCK_NOT_HOLDER);
      expect(codeOf(() => table.renew('other-session', 'a', 1000, 10))).toBe(ErrorCodes.LOCK_NOT_HOLDER);
    });
  });

  describe('releasing', () => {
    it('frees the session; releasing again is harmless; an unknown token is LOCK.NOT_HOLDER', () => {
      table.add(S, grant('a', 'exclusive', 1000));
      expect(table.release(S, 'a', 10)?.token).toBe('a');
      expect(table.state(S, 10)).toBe('unlocked');
      expect(table.release(S, 'a', 20)).toBeUndefined();
      expect(codeOf(() => table.release(S, 'b', 20))).toBe(ErrorCodes.LOCK_NOT_HOLDER);
    });

    it('releasing one shared lock leaves the others', () => {
      table.add(S, grant('a', 'shared', 1000));
      table.add(S, grant('b', 'shared', 1000));
      table.release(S, 'a', 10);
      expect(table.state(S, 10)).toBe('shared');
    });
  });

  describe('writes', () => {
    it('given an unlocked session, accepts writes without a token', () => {
      expect(codeOf(() => table.checkWrite(S, undefined, 0))).toBe('ok');
    });

    it('given an exclusive lock, accepts only writes with its token', () => {
      table.add(S, grant('a', 'exclusive', 1000));
      expect(codeOf(() => table.checkWrite(S, 'a', 10))).toBe('ok');
      expect(codeOf(() => table.checkWrite(S, undefined, 10))).toBe(ErrorCodes.LOCK_HELD);
      expect(codeOf(() => table.checkWrite(S, 'forged', 10))).toBe(ErrorCodes.LOCK_TOKEN_INVALID);
    });

    it('given shared locks, refuses every write, a shared holder included', () => {
      table.add(S, grant('a', 'shared', 1000));
      expect(codeOf(() => table.checkWrite(S, undefined, 10))).toBe(ErrorCodes.LOCK_HELD);
      expect(codeOf(() => table.checkWrite(S, 'a', 10))).toBe(ErrorCodes.LOCK_HELD);
    });

    it('refuses the late write of a holder whose lock expired, even though the session is now unlocked', () => {
      table.add(S, grant('a', 'exclusive', 1000));
      expect(codeOf(() => table.checkWrite(S, 'a', 1000))).toBe(ErrorCodes.LOCK_EXPIRED);
      expect(codeOf(() => table.checkWrite(S, undefined, 1000))).toBe('ok');
    });

    it('refuses a write with the token of a released lock, and with a token of another session', () => {
      table.add(S, grant('a', 'exclusive', 1000));
      table.add('s2', grant('b', 'exclusive', 1000));
      table.release(S, 'a', 10);
      expect(codeOf(() => table.checkWrite(S, 'a', 20))).toBe(ErrorCodes.LOCK_EXPIRED);
      expect(codeOf(() => table.checkWrite(S, 'b', 20))).toBe(ErrorCodes.LOCK_TOKEN_INVALID);
    });

    it('given a new exclusive holder, the previous holder stays refused', () => {
      table.add(S, grant('a', 'exclusive', 1000));
      table.add(S, grant('b', 'exclusive', 3000));
      expect(codeOf(() => table.checkWrite(S, 'a', 1500))).toBe(ErrorCodes.LOCK_EXPIRED);
      expect(codeOf(() => table.checkWrite(S, 'b', 1500))).toBe('ok');
    });
  });

  describe('sweeping and ownership', () => {
    it('reports expired grants once, and forgets ended tokens after the retention', () => {
      table.add(S, grant('a', 'exclusive', 1000));
      table.add('s2', grant('b', 'shared', 5000));
      expect(table.sweep(1000)).toEqual([{ sessionId: S, token: 'a' }]);
      expect(table.sweep(1001)).toEqual([]);
      expect(table.lockedSessions).toBe(1);
      expect(codeOf(() => table.checkWrite(S, 'a', 2000))).toBe(ErrorCodes.LOCK_EXPIRED);
      table.sweep(1000 + 60_000);
      expect(codeOf(() => table.checkWrite(S, 'a', 61_001))).toBe(ErrorCodes.LOCK_TOKEN_INVALID);
    });

    it('install replaces what is held (a new owner reading the recorded grants); dropWhere forgets sessions', () => {
      table.add(S, grant('a', 'shared', 1000));
      table.install(S, [grant('x', 'exclusive', 9000)]);
      expect(table.state(S, 10)).toBe('exclusive');
      expect(table.dropWhere((id) => id === S)).toBe(1);
      expect(table.state(S, 10)).toBe('unlocked');
    });
  });
});
