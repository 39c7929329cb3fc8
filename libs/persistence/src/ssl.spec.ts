import { pgSsl } from './ssl';

describe('pgSsl', () => {
  it('maps the modes onto the driver: require encrypts, verify-ca checks the chain, verify-full the host name too', () => {
    expect(pgSsl(undefined)).toBe(false);
    expect(pgSsl({ mode: 'disable', ca: 'CA' })).toBe(false);
    expect(pgSsl({ mode: 'require' })).toEqual({ rejectUnauthorized: false });
    expect(pgSsl({ mode: 'verify-ca', ca: 'CA' })).toMatchObject({ rejectUnauthorized: true, ca: 'CA', checkServerIdentity: expect.any(Function) });
    expect(pgSsl({ mode: 'verify-full', ca: 'CA' })).toEqual({ rejectUnauthorized: true, ca: 'CA' });
    expect(pgSsl({ mode: 'verify-full', cert: 'C', key: 'K' })).toEqual({ rejectUnauthorized: true, cert: 'C', key: 'K' });
  });
});
