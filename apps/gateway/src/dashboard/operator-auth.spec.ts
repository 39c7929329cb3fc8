import { ErrorCodes } from '@foresight/contracts';
import { OperatorAuth, presentedKey } from './operator-auth';

const basic = (user: string, password: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` });

describe('operator keys of the dashboard', () => {
  const auth = new OperatorAuth(['op-key', 'op-key-2'], ['backend-key']);

  it('lets in an operator key in x-operator-key or as the Basic password, whatever the user name', () => {
    expect(auth.check({ 'x-operator-key': 'op-key' })).toEqual({ ok: true });
    expect(auth.check(basic('alice', 'op-key-2'))).toEqual({ ok: true });
    expect(auth.check(basic('', 'op-key'))).toEqual({ ok: true });
  });

  it('answers 401 UNAUTHENTICATED without a key or with an unknown one', () => {
    expect(auth.check({})).toMatchObject({ ok: false, code: ErrorCodes.UNAUTHENTICATED, message: expect.stringMatching(/needs an operator key/) });
    expect(auth.check({ 'x-operator-key': 'op-ke' })).toMatchObject({ ok: false, code: ErrorCodes.UNAUTHENTICATED, message: expect.stringMatching(/Unknown/) });
    expect(auth.check(basic('op-key', ''))).toMatchObject({ ok: false, code: ErrorCodes.UNAUTHENTICATED });
    expect(auth.check({ authorization: 'Bearer op-key' })).toMatchObject({ ok: false, code: ErrorCodes.UNAUTHENTICATED });
  });

  it('answers 403 FORBIDDEN to a back-end API key, however it is sent', () => {
    expect(auth.check({ 'x-api-key': 'backend-key' })).toMatchObject({ ok: false, code: ErrorCodes.FORBIDDEN });
    expect(auth.check({ 'x-operator-key': 'backend-key' })).toMatchObject({ ok: false, code: ErrorCodes.FORBIDDEN });
    expect(auth.check(basic('x', 'backend-key'))).toMatchObject({ ok: false, code: ErrorCodes.FORBIDDEN });
    expect(auth.check({ 'x-api-key': 'not-a-key' })).toMatchObject({ ok: false, code: ErrorCodes.UNAUTHENTICATED });
  });

  it('reads the password after the first colon only', () => {
    expect(presentedKey(basic('user', 'pass:with:colons'))).toBe('pass:with:colons');
    expect(presentedKey({ authorization: 'Basic !!!' })).toBeUndefined();
  });
});
