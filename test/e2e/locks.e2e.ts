import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { ForesightClient } from '@foresight/client';
import { eventually } from '@foresight/testing';
import { metricSum, scrapeMetrics } from '../../bench/prometheus-text';
import type { LocalStack } from '../../scripts/local-stack';
import { api, errorCode, startTestStack } from './support';

const CLIENT = join(__dirname, '..', '..', 'dist', 'packages', 'client', 'src', 'index.js');
const LEASE_MS = 1500;

/**
 * Session locks through real processes: a client process holds an exclusive lock with the SDK's
 * `withLock` (the gateway renews the lease with the owner in batches), is SIGKILLed, its lock expires
 * and its late write with the old token is refused; bad lock input gets clear 4xx codes; with a small
 * memory budget on the shard nodes, evicted sessions reload with their data.
 */
describe('session locks (real processes)', () => {
  let stack: LocalStack;
  let client: ReturnType<typeof api>;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    stack = await startTestStack('locks', {
      shardNodes: 2,
      env: { LOCK_MAX_LEASE_MS: '3000', LOCK_DEFAULT_LEASE_MS: String(LEASE_MS), LOCK_RENEW_BATCH_MS: '50', SESSION_MEMORY_BUDGET_BYTES: '30000' },
    });
    client = api(stack);
  }, 120_000);

  afterAll(async () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    await stack?.stop();
  });

  /** A node process that locks the session with withLock, writes once under the lock, prints the token and waits forever. */
  function lockHolder(sessionId: string): { child: ChildProcess; token: Promise<string> } {
    const script = `
      const { ForesightClient } = require(${JSON.stringify(CLIENT)});
      const c = new ForesightClient({ baseUrl: ${JSON.stringify(stack.gatewayUrl)}, apiKey: ${JSON.stringify(stack.apiKey)}, agent: false });
      c.withLock(${JSON.stringify(sessionId)}, 'exclusive', async (lock) => {
        await lock.session.set('cart', 'owner', 'holder');
        console.log('LOCKED ' + lock.token);
        await new Promise(() => undefined);
      }, { leaseMs: ${LEASE_MS}, holder: 'e2e-holder' }).catch((e) => { console.error('FAILED', e); process.exit(1); });`;
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let out = '';
    const token = new Promise<string>((resolve, reject) => {
      child.stdout!.on('data', (b: Buffer) => {
        out += b.toString();
        const m = /LOCKED (lk_[A-Za-z0-9_-]{22})/.exec(out);
        if (m) resolve(m[1]!);
      });
      child.stderr!.on('data', (b: Buffer) => (out += b.toString()));
      child.once('exit', (code) => reject(new Error(`the lock holder exited (${code}) before locking: ${out}`)));
    });
    return { child, token };
  }

  const gatewayMetric = async (name: string) => metricSum((await scrapeMetrics([stack.services.get('gateway')!]))[0]!, name);

  it("a SIGKILLed client's lock expires, and its late write with the old token is refused", async () => {
    const { body: session } = await client.create({ data: { cart: { items: [] } } });
    const holder = lockHolder(session.id);
    const token = await holder.token;

    // Held: writes without the token are refused, the status names the holder.
    expect(errorCode(await client.put(session.id, 'cart', 'items', [1]))).toBe('LOCK.HELD');
    const status = await client.call<{ state: string; holders: { holder: string }[] }>('GET', `/v1/sessions/${session.id}/locks`);
    expect(status.body).toMatchObject({ state: 'exclusive', holders: [{ holder: 'e2e-holder' }] });
    expect((await client.getVar(session.id, 'cart', 'owner')).body.value).toBe('holder');

    // Kept past several leases by the client's renewals, which the gateway answers and batches to the owner.
    await new Promise((r) => setTimeout(r, 3 * LEASE_MS));
    expect(errorCode(await client.put(session.id, 'cart', 'items', [2]))).toBe('LOCK.HELD');
    expect(await gatewayMetric('foresight_gateway_lock_renewals_answered_total')).toBeGreaterThan(0);
    expect(await gatewayMetric('foresight_gateway_lock_renewal_round_trips_total')).toBeGreaterThan(0);
    expect(await gatewayMetric('foresight_gateway_lock_renewal_batch_size_count')).toBeGreaterThan(0);

    holder.child.kill('SIGKILL');
    await eventually(
      async () => ((await client.call<{ state: string }>('GET', `/v1/sessions/${session.id}/locks`)).body.state === 'unlocked' ? true : undefined),
      4 * LEASE_MS + 5000,
      'the killed holder’s lock to expire',
    );
    // The holder, had it only paused, would now write with its old token: refused.
    const late = await client.call('PUT', `/v1/sessions/${session.id}/vars/cart/items`, { value: ['late'] }, { 'lock-token': token });
    expect(late.status).toBe(409);
    expect(errorCode(late)).toBe('LOCK.EXPIRED');
    expect((await client.put(session.id, 'cart', 'items', ['after'])).status).toBe(200);
    expect((await client.getVar(session.id, 'cart', 'items')).body.value).toEqual(['after']);
  }, 60_000);

  it('shared locks through the SDK: held together, every write refused meanwhile, an exclusive one refused, unlocked after both', async () => {
    const { body: session } = await client.create({ data: { cart: { items: [] } } });
    const sdk = new ForesightClient({ baseUrl: stack.gatewayUrl, apiKey: stack.apiKey, agent: false, checkContract: false });
    const status = async () => (await client.call<{ state: string; holders: { holder: string }[] }>('GET', `/v1/sessions/${session.id}/locks`)).body;
    try {
      let entered!: () => void;
      const bothIn = new Promise<void>((resolve) => {
        let n = 0;
        entered = () => {
          if (++n === 2) resolve();
        };
      });
      let leave!: () => void;
      const done = new Promise<void>((resolve) => (leave = resolve));
      const reader = (holder: string) =>
        sdk.withLock(
          session.id,
          'shared',
          async (lock) => {
            entered();
            await done;
            return lock.mode;
          },
          { leaseMs: LEASE_MS, holder },
        );
      const readers = [reader('reader-1'), reader('reader-2')];
      await bothIn;
      const held = await status();
      expect(held.state).toBe('shared');
      expect(held.holders.map((h) => h.holder).sort()).toEqual(['reader-1', 'reader-2']);
      expect(errorCode(await client.put(session.id, 'cart', 'items', [1]))).toBe('LOCK.HELD');
      const exclusive = await client.call('POST', `/v1/sessions/${session.id}/locks`, { mode: 'exclusive' });
      expect([exclusive.status, errorCode(exclusive)]).toEqual([423, 'LOCK.HELD']);
      leave();
      expect(await Promise.all(readers)).toEqual(['shared', 'shared']);
      expect((await status()).state).toBe('unlocked');
      expect((await client.put(session.id, 'cart', 'items', [2])).status).toBe(200);
    } finally {
      sdk.close();
    }
  }, 30_000);

  it('refuses bad lock input with clear codes', async () => {
    const { body: session } = await client.create({});
    const path = `/v1/sessions/${session.id}/locks`;
    const bad = async (method: string, p: string, body: unknown, headers: Record<string, string> = {}) => {
      const r = await client.call(method, p, body, headers);
      return [r.status, errorCode(r)];
    };
    expect(await bad('POST', path, '{"mode": ')).toEqual([400, 'REQUEST.INVALID']);
    expect(await bad('POST', path, { mode: 'forever' })).toEqual([400, 'REQUEST.INVALID']);
    expect(await bad('POST', path, { mode: 'exclusive', leaseMs: 'long' })).toEqual([400, 'REQUEST.INVALID']);
    expect(await bad('POST', '/v1/sessions/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/locks', { mode: 'exclusive' })).toEqual([404, 'SESSION.NOT_FOUND']);
    expect(await bad('POST', `${path}/renew`, { token: 'lk_AAAAAAAAAAAAAAAAAAAAAA' })).toEqual([403, 'LOCK.NOT_HOLDER']);
    expect(await bad('POST', `${path}/release`, { token: 'nope' })).toEqual([400, 'REQUEST.INVALID']);
    expect(await bad('PUT', `/v1/sessions/${session.id}/vars/cart/items`, { value: 1 }, { 'lock-token': 'garbage' })).toEqual([400, 'REQUEST.INVALID']);
    expect(await bad('PUT', `/v1/sessions/${session.id}/vars/cart/items`, { value: 1 }, { 'lock-token': 'lk_AAAAAAAAAAAAAAAAAAAAAA' })).toEqual([
      403,
      'LOCK.TOKEN_INVALID',
    ]);
    const lock = await client.call<{ token: string }>('POST', path, { mode: 'shared', leaseMs: 5000 });
    expect(lock.status).toBe(201);
    expect(await bad('POST', path, { mode: 'exclusive' })).toEqual([423, 'LOCK.HELD']);
    expect(await bad('DELETE', `/v1/sessions/${session.id}`, undefined)).toEqual([423, 'LOCK.HELD']);
    expect((await client.call('POST', `${path}/release`, { token: lock.body.token })).body).toEqual({ released: true, state: 'unlocked' });
  }, 30_000);

  it('sessions evicted from a shard node’s memory reload with their data', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 40; i++) {
      const { body } = await client.create({ data: { cart: { items: [i], note: 'n'.repeat(800) } } });
      ids.push(body.id);
    }
    const shards = [...stack.services.values()].filter((s) => s.app === 'shard');
    const evictions = async () => (await scrapeMetrics(shards)).reduce((a, text) => a + metricSum(text, 'foresight_session_evictions_total'), 0);
    expect(await evictions()).toBeGreaterThan(0);
    for (const [i, id] of ids.entries()) {
      const r = await client.get(id, 'cart');
      expect(r.status).toBe(200);
      expect((r.body as { groups: { cart: unknown } }).groups.cart).toEqual({ items: [i], note: 'n'.repeat(800) });
    }
  }, 60_000);
});
