import { subjects, tokenSubjects, TOKEN_STREAM_DUPLICATE_WINDOW_MS, TOKEN_STREAM_MAX_AGE_MS, type SessionEvent } from '@foresight/contracts';
import { ensureStream, publishEvent } from '@foresight/messaging';
import { AdvisoryLeadership } from '@foresight/persistence';
import { createTestDatabase, eventually, testInfra, uniqueName } from '@foresight/testing';
import { PushLedger, ReturnModel } from '@foresight/token-core';
import { connect, type NatsConnection } from 'nats';
import { randomUUID } from 'node:crypto';
import { ActivityRepository } from '../../apps/token/src/activity/activity.repository';
import { SessionActivityConsumer } from '../../apps/token/src/activity/session-activity.consumer';
import { PushOutcomes } from '../../apps/token/src/schedule/push-outcomes';
import { RefreshScheduler } from '../../apps/token/src/schedule/refresh-scheduler';
import { SchedulerRepository } from '../../apps/token/src/schedule/scheduler.repository';
import { familyOf, quietLogger, tokenInstance } from './token-harness';

const MIN = 60_000;
const ctx = { correlationId: 'c-sched', causationId: 'c-sched' };

function sessionEvent(sessionId: string, type: SessionEvent['type'], at: number): SessionEvent {
  const base = { id: randomUUID(), version: 1 as const, sessionId, occurredAt: new Date(at).toISOString(), correlationId: 'c', causationId: 'c' };
  switch (type) {
    case 'session.created':
      return {
        ...base,
        type,
        data: { userId: 'u', shard: 0, idleTimeoutMs: 30 * MIN, absoluteExpiresAt: new Date(at + 86_400_000).toISOString(), groups: {} },
      };
    case 'session.ended':
      return { ...base, type, data: { reason: 'client' } };
    default:
      return { ...base, type: 'session.variable_set', data: { group: 'cart', name: 'n', value: 1, via: 'put' } };
  }
}

describe('predictive refresh: session activity from JetStream → scheduler → pre-minted pair', () => {
  let nc: NatsConnection;
  let url: string;
  const namespace = uniqueName('sch');
  const s = subjects(namespace);
  const START = Date.now();
  let now = START;
  let service: ReturnType<typeof tokenInstance>;
  let consumer: SessionActivityConsumer;
  const population = new ReturnModel();

  beforeAll(async () => {
    url = await createTestDatabase('toksched');
    nc = await connect({ servers: testInfra().natsUrl });
    const t = tokenSubjects(namespace);
    await ensureStream(nc, { name: s.sessionStream, subjects: [s.sessionEventsWildcard], replicas: 1, maxAgeMs: 3_600_000, duplicateWindowMs: 60_000 });
    await ensureStream(nc, {
      name: t.tokenStream,
      subjects: [t.tokenEventsWildcard],
      replicas: 1,
      maxAgeMs: TOKEN_STREAM_MAX_AGE_MS,
      duplicateWindowMs: TOKEN_STREAM_DUPLICATE_WINDOW_MS,
    });
    service = tokenInstance(
      url,
      nc,
      namespace,
      { now: () => now },
      {
        TOKEN_ACCESS_TTL_MS: '60000',
        TOKEN_REFRESH_THRESHOLD_MS: '30000',
        TOKEN_REFRESH_MIN_SKEW_MS: '10000',
        TOKEN_SCHEDULER_BUCKET_MS: '1000',
        TOKEN_MAX_PULL_FORWARD_MS: '0',
      },
    );
    await service.keys.rotateIfDue();
    await service.keys.load();
    consumer = new SessionActivityConsumer({
      nc,
      namespace,
      activity: new ActivityRepository(service.pool),
      population,
      revokeSession: (sessionId, correlationId, causationId) => service.tokens.revoke(sessionId, undefined, 'session-ended', { correlationId, causationId }),
      logger: quietLogger,
    });
    await consumer.start();
  }, 60_000);

  afterAll(async () => {
    await consumer.stop();
    await service.pool.end();
    await nc.drain();
  });

  it('pre-mints a pair for a busy session before its floor, lets a silent one expire, and revokes on session end', async () => {
    const busy = uniqueName('busy');
    const silent = uniqueName('silent');
    const js = nc.jetstream();
    await publishEvent(js, s.sessionEvent('session.created'), sessionEvent(busy, 'session.created', START));
    for (let t = START + 5000; t <= START + 45_000; t += 5000)
      await publishEvent(js, s.sessionEvent('session.variable_set'), sessionEvent(busy, 'session.variable_set', t));
    await publishEvent(js, s.sessionEvent('session.created'), sessionEvent(silent, 'session.created', START - 25 * MIN));
    await eventually(
      async () => {
        const r = await service.pool.query<{ session_id: string; requests: number }>('SELECT session_id, requests FROM token_activity');
        const byId = new Map(r.rows.map((row) => [row.session_id, row.requests]));
        return byId.get(busy) === 10 && byId.get(silent) === 1 ? true : undefined;
      },
      10_000,
      'activity rows',
    );

    const busyPair = await service.tokens.issue(busy, 'u', ctx);
    const silentPair = await service.tokens.issue(silent, 'u', ctx);
    const pushes = new PushLedger();
    const scheduler = new RefreshScheduler({
      leader: new AdvisoryLeadership({ databaseUrl: url, lock: 'tokenScheduler' }),
      repo: new SchedulerRepository(service.pool),
      rotateAhead: (familyId, generation, c) => service.tokens.rotateAhead(familyId, generation, c),
      population,
      pushes,
      clock: { now: () => now },
      config: service.config,
      logger: quietLogger,
      housekeeping: async () => undefined,
    });

    // Outside the refresh window (expiry in 35 s, threshold 30 s): nothing is due yet.
    now = START + 25_000;
    expect((await scheduler.tick()).refreshed).toBe(0);
    // At the floor (expiry − 10 s) a likely-active session is refreshed whatever the load forecast says.
    now = START + 49_500;
    const report = await scheduler.tick();
    expect(report).toMatchObject({ candidates: 2, refreshed: 1, letExpire: 1 });
    await eventually(() => (service.notices.length > 0 ? true : undefined), 10_000, 'the notice');
    expect(service.notices).toEqual([{ sessionId: busy, familyId: familyOf(busyPair.accessToken), generation: 1 }]);
    const pushed = await service.tokens.pending(busy, familyOf(busyPair.accessToken), 0);
    expect(pushed?.generation).toBe(1);
    expect(Date.parse(pushed!.accessExpiresAt)).toBeGreaterThan(Date.parse(busyPair.accessExpiresAt));
    expect(await service.tokens.pending(silent, familyOf(silentPair.accessToken), 0)).toBeNull();
    // Both tokens are decided: the busy one pushed, the silent one let expire at its last round before the floor.
    expect(pushes.isDecided(familyOf(busyPair.accessToken), Date.parse(busyPair.accessExpiresAt))).toBe(true);
    expect(pushes.isDecided(familyOf(silentPair.accessToken), Date.parse(silentPair.accessExpiresAt))).toBe(true);
    // Past the floor the silent token is not rated again (no entry, however its rating moves).
    now = START + 55_000;
    expect(await scheduler.tick()).toMatchObject({ refreshed: 0, letExpire: 0 });
    // The pre-minted pair is not delivered yet: no second one on top of it.
    now = START + 100_000;
    expect((await scheduler.tick()).refreshed).toBe(0);

    // Outcomes, from the sessions' activity: the busy session came back after its token's expiry
    // (the push was needed); the silent one's idle timeout passed without a return.
    await publishEvent(js, s.sessionEvent('session.variable_set'), sessionEvent(busy, 'session.variable_set', START + 70_000));
    await eventually(
      async () => {
        const r = await service.pool.query<{ requests: number }>('SELECT requests FROM token_activity WHERE session_id = $1', [busy]);
        return r.rows[0]?.requests === 11 ? true : undefined;
      },
      10_000,
      'the return recorded',
    );
    const outcomes: string[] = [];
    const settler = new PushOutcomes(pushes, service.pool, quietLogger, (o) => outcomes.push(o));
    await settler.settle(now);
    expect(outcomes).toEqual(['used']);
    await settler.settle(START + 6 * MIN);
    expect(outcomes).toEqual(['used', 'spared']);
    expect(pushes.stats).toEqual({ used: 1, wasted: 0, missed: 0, spared: 1, pending: 0 });

    await publishEvent(js, s.sessionEvent('session.ended'), sessionEvent(busy, 'session.ended', now));
    await eventually(
      async () => {
        const r = await service.pool.query<{ status: string }>('SELECT status FROM token_families WHERE session_id = $1', [busy]);
        return r.rows[0]?.status === 'revoked' ? true : undefined;
      },
      10_000,
      'family revoked on session end',
    );
  }, 60_000);
});
