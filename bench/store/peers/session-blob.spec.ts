import { newBlob, readVar, validateCreateBody, writeVar } from './session-blob';

const START = Date.UTC(2025, 0, 1);

describe('session blob', () => {
  it('creates an express-session shaped record with version 1', () => {
    const blob = newBlob({ userId: 'u1', data: { cart: { items: [] } } }, START, 60);
    expect(blob.version).toBe(1);
    expect(blob.userId).toBe('u1');
    expect(blob.cookie).toMatchObject({ originalMaxAge: 60_000, expires: '2025-01-01T00:01:00.000Z', path: '/' });
  });

  it('reads a variable with the session version, and nothing for a missing one', () => {
    const blob = newBlob({ data: { cart: { coupon: null } } }, START, 60);
    expect(readVar(blob, 'cart', 'coupon')).toEqual({ value: null, version: 1 });
    expect(readVar(blob, 'cart', 'items')).toBeUndefined();
    expect(readVar(blob, 'auth', 'coupon')).toBeUndefined();
    expect(readVar(blob, 'cart', 'toString')).toBeUndefined();
  });

  it('writes a copy with the variable set, the version bumped and the expiry rolled', () => {
    const blob = newBlob({ data: { cart: { items: [1], currency: 'EUR' } } }, START, 60);
    const next = writeVar(blob, 'cart', 'items', [1, 2], START + 30_000);
    expect(next.data).toEqual({ cart: { items: [1, 2], currency: 'EUR' } });
    expect(next.version).toBe(2);
    expect(next.cookie.expires).toBe('2025-01-01T00:01:30.000Z');
    expect(blob.data.cart?.items).toEqual([1]);
  });

  it('creates a missing group on write', () => {
    const next = writeVar(newBlob({}, START, 60), 'settings', 'theme', 'dark', START);
    expect(readVar(next, 'settings', 'theme')).toEqual({ value: 'dark', version: 2 });
  });

  it('validates the create body', () => {
    expect(validateCreateBody(undefined)).toBeUndefined();
    expect(validateCreateBody({ userId: 'u', data: { cart: {} } })).toBeUndefined();
    expect(validateCreateBody([])).toMatch(/JSON object/);
    expect(validateCreateBody({ userId: 3 })).toMatch(/userId/);
    expect(validateCreateBody({ data: { cart: 5 } })).toMatch(/Group "cart"/);
  });
});
