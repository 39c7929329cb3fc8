/*
 * npm run bench:append -- [options]
 *
 * Postgres CPU per durable append as the shard node makes them: one-event appends (a PUT's
 * `session.variable_set`), group-committed by the event store (batches of whatever is queued, two in
 * flight), then the outbox clean-up the node does once the events are on the stream (one statement
 * per 50 ms, here one per round's worth of completed appends in slices of the same size). No NATS:
 * what this measures is Postgres and the node's store code. CPU comes from /proc for the Postgres
 * processes and from this process, per append; run it on two builds back to back (alternating) to
 * compare their statements.
 */
import { createPool, EventStore, runMigrations, type AppendResult } from '@foresight/persistence';
import { decide, replay, type SessionPolicy, type SessionState } from '@foresight/session-domain';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { randomUUID } from 'node:crypto';
import { startEmbeddedPostgres } from '../../scripts/infra/postgres';
import { cpuSnapshot } from '../store/proc-cpu';
import { appendCli } from './cli';

const opts = appendCli.parseOrExit(process.argv.slice(2));
const policy: SessionPolicy = {
  groups: ['cart'],
  maxVariableBytes: 64 * 1024,
  maxSessionBytes: 1 << 20,
  idleTimeoutMs: 3_600_000,
  absoluteTimeoutMs: 86_400_000,
  idleGraceMs: 0,
};
const ctx = () => ({ now: Date.now(), correlationId: randomUUID(), causationId: randomUUID(), newEventId: randomUUID });
const cart = (n: number) => ({
  items: Array.from({ length: 4 }, (_, i) => ({ sku: `SKU-${1000 + i}`, name: 'Trail running shoes', qty: 1 + ((n + i) % 5), unitPriceCents: 8999 + i })),
  currency: 'EUR',
});

type Published = { sessionId: string; position: number; result: AppendResult };

/**
 * Removes the outbox rows of published appends the way this build's shard node does: by batch when
 * the store names one (an outbox row per batch), else by position (an outbox row per event).
 */
async function markPublished(store: EventStore, done: readonly Published[]): Promise<void> {
  const mark = store.markPublished.bind(store) as (rows: readonly unknown[]) => Promise<void>;
  if (done.length === 0) return;
  if (done[0]!.result.outbox !== undefined) {
    const seen = new Map<string, { sessionId: string; batch: number }>();
    for (const d of done) {
      const o = d.result.outbox!;
      seen.set(`${o.partition}/${o.batch}`, { sessionId: d.sessionId, batch: o.batch });
    }
    await mark([...seen.values()]);
  } else {
    await mark(done.map((d) => ({ sessionId: d.sessionId, position: d.position })));
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'foresight-bench-append-'));
  const pg = await startEmbeddedPostgres({ dataDir });
  const url = await pg.createDatabase('bench_append');
  await runMigrations(url);
  const pool = createPool(url, 10, 'bench-append');
  await pool.query(
    `INSERT INTO shards (shard, owner_node, epoch) SELECT s, 'bench-node', 1 FROM generate_series(0, 1023) s ON CONFLICT (shard) DO UPDATE SET owner_node = 'bench-node', epoch = 1`,
  );
  const store = new EventStore(pool, 'bench-node');
  const sessions: { id: string; shard: number; state: SessionState }[] = [];
  try {
    for (let i = 0; i < opts.sessions; i += 64) {
      await Promise.all(
        Array.from({ length: Math.min(64, opts.sessions - i) }, async (_, k) => {
          const id = `bench-${i + k}-${randomUUID()}`;
          const shard = (i + k) % 1024;
          const events = decide({ kind: 'create', sessionId: id, shard, userId: null, groups: {} }, undefined, policy, ctx());
          await store.append({ sessionId: id, shard, epoch: 1, expectedVersion: 0, events });
          sessions.push({ id, shard, state: replay(events)! });
        }),
      );
    }
    await pool.query('TRUNCATE outbox_batches').catch(() => pool.query('TRUNCATE outbox'));
    const busy = new Set<number>();
    let n = 0;
    const round = async () => {
      const done: Published[] = [];
      let next = 0;
      const before = cpuSnapshot();
      const self = process.cpuUsage();
      const started = process.hrtime.bigint();
      const flushEvery = Math.max(1, opts.concurrency);
      let flushing = Promise.resolve();
      const worker = async (w: number) => {
        while (next < opts.appends) {
          next++;
          // Each worker takes the next session nobody is writing (one writer per session, as the owner's command order makes it).
          let k = (w + n++) % sessions.length;
          while (busy.has(k)) k = (k + 1) % sessions.length;
          busy.add(k);
          const s = sessions[k]!;
          const events = decide({ kind: 'put', group: 'cart', name: 'items', value: cart(n) }, s.state, policy, ctx());
          const result = await store.append({ sessionId: s.id, shard: s.shard, epoch: 1, expectedVersion: s.state.version, events });
          s.state = replay(events, s.state)!;
          busy.delete(k);
          done.push({ sessionId: s.id, position: result.positions[0]!, result });
          if (done.length >= flushEvery) {
            const slice = done.splice(0);
            flushing = flushing.then(() => markPublished(store, slice));
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(opts.concurrency, sessions.length) }, (_, w) => worker(w)));
      await flushing;
      await markPublished(store, done.splice(0));
      const wallS = Number(process.hrtime.bigint() - started) / 1e9;
      const after = cpuSnapshot();
      const used = process.cpuUsage(self);
      const pgS = (after.byLabel.get('postgres') ?? 0) - (before.byLabel.get('postgres') ?? 0);
      return { postgresUs: (pgS * 1e6) / opts.appends, nodeUs: (used.user + used.system) / opts.appends, perS: opts.appends / wallS };
    };
    await round(); // warm-up
    const samples = [];
    for (let r = 0; r < opts.rounds; r++) {
      samples.push(await round());
      process.stderr.write(`[bench:append] round ${r + 1}/${opts.rounds} (load ${loadavg()[0]!.toFixed(1)})\n`);
    }
    const leftover = Number(
      (await pool.query<{ n: string }>('SELECT count(*) AS n FROM outbox_batches').catch(() => pool.query<{ n: string }>('SELECT count(*) AS n FROM outbox')))
        .rows[0]!.n,
    );
    const row = {
      postgresCpuUsPerAppend: +median(samples.map((s) => s.postgresUs)).toFixed(1),
      storeCodeCpuUsPerAppend: +median(samples.map((s) => s.nodeUs)).toFixed(1),
      appendsPerS: Math.round(median(samples.map((s) => s.perS))),
      outboxRowsLeft: leftover,
    };
    console.table([row]);
    process.stdout.write(`load ${loadavg()[0]!.toFixed(1)}\n`);
    const out = resolve(opts.out);
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(
      out,
      `${JSON.stringify({ name: 'append', measuredAt: new Date().toISOString(), node: process.version, options: opts, loadavg: loadavg(), row, samples }, null, 2)}\n`,
    );
    process.stderr.write(`wrote ${out}\n`);
  } finally {
    await store.close();
    await pool.end();
    await pg.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

void main().catch((error: unknown) => {
  process.stderr.write(`bench:append failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
