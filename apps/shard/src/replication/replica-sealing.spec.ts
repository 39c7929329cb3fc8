import { loadConfig } from '@foresight/config';
import type { SessionEvent } from '@foresight/contracts';
import { shardOf } from '@foresight/hashing';
import { SensitiveValues } from '@foresight/persistence';
import { decide, generateSessionId, replay, type SessionCommand, type SessionPolicy, type SessionState } from '@foresight/session-domain';
import { systemClock } from '@foresight/time';
import { randomUUID } from 'node:crypto';
import { Registry } from 'prom-client';
import { ReplicaFollower } from './replica-follower';
import { ReplicaPublisher } from './replica-publisher';

const quiet = { trace: () => undefined, debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined } as never;
const policy: SessionPolicy = {
  groups: ['cart', 'auth'],
  maxVariableBytes: 4096,
  maxSessionBytes: 1 << 20,
  idleTimeoutMs: 3_600_000,
  absoluteTimeoutMs: 86_400_000,
  idleGraceMs: 0,
};
const config = loadConfig('shard', { NODE_ID: 'primary', SHARD_COUNT: '4', SESSION_SWEEP_MS: '3600000' });
const SECRET = 'alice@example.com';

/** A primary's publisher wired to a secondary's follower through a captured publish, both sealing with the same keys. */
function setup(keys: { id: string; secret: string }[] = [{ id: 'k1', secret: 's'.repeat(40) }]) {
  const sent: Uint8Array[] = [];
  const id = generateSessionId(config.session.idSecret);
  const shard = shardOf(id, 4);
  const primaryValues = new SensitiveValues({ sensitiveGroups: ['auth'], keys: [{ id: 'k1', secret: 's'.repeat(40) }] });
  const secondaryValues = new SensitiveValues({ sensitiveGroups: ['auth'], keys });
  const metrics = new Registry();
  const follower = new ReplicaFollower({
    nc: {} as never,
    config,
    store: { load: async () => ({ snapshot: null, events: stored.map((event, i) => ({ position: i, shard, streamVersion: i + 1, event })) }) } as never,
    values: secondaryValues,
    logger: quiet,
    clock: systemClock,
    metrics,
  });
  follower.setTopology({ secondaryOf: new Map(), following: new Set([shard]), owned: new Set() });
  const nc = {
    publish: (_subject: string, body: Uint8Array) => {
      sent.push(body);
      follower.receive(body);
    },
  };
  const publisher = new ReplicaPublisher({ nc: nc as never, config, logger: quiet, metrics: new Registry(), values: primaryValues });
  publisher.setTopology({ secondaryOf: new Map([[shard, 'secondary']]), following: new Set(), owned: new Set([shard]) });
  const stored: SessionEvent[] = [];
  let state: SessionState | undefined;
  const commit = (command: SessionCommand) => {
    const events = decide(command, state, policy, { now: Date.now(), correlationId: 'c', causationId: 'k', newEventId: randomUUID });
    const firstVersion = (state?.version ?? 0) + 1;
    state = replay(events, state);
    stored.push(...events);
    publisher.committed(id, firstVersion, events, state!, Date.now());
    publisher.flush();
  };
  const divergences = async (reason: string) =>
    (await metrics.getSingleMetric('foresight_replica_divergences_total')!.get()).values
      .filter((v) => v.labels.reason === reason)
      .reduce((n, v) => n + v.value, 0);
  return { id, shard, sent, follower, commit, divergences, primaryState: () => state };
}

describe('sensitive values in replica pushes', () => {
  it('are sealed on the wire, and the secondary opens them into a copy equal to the primary', () => {
    const t = setup();
    t.commit({ kind: 'create', sessionId: t.id, shard: t.shard, userId: 'u', groups: { auth: { email: SECRET }, cart: { n: 0 } } });
    t.commit({ kind: 'put', group: 'auth', name: 'email', value: `new-${SECRET}` });
    t.commit({ kind: 'put', group: 'cart', name: 'n', value: 1 });
    expect(t.sent.length).toBe(3);
    for (const body of t.sent) expect(Buffer.from(body).toString('latin1')).not.toContain(SECRET);
    expect(t.follower.peek(t.id)).toEqual(t.primaryState());
  });

  it('counts a value that does not open (a key the secondary lacks) as a divergence and reloads the copy from the store', async () => {
    const t = setup([{ id: 'k2', secret: 'o'.repeat(40) }]);
    t.commit({ kind: 'create', sessionId: t.id, shard: t.shard, userId: 'u', groups: { auth: { email: SECRET } } });
    expect(await t.divergences('unsealable')).toBe(1);
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    expect(t.follower.peek(t.id)).toEqual(t.primaryState());
  });
});
