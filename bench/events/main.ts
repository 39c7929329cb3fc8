/*
 * npm run bench:events -- [options]
 *
 * 1. Throughput: a session stream on a local nats-server is filled with `--events` session.variable_set
 *    events (a cart of four items, as bench:store's PUT writes), then one @foresight/events durable
 *    consumer (concurrency 1, a handler that does nothing) decodes and acks them all; events/s per
 *    round, median reported.
 * 2. Lag: a local stack (gateway, metadata, one shard node) takes PUTs at `--rate` per second for
 *    `--duration` seconds while one consumer, connected as the read-only subscriber user, reads the
 *    session stream from "new". Lag = handler time − the event's occurredAt. occurredAt is when the
 *    owner decided the event, just before its commit, so the figure is an upper bound of the
 *    commit-to-consumer lag (it includes the commit itself). Same machine, same clock.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { streamDeclarations, subjects } from '@foresight/contracts';
import { connectSubscriber, encodeEvent, subscribe } from '@foresight/events';
import { ensureStream } from '@foresight/messaging';
import { randomUUID } from 'node:crypto';
import { connect } from 'nats';
import { startNatsServer } from '../../scripts/infra/nats-server';
import { startLocalStack } from '../../scripts/local-stack';
import { eventsCli } from './cli';

const opts = eventsCli.parseOrExit(process.argv.slice(2));
const log = (text: string) => process.stderr.write(`[bench:events] ${text}\n`);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
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

async function lag() {
  const stack = await startLocalStack({ quiet: true, shardNodes: 1, env: { LOG_LEVEL: 'warn', FORESIGHT_NAMESPACE: `bev${process.pid}` } });
  try {
    const headers = { 'x-api-key': stack.apiKey, 'content-type': 'application/json' };
    const ids: string[] = [];
    for (let i = 0; i < opts.sessions; i++) {
      const r = await fetch(`${stack.gatewayUrl}/v1/sessions`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ userId: `u${i}`, data: { cart: { items: [] } } }),
      });
      ids.push(((await r.json()) as { id: string }).id);
    }
    const login = stack.natsLogin({ role: 'subscriber' });
    const nc = await connectSubscriber({ servers: stack.natsUrl, user: login?.user, pass: login?.pass });
    const lags: number[] = [];
    let measuring = false;
    const sub = await subscribe(nc, {
      stream: 'sessions',
      namespace: stack.namespace,
      start: 'new',
      types: ['session.variable_set'],
      maxInFlight: opts.maxInFlight,
      handlers: { 'session.variable_set': (e) => void (measuring && lags.push(Date.now() - Date.parse(e.occurredAt))) },
    });
    let sent = 0;
    let ok = 0;
    let behind = 0;
    let inFlight = 0;
    const put = async (n: number) => {
      inFlight++;
      try {
        const r = await fetch(`${stack.gatewayUrl}/v1/sessions/${ids[n % ids.length]}/vars/cart/items`, {
          method: 'PUT',
          headers,
          body: JSON.stringify({ value: cart(n) }),
        });
        await r.arrayBuffer();
        if (r.status === 200) ok++;
      } finally {
        inFlight--;
      }
    };
    // Open loop: a PUT is due every 1/rate s; one that finds every connection busy is skipped and counted.
    const warmupMs = 3000;
    const start = performance.now();
    const end = start + warmupMs + opts.duration * 1000;
    const pending = new Set<Promise<void>>();
    let due = start;
    while (performance.now() < end) {
      const now = performance.now();
      if (now >= start + warmupMs && !measuring) measuring = true;
      while (due <= now) {
        if (inFlight < opts.connections) {
          const p = put(sent++).catch(() => undefined);
          pending.add(p);
          void p.finally(() => pending.delete(p));
        } else behind++;
        due += 1000 / opts.rate;
      }
      await new Promise((r) => setTimeout(r, 1));
    }
    await Promise.all(pending);
    await new Promise((r) => setTimeout(r, 1000));
    measuring = false;
    await sub.stop();
    await nc.drain();
    const sorted = [...lags].sort((a, b) => a - b);
    const achieved = Math.round(ok / (warmupMs / 1000 + opts.duration));
    return {
      targetRate: opts.rate,
      achievedPutRate: achieved,
      skippedForBusyConnections: behind,
      measured: sorted.length,
      p50Ms: quantile(sorted, 0.5),
      p99Ms: quantile(sorted, 0.99),
      maxMs: sorted.at(-1),
    };
  } finally {
    await stack.stop();
  }
}

async function main(): Promise<void> {
  log(`throughput: ${opts.rounds} rounds of ${opts.events} events, maxInFlight ${opts.maxInFlight}`);
  const t = await throughput();
  const l = opts.duration > 0 ? await lag() : undefined;
  const rows = [
    `| measure | value |`,
    `| --- | --- |`,
    `| events/s, one consumer decodes + acks (median of ${opts.rounds}) | ${t.median.toLocaleString('en-US')} (rounds ${t.perRound.join(', ')}) |`,
    `| event size | ${t.bytesPerEvent} bytes |`,
    ...(l
      ? [
          `| PUT rate target / achieved | ${l.targetRate} / ${l.achievedPutRate} per s (${l.skippedForBusyConnections} skipped: all ${opts.connections} connections busy) |`,
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
