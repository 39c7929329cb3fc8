import { ErrorCodes, subjects } from '@foresight/contracts';
import { encode } from '@foresight/messaging';
import { createMetricsRegistry } from '@foresight/observability';
import { eventually, testInfra, uniqueName } from '@foresight/testing';
import { ManualClock } from '@foresight/time';
import { connect, type NatsConnection } from 'nats';
import type { Registry } from 'prom-client';
import { WriteLimitSharing } from '../../apps/gateway/src/common/write-limit-sharing';
import { WriteLimits } from '../../apps/gateway/src/common/write-limits';

const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined } as never;
const LIMITS = { perKeyPerSecond: 20, keyBurst: 20, perIpPerSecond: 5, ipBurst: 5, shareEveryMs: 60_000 };

const metric = async (metrics: Registry, name: string): Promise<number> =>
  ((await metrics.getSingleMetric(name)?.get())?.values ?? []).reduce((sum, v) => sum + v.value, 0);

const refused = (attempt: () => void): boolean => {
  try {
    attempt();
    return false;
  } catch (error) {
    if ((error as { code?: string }).code === ErrorCodes.RATE_LIMITED) return true;
    throw error;
  }
};

/**
 * Two gateways' write limits sharing their usage over a real nats-server: a client that spreads its
 * writes over both gets the configured rate, not twice it; the subject is a trust boundary.
 */
describe('write limits shared between gateway instances over NATS', () => {
  let nc: NatsConnection;
  const namespace = uniqueName('limits');
  const clock = new ManualClock(1_000);
  const started: WriteLimitSharing[] = [];

  function gateway() {
    const limits = new WriteLimits(LIMITS);
    const metrics = createMetricsRegistry('gateway');
    // Reports are published by the test (publish()), not on a timer, so nothing depends on timing.
    const sharing = new WriteLimitSharing({ nc, namespace, limits, everyMs: LIMITS.shareEveryMs, clock, logger: quiet, metrics });
    sharing.start();
    started.push(sharing);
    return { limits, sharing, metrics };
  }

  beforeAll(async () => {
    nc = await connect({ servers: testInfra().natsUrl });
  });

  afterAll(async () => {
    for (const s of started) s.stop();
    await nc.drain();
  });

  it("charges each gateway with what the other granted: a key's burst is spent once across both", async () => {
    const a = gateway();
    const b = gateway();
    for (let i = 0; i < LIMITS.keyBurst; i++) a.limits.check('key-1', '10.0.0.1', clock.now());
    expect(refused(() => a.limits.check('key-1', '10.0.0.1', clock.now()))).toBe(true);
    a.sharing.publish();
    await eventually(
      async () => ((await metric(b.metrics, 'foresight_gateway_write_limit_reports_total')) === 1 ? true : undefined),
      10_000,
      "b hearing of a's grants",
    );
    // Without the report b would grant a second burst of 20.
    expect(refused(() => b.limits.check('key-1', '10.0.0.2', clock.now()))).toBe(true);
    // Other buckets are untouched, and both refill at the configured rate.
    expect(refused(() => b.limits.check('key-2', '10.0.0.2', clock.now()))).toBe(false);
    clock.advance(100); // 2 writes' worth at 20/s
    expect(refused(() => b.limits.check('key-1', '10.0.0.2', clock.now()))).toBe(false);
    // A gateway skips its own report.
    a.sharing.receive(encode({ gateway: a.sharing.gatewayId, keys: [['key-3', 1_000]], addresses: [] }));
    expect(refused(() => a.limits.check('key-3', '10.0.0.1', clock.now()))).toBe(false);
  }, 30_000);

  it('counts and drops anything on the subject that is not a valid report, and keeps working', async () => {
    const g = gateway();
    const subject = subjects(namespace).writeLimitUsage;
    const garbage: Uint8Array[] = [
      new Uint8Array([0xc1]),
      new TextEncoder().encode('not json'),
      encode({ gateway: 'gw-x', keys: [['key-9', -5]], addresses: [] }),
      encode({ gateway: 'gw-x', keys: [['key-9', 1.5]], addresses: [] }),
      encode({ gateway: 'gw-x', keys: Array.from({ length: 2049 }, (_, i) => [`k${i}`, 1]), addresses: [] }),
      encode({ gateway: 'gw x', keys: [], addresses: [] }),
      encode({ gateway: 'gw-x', keys: [['key-9', 100]], addresses: [], extra: true }),
      encode({ gateway: 'gw-x', keys: [['', 100]], addresses: [] }),
    ];
    for (const data of garbage) nc.publish(subject, data);
    await eventually(
      async () => ((await metric(g.metrics, 'foresight_gateway_write_limit_reports_rejected_total')) >= garbage.length ? true : undefined),
      10_000,
      'every bad message counted',
    );
    expect(await metric(g.metrics, 'foresight_gateway_write_limit_reports_total')).toBe(0);
    // Nothing was charged: key-9 still has its whole burst.
    for (let i = 0; i < LIMITS.keyBurst; i++) expect(refused(() => g.limits.check('key-9', '10.0.0.1', clock.now()))).toBe(false);
  }, 30_000);
});
