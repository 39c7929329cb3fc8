/*
 * npm run bench:events -- [options]
 *
 * 1. Throughput: a session stream on a local nats-server is filled with `--events` session.variable_set
 *    events (a cart of four items, as bench:store's PUT writes), then one @foresight/events durable
 *    consumer (concurrency 1, a handler that does nothing) decodes and acks them all; events/s per
 *    round, median reported.
 * 2. Lag (lag.ts): a local stack (gateway, metadata, one shard node) takes bench:store's PUT load
 *    (its seeded sessions and carts, autocannon on the gateway's PUT route at the same connections),
 *    capped at `--rate` per second, for `--duration` seconds after `--warmup`, while one consumer,
 *    connected as the read-only subscriber user, reads the session stream from "new". Lag = handler
 *    time − the event's occurredAt. occurredAt is when the owner decided the event, just before its
 *    commit, so the figure is an upper bound of the commit-to-consumer lag (it includes the commit
 *    itself). Same machine, same clock; the consumer shares its process with the load generator.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { streamDeclarations, subjects } from '@foresight/contracts';
import { encodeEvent, subscribe } from '@foresight/events';
import { ensureStream } from '@foresight/messaging';
import { randomUUID } from 'node:crypto';
import { connect } from 'nats';
import { startNatsServer } from '../../scripts/infra/nats-server';
import { eventsCli } from './cli';
import { measureLag } from './lag';

const opts = eventsCli.parseOrExit(process.argv.slice(2));
const log = (text: string) => process.stderr.write(`[bench:events] ${text}\n`);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const cart = (n: number) =>
  Array.from({ length: 4 }, (_, i) => ({ sku: `SKU-${1000 + i}`, name: 'Trail running shoes', qty: 1 + ((n + i) % 5), unitPriceCents: 8999 + i }));

async function throughput(): Promise<{ perRound: number[]; median: number; bytesPerEvent: number }> {
  const nats = await startNatsServer();
  const nc = await connect({ servers: nats.url });
  try {
    const perRound: number[] = [];
    let bytesPerEvent = 0;
    for (let round = 1; round <= opts.rounds; round++) {
      const ns = `bench${round}_${process.pid}`;
      await ensureStream(nc, { ...streamDeclarations(ns).sessions, replicas: 1 });
      const subject = subjects(ns).sessionEvent('session.variable_set');
      const js = nc.jetstream();
      for (let start = 0; start < opts.events; start += 1000) {
        const batch: Promise<unknown>[] = [];
        for (let n = start; n < Math.min(opts.events, start + 1000); n++) {
          const body = encodeEvent({
            id: randomUUID(),
            type: 'session.variable_set',
            version: 1,
            sessionId: 'kz3sS1pk2uKyJhRQn7LgSIGuv4pjJEKd',
            occurredAt: new Date().toISOString(),
            correlationId: randomUUID(),
            causationId: `req:${randomUUID()}`,
            data: { group: 'cart', name: 'items', value: cart(n), via: 'put', requestDigest: n },
          });
          bytesPerEvent = body.length;
          batch.push(js.publish(subject, body));
        }
        await Promise.all(batch);
      }
      let handled = 0;
      let done!: () => void;
      const finished = new Promise<void>((r) => (done = r));
      const t0 = process.hrtime.bigint();
      const sub = await subscribe(nc, {
        stream: 'sessions',
        namespace: ns,
        durable: 'bench',
        maxInFlight: opts.maxInFlight,
        handlers: {
          'session.variable_set': () => {
            if (++handled === opts.events) done();
          },
        },
      });
      await finished;
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      await sub.stop();
      const problems = Object.values(sub.stats().problems).reduce((a, b) => a + b, 0);
      if (problems > 0) throw new Error(`${problems} problems while reading well-formed events`);
      perRound.push(Math.round(opts.events / seconds));
      log(`round ${round}: ${opts.events} events in ${seconds.toFixed(2)} s = ${perRound.at(-1)} events/s`);
      await (await nc.jetstreamManager()).streams.delete(streamDeclarations(ns).sessions.name);
    }
    return { perRound, median: median(perRound), bytesPerEvent };
  } finally {
    await nc.drain();
    await nats.stop();
  }
}

async function main(): Promise<void> {
  log(`throughput: ${opts.rounds} rounds of ${opts.events} events, maxInFlight ${opts.maxInFlight}`);
  const t = await throughput();
  const l = opts.duration > 0 ? await measureLag({ ...opts, durationS: opts.duration, warmupS: opts.warmup }, log) : undefined;
  const rows = [
    `| measure | value |`,
    `| --- | --- |`,
    `| events/s, one consumer decodes + acks (median of ${opts.rounds}) | ${t.median.toLocaleString('en-US')} (rounds ${t.perRound.join(', ')}) |`,
    `| event size | ${t.bytesPerEvent} bytes |`,
    ...(l
      ? [
          `| PUT/s target / achieved (autocannon, ${opts.connections} connections, ${opts.duration} s) | ${l.targetRate > 0 ? l.targetRate : 'uncapped'} / ${l.achievedPutRate} (PUT p99 ${l.putP99Ms} ms, ${l.putErrors} errors, ${l.putNon2xx} non-2xx; bench process at ${l.benchProcessCpuPct}% of a core) |`,
          `| decision-to-handler lag p50 / p99 / max (${l.measured} events) | ${l.p50Ms} / ${l.p99Ms} / ${l.maxMs} ms |`,
        ]
      : []),
  ];
  process.stdout.write(`${rows.join('\n')}\n`);
  mkdirSync('.bench-results', { recursive: true });
  writeFileSync('.bench-results/events.json', JSON.stringify({ at: new Date().toISOString(), options: opts, throughput: t, lag: l }, null, 2));
  log('wrote .bench-results/events.json');
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`bench:events failed: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  },
);
