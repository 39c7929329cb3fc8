import { loadConfig } from '@foresight/config';
import { createPool, EventStore, SensitiveValues } from '@foresight/persistence';
import { createTestDatabase, eventually, testInfra, uniqueName } from '@foresight/testing';
import { connect, type NatsConnection } from 'nats';
import type { Pool } from 'pg';
import { Registry } from 'prom-client';
import { ExpiryService } from '../../apps/shard/src/expiry/expiry.service';
import { EventPublisherService } from '../../apps/shard/src/publishing/event-publisher.service';
import { SessionIndexRepository } from '../../apps/shard/src/sessions/session-index.repository';
import { quietLogger } from './shard-harness';

/** Shard services that run in the background stop for good, built without Nest against real Postgres and NATS. */
describe('shard background services at shutdown (no Nest)', () => {
  let nc: NatsConnection;
  let pool: Pool;

  beforeAll(async () => {
    nc = await connect({ servers: testInfra().natsUrl });
    pool = createPool(await createTestDatabase('shardp'), 5, 'publisher-test');
  });

  afterAll(async () => {
    await pool.end();
    await nc.drain();
  });

  it('sweeps the outbox no more once flushed at shutdown, even when a sweep was running then', async () => {
    const config = loadConfig('shard', { NODE_ENV: 'test', FORESIGHT_NAMESPACE: uniqueName('shardp'), NODE_ID: 'shard-p1' });
    const store = new EventStore(pool, 'shard-p1');
    // The real store, with each outbox read counted and the first one held until the test lets it go.
    let sweeps = 0;
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const read = store.unpublished.bind(store);
    store.unpublished = async (...args) => {
      if (++sweeps === 1) await held;
      return read(...args);
    };
    const publisher = new EventPublisherService({
      nc,
      config,
      logger: quietLogger,
      metrics: new Registry(),
      store,
      values: new SensitiveValues({ sensitiveGroups: [], keys: [] }),
      membership: { ownedShards: () => [0, 1] },
    });
    await publisher.start();
    await eventually(() => (sweeps === 1 ? true : undefined), 5000, 'a sweep in progress');
    await publisher.flush();
    release();
    await new Promise((r) => setTimeout(r, 2500)); // more than two sweep intervals
    expect(sweeps).toBe(1);
    await store.close();
  });

  it('the expiry sweeper waits for a sweep in progress before it reports stopped, and sweeps no more', async () => {
    const config = loadConfig('shard', { NODE_ENV: 'test', SESSION_SWEEP_MS: '50' });
    const index = new SessionIndexRepository(pool);
    let sweeps = 0;
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const due = index.dueForExpiry.bind(index);
    index.dueForExpiry = async (...args) => {
      if (++sweeps === 1) await held;
      return due(...args);
    };
    const sessions = { endExpired: async () => 0, takeTouched: () => new Map<string, number>(), evictIdle: () => 0 };
    const expiry = new ExpiryService({ sessions, index, membership: { ownedShards: () => [0] }, config, logger: quietLogger, metrics: new Registry() });
    expiry.start();
    await eventually(() => (sweeps === 1 ? true : undefined), 5000, 'a sweep in progress');
    let stopped = false;
    const stopping = expiry.stop().then(() => (stopped = true));
    await new Promise((r) => setTimeout(r, 200));
    expect(stopped).toBe(false); // the sweep may be committing session ends: the store must not close under it
    release();
    await stopping;
    await new Promise((r) => setTimeout(r, 300));
    expect(sweeps).toBe(1);
  });
});
