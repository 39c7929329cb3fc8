import { loadConfig } from '@foresight/config';
import type { SessionEvent } from '@foresight/contracts';
import { shardOf } from '@foresight/hashing';
import { encode } from '@foresight/messaging';
import { decide, generateSessionId, replay, type SessionCommand, type SessionPolicy, type SessionState } from '@foresight/session-domain';
import { systemClock } from '@foresight/time';
import { randomUUID } from 'node:crypto';
import { Registry } from 'prom-client';
import { ReplicaFollower } from './replica-follower';
import { shadowCheck, type ReplicaEntry } from './replica-message';

const quiet = { trace: () => undefined, debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined } as never;
const policy: SessionPolicy = {
  groups: ['cart'],
  maxVariableBytes: 4096,
  maxSessionBytes: 1 << 20,
  idleTimeoutMs: 3_600_000,
  absoluteTimeoutMs: 86_400_000,
  idleGraceMs: 0,
};
const config = loadConfig('shard', { NODE_ID: 'me', SHARD_COUNT: '4', SESSION_SWEEP_MS: '3600000' });

/** A follower over an in-memory "store" (the primary's committed events), fed by calling `receive`. */
function setup(heads?: { heads: (ids: readonly string[]) => Promise<Map<string, { head: number; lastRead: number | undefined }>> }) {
  const stored = new Map<string, SessionEvent[]>();
  let loads = 0;
  const store = {
    load: async (id: string) => {
      loads++;
      return { snapshot: null, events: (stored.get(id) ?? []).map((event, i) => ({ position: i, shard: 0, streamVersion: i + 1, event })) };
    },
  };
  const metrics = new Registry();
  const follower = new ReplicaFollower({
    nc: {} as never,
    config,
    store: store as never,
    ...(heads ? { heads } : {}),
    logger: quiet,
    clock: systemClock,
    metrics,
  });
  const id = generateSessionId(config.session.idSecret);
  const shard = shardOf(id, 4);
  follower.setTopology({ secondaryOf: new Map(), following: new Set([shard]), owned: new Set() });
  let state: SessionState | undefined;
  /** Commits on the "primary" and returns the entry it would push. */
  const commit = (command: SessionCommand): ReplicaEntry => {
    const events = decide(command, state, policy, { now: Date.now(), correlationId: 'c', causationId: 'k', newEventId: randomUUID });
    const firstVersion = (state?.version ?? 0) + 1;
    state = replay(events, state);
    stored.set(id, [...(stored.get(id) ?? []), ...events]);
    return { sessionId: id, firstVersion, events, committedAt: Date.now(), check: shadowCheck(state!, events) };
  };
  const push = (...entries: ReplicaEntry[]) => follower.receive(encode({ from: 'primary', entries }));
  const value = async (name: string, labels: Record<string, string> = {}) =>
    (await metrics.getSingleMetric(name)!.get()).values
      .filter((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l))
      .reduce((n, v) => n + v.value, 0);
  const settle = () => new Promise((r) => setImmediate(r));
  return { follower, id, shard, commit, push, value, settle, primaryState: () => state, loads: () => loads };
}

const create = (id: string, shard: number): SessionCommand => ({ kind: 'create', sessionId: id, shard, userId: 'u', groups: { cart: { n: 0 } } });

describe('the secondary follower', () => {
  it('keeps a copy equal to the primary from pushed entries, and counts what it applied', async () => {
    const t = setup();
    t.push(t.commit(create(t.id, t.shard)));
    t.push(t.commit({ kind: 'put', group: 'cart', name: 'n', value: 1 }), t.commit({ kind: 'put', group: 'cart', name: 'n', value: 2 }));
    expect(t.follower.peek(t.id)).toEqual(t.primaryState());
    expect(await t.value('foresight_replica_applied_events_total')).toBe(3);
    expect(await t.value('foresight_replica_sessions')).toBe(1);
    expect(t.loads()).toBe(0);
  });

  it('on a gap, counts a divergence and reloads the session from the store; entries arriving meanwhile are applied after', async () => {
    const t = setup();
    t.push(t.commit(create(t.id, t.shard)));
    t.commit({ kind: 'put', group: 'cart', name: 'n', value: 1 }); // its push is lost
    t.push(t.commit({ kind: 'put', group: 'cart', name: 'n', value: 2 }));
    const during = t.commit({ kind: 'put', group: 'cart', name: 'n', value: 3 });
    t.push(during); // arrives while the reload runs: applied after it if the load does not hold it
    await t.settle();
    await t.settle();
    expect(await t.value('foresight_replica_divergences_total', { reason: 'gap' })).toBe(1);
    expect(t.loads()).toBe(1);
    expect(t.follower.peek(t.id)).toEqual(t.primaryState());
  });

  it('on forged content, counts a content divergence and reloads the truth', async () => {
    const t = setup();
    t.push(t.commit(create(t.id, t.shard)));
    const real = t.commit({ kind: 'put', group: 'cart', name: 'n', value: 'real' });
    t.push({ ...real, events: real.events.map((e) => ({ ...e, data: { ...e.data, value: 'forged' } }) as SessionEvent) });
    await t.settle();
    await t.settle();
    expect(await t.value('foresight_replica_divergences_total', { reason: 'content' })).toBe(1);
    expect(t.follower.peek(t.id)).toEqual(t.primaryState());
  });

  it('ignores a push that arrives after a reload already read its commit from the store', async () => {
    const t = setup();
    t.commit(create(t.id, t.shard));
    const first = t.commit({ kind: 'put', group: 'cart', name: 'n', value: 1 });
    const late = t.commit({ kind: 'put', group: 'cart', name: 'n', value: 2 }); // committed before the load reads
    t.push(first); // unseen: the load reads v1..v3
    await t.settle();
    await t.settle();
    t.push(late); // its push arrives after the load
    expect(await t.value('foresight_replica_divergences_total')).toBe(0);
    expect(await t.value('foresight_replica_rejected_total', { reason: 'already_applied' })).toBe(1);
    expect(t.follower.peek(t.id)).toEqual(t.primaryState());
  });

  it('loads a session it has never seen that starts past version 1', async () => {
    const t = setup();
    t.commit(create(t.id, t.shard));
    t.push(t.commit({ kind: 'put', group: 'cart', name: 'n', value: 1 }));
    await t.settle();
    await t.settle();
    expect(t.loads()).toBe(1);
    expect(await t.value('foresight_replica_divergences_total')).toBe(0);
    expect(t.follower.peek(t.id)).toEqual(t.primaryState());
  });

  it('drops garbage, forged ids and sessions of shards it does not follow, counting each, and never throws', async () => {
    const t = setup();
    expect(() => t.follower.receive(new Uint8Array([0xc1, 0xff]))).not.toThrow();
    expect(() => t.follower.receive(new Uint8Array())).not.toThrow();
    t.follower.receive(encode({ from: 'x', entries: 'nope' }));
    const entry = t.commit(create(t.id, t.shard));
    t.push({ ...entry, sessionId: 'not-an-issued-id' });
    t.follower.setTopology({ secondaryOf: new Map(), following: new Set(), owned: new Set() });
    t.push(entry);
    expect(await t.value('foresight_replica_rejected_total', { reason: 'malformed' })).toBe(2);
    expect(await t.value('foresight_replica_rejected_total', { reason: 'schema' })).toBe(1);
    expect(await t.value('foresight_replica_rejected_total', { reason: 'session_id' })).toBe(1);
    expect(await t.value('foresight_replica_rejected_total', { reason: 'not_secondary' })).toBe(1);
    expect(t.follower.size).toBe(0);
  });

  it('removes ended sessions, drops copies of shards it no longer follows, and hands a copy over once when it gains the shard', () => {
    const t = setup();
    t.push(t.commit(create(t.id, t.shard)));
    expect(t.follower.take(t.id)).toBeUndefined(); // still only a secondary
    t.follower.setTopology({ secondaryOf: new Map(), following: new Set(), owned: new Set([t.shard]) });
    expect(t.follower.take(t.id)?.state).toEqual(t.primaryState());
    expect(t.follower.take(t.id)).toBeUndefined();

    const u = setup();
    u.push(u.commit(create(u.id, u.shard)));
    u.push(u.commit({ kind: 'end', reason: 'client' }));
    expect(u.follower.size).toBe(0);

    const v = setup();
    v.push(v.commit(create(v.id, v.shard)));
    v.follower.setTopology({ secondaryOf: new Map(), following: new Set(), owned: new Set() });
    expect(v.follower.size).toBe(0);
  });

  it('reads the heads of a gained shard once, under the epoch it gained it at, and hands each copy over with its head', async () => {
    const asked: string[][] = [];
    const t = setup({
      heads: async (ids) => {
        asked.push([...ids]);
        return new Map(ids.map((id) => [id, { head: 2, lastRead: 1234 }]));
      },
    });
    t.push(t.commit(create(t.id, t.shard)));
    t.push(t.commit({ kind: 'put', group: 'cart', name: 'n', value: 1 }));
    const gained = { secondaryOf: new Map(), following: new Set<number>(), owned: new Set([t.shard]) };
    t.follower.setTopology({ ...gained, epochs: new Map([[t.shard, 7]]) });
    t.follower.setTopology({ ...gained, epochs: new Map([[t.shard, 7]]) }); // the same epoch: not read again
    expect(asked).toEqual([[t.id]]);
    const taken = t.follower.take(t.id)!;
    expect(taken.state).toEqual(t.primaryState());
    expect(await taken.stored).toEqual({ head: 2, lastRead: 1234 });
    expect(await t.value('foresight_replica_batched_head_checks_total')).toBe(1);
  });

  it('forgets a head read under an older epoch of the shard, and falls back to the per-session check when the read fails', async () => {
    let fail = false;
    const t = setup({
      heads: async (ids) => {
        if (fail) throw new Error('database down');
        return new Map(ids.map((id) => [id, { head: 1, lastRead: undefined }]));
      },
    });
    t.push(t.commit(create(t.id, t.shard)));
    const gained = { secondaryOf: new Map(), following: new Set<number>(), owned: new Set([t.shard]) };
    t.follower.setTopology({ ...gained, epochs: new Map([[t.shard, 7]]) });
    fail = true;
    t.follower.setTopology({ ...gained, epochs: new Map([[t.shard, 9]]) }); // lost and regained between two views
    const taken = t.follower.take(t.id)!;
    expect(taken.state).toEqual(t.primaryState());
    expect(await taken.stored).toBeUndefined();
  });
});
