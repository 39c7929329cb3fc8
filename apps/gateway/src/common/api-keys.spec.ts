import { API_KEY_SCOPES } from '@foresight/config';
import { ErrorCodes, ForesightError, MAX_USAGE_ENTRIES, Validator, WriteLimitUsage } from '@foresight/contracts';
import type { FastifyRequest } from 'fastify';
import { ApiKeys, checkTenantUser, scopeOfMethod } from './api-keys';
import { SessionTenants } from './session-tenants';
import { WriteLimits } from './write-limits';

const request = (key?: string) => ({ headers: key === undefined ? {} : { 'x-api-key': key } }) as unknown as FastifyRequest;
const codeOf = (attempt: () => unknown): string | undefined => {
  try {
    attempt();
    return undefined;
  } catch (error) {
    return error instanceof ForesightError ? error.code : 'not a ForesightError';
  }
};

describe('API keys with scopes', () => {
  const keys = new ApiKeys([
    { id: 'key-1', key: 'legacy', scopes: API_KEY_SCOPES },
    { id: 'reader', key: 'r'.repeat(24), scopes: ['read'] },
    { id: 'acme', key: 'a'.repeat(24), scopes: ['read', 'write'], userPrefix: 'acme:' },
  ]);

  it('finds the principal of a known key and nothing for an unknown, empty or repeated header', () => {
    expect(keys.authenticate(request('legacy'))?.id).toBe('key-1');
    expect(keys.authenticate(request('r'.repeat(24)))?.id).toBe('reader');
    expect(keys.authenticate(request('legacy2'))).toBeUndefined();
    expect(keys.authenticate(request(''))).toBeUndefined();
    expect(keys.authenticate(request())).toBeUndefined();
    expect(keys.authenticate({ headers: { 'x-api-key': ['legacy', 'legacy'] } } as unknown as FastifyRequest)).toBeUndefined();
  });

  it('asks GET for read and every other method for write', () => {
    expect(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'].map(scopeOfMethod)).toEqual(['read', 'read', 'write', 'write', 'write', 'write']);
  });

  it('gives 401 without a known key and 403 without the scope; a plain key has every scope', () => {
    expect(codeOf(() => keys.require(request('nope'), 'read'))).toBe(ErrorCodes.UNAUTHENTICATED);
    expect(codeOf(() => keys.require(request('r'.repeat(24)), 'write'))).toBe(ErrorCodes.FORBIDDEN);
    expect(codeOf(() => keys.require(request('a'.repeat(24)), 'admin'))).toBe(ErrorCodes.FORBIDDEN);
    for (const scope of API_KEY_SCOPES) expect(codeOf(() => keys.require(request('legacy'), scope))).toBeUndefined();
  });

  it("keeps a tenant's key to user ids with its prefix", () => {
    const acme = keys.authenticate(request('a'.repeat(24)));
    expect(codeOf(() => checkTenantUser(acme, 'acme:42'))).toBeUndefined();
    expect(codeOf(() => checkTenantUser(acme, 'globex:42'))).toBe(ErrorCodes.FORBIDDEN);
    expect(codeOf(() => checkTenantUser(acme, null))).toBe(ErrorCodes.FORBIDDEN);
    expect(codeOf(() => checkTenantUser(keys.authenticate(request('legacy')), null))).toBeUndefined();
  });
});

describe('session tenants', () => {
  it('looks a session up once and refuses another tenant', async () => {
    const lookups: string[] = [];
    const users: Record<string, string | null> = { s1: 'acme:1', s2: 'globex:1', s3: null };
    const tenants = new SessionTenants(async (id) => (lookups.push(id), users[id]!));
    const acme = { id: 'acme', scopes: new Set(['read' as const]), userPrefix: 'acme:' };
    const ctx = { correlationId: 'c', causationId: 'c' };
    await tenants.check(acme, 's1', ctx);
    await tenants.check(acme, 's1', ctx);
    await expect(tenants.check(acme, 's2', ctx)).rejects.toMatchObject({ code: ErrorCodes.FORBIDDEN });
    await expect(tenants.check(acme, 's3', ctx)).rejects.toMatchObject({ code: ErrorCodes.FORBIDDEN });
    await tenants.check({ id: 'all', scopes: new Set() }, 's9', ctx);
    expect(lookups).toEqual(['s1', 's2', 's3']);
  });

  it('stays bounded', () => {
    const tenants = new SessionTenants(async () => null, 3);
    for (let i = 0; i < 10; i++) tenants.remember(`s${i}`, null);
    expect(tenants.size).toBe(3);
  });
});

describe('write limits', () => {
  it('keys back ends by API key and everyone else by address, with the wait in details', () => {
    const limits = new WriteLimits({ perKeyPerSecond: 1, keyBurst: 2, perIpPerSecond: 1, ipBurst: 1, shareEveryMs: 0 });
    limits.check('key-1', '10.0.0.1', 0);
    limits.check('key-1', '10.0.0.2', 0);
    let thrown: unknown;
    try {
      limits.check('key-1', '10.0.0.3', 0);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toMatchObject({ code: ErrorCodes.RATE_LIMITED, details: { retryAfterMs: 1000 } });
    limits.check(undefined, '10.0.0.1', 0);
    expect(codeOf(() => limits.check(undefined, '10.0.0.1', 0))).toBe(ErrorCodes.RATE_LIMITED);
    expect(codeOf(() => limits.check(undefined, '10.0.0.2', 0))).toBeUndefined();
    expect(codeOf(() => limits.check('key-1', '10.0.0.1', 1000))).toBeUndefined();
  });

  it('is off at a rate of 0', () => {
    const limits = new WriteLimits({ perKeyPerSecond: 0, keyBurst: 1, perIpPerSecond: 0, ipBurst: 1, shareEveryMs: 250 });
    for (let i = 0; i < 100; i++) limits.check(i % 2 ? 'k' : undefined, '10.0.0.1', 0);
    expect(limits.takeUsage()).toEqual({ keys: [], addresses: [] });
  });

  it('records what it granted per bucket for the other gateways, and forgets it once reported', () => {
    const limits = new WriteLimits({ perKeyPerSecond: 10, keyBurst: 10, perIpPerSecond: 10, ipBurst: 10, shareEveryMs: 250 });
    for (let i = 0; i < 3; i++) limits.check('key-1', '10.0.0.1', 0);
    limits.check(undefined, '10.0.0.9', 0);
    expect(limits.takeUsage()).toEqual({ keys: [['key-1', 3]], addresses: [['10.0.0.9', 1]] });
    expect(limits.takeUsage()).toEqual({ keys: [], addresses: [] });
    // A refused write is not a grant.
    for (let i = 0; i < 20; i++) codeOf(() => limits.check('key-2', '10.0.0.1', 0));
    expect(limits.takeUsage().keys).toEqual([['key-2', 10]]);
  });

  it('is charged what other gateways granted: the rate holds for the cluster, with at most one burst of debt', () => {
    const limits = new WriteLimits({ perKeyPerSecond: 10, keyBurst: 10, perIpPerSecond: 10, ipBurst: 10, shareEveryMs: 250 });
    limits.charge({ keys: [['key-1', 9]], addresses: [['10.0.0.1', 1_000]] }, 0);
    expect(codeOf(() => limits.check('key-1', '10.0.0.1', 0))).toBeUndefined();
    expect(codeOf(() => limits.check('key-1', '10.0.0.1', 0))).toBe(ErrorCodes.RATE_LIMITED);
    // 1,000 granted elsewhere leaves a debt of one burst (10), not 990: refilled past zero after ~1.1 s.
    expect(codeOf(() => limits.check(undefined, '10.0.0.1', 1_000))).toBe(ErrorCodes.RATE_LIMITED);
    expect(codeOf(() => limits.check(undefined, '10.0.0.1', 1_100))).toBeUndefined();
  });

  it('never reports more buckets than a report may carry', () => {
    const limits = new WriteLimits({ perKeyPerSecond: 0, keyBurst: 1, perIpPerSecond: 10, ipBurst: 10, shareEveryMs: 250 });
    for (let i = 0; i < MAX_USAGE_ENTRIES + 50; i++) limits.check(undefined, `10.1.${i >> 8}.${i & 255}`, 0);
    const usage = limits.takeUsage();
    expect(usage.addresses).toHaveLength(MAX_USAGE_ENTRIES);
    expect(new Validator(WriteLimitUsage).is({ gateway: 'gw-1', ...usage })).toBe(true);
  });
});
