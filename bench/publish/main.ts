/*
 * npm run bench:publish -- [options]
 *
 * What publishing a committed session event to JetStream costs, per publication, in the publishing
 * process and in nats-server: nats.js's `js.publish` (a request each: reply handler, timer, error
 * object on cancel) against the shard node's StreamPublisher (one reply subscription, one timer),
 * same events, same headers and message ids, same stream, rounds alternated so drift of a shared
 * machine weighs on both. CPU is read from the processes themselves (process.cpuUsage, /proc for
 * nats-server), the figure other load on the machine disturbs least.
 */
import { streamDeclarations, subjects, type Envelope } from '@foresight/contracts';
import { connectNats, ensureStream, publishEvent, StreamPublisher } from '@foresight/messaging';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, resolve } from 'node:path';
import { randomUUID } from 'node:crypto';
import { startNatsServer } from '../../scripts/infra/nats-server';
import { publishCli } from './cli';

const opts = publishCli.parseOrExit(process.argv.slice(2));
const NS = 'benchpub';
const s = subjects(NS);
type Mode = 'request' | 'pipelined';

/** A `session.variable_set` as the shard node publishes it: a cart of about 400 bytes. */
function event(n: number): Envelope & { streamVersion: number; position: number } {
  return {
    id: randomUUID(),
    type: 'session.variable_set',
    version: 1,
    sessionId: `bench-${n % 1000}`,
    occurredAt: new Date().toISOString(),
    correlationId: randomUUID(),
    causationId: randomUUID(),
    data: {
      group: 'cart',
      name: 'items',
      value: {
        items: Array.from({ length: 4 }, (_, i) => ({ sku: `SKU-${1000 + i}`, name: 'Trail running shoes', qty: 1 + i, unitPriceCents: 8999 + i })),
        currency: 'EUR',
      },
    },
    streamVersion: 2 + Math.floor(n / 1000),
    position: n,
  };
}

/** user + system CPU of a process in ms (from /proc; Linux clock ticks are 10 ms). */
function procCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const nats = await startNatsServer();
  // As the services connect: write coalescing on.
  const nc = await connectNats({ servers: [nats.url], name: 'bench-publish' });
  const decl = streamDeclarations(NS).sessions;
  await ensureStream(nc, { ...decl, replicas: 1 });
  const publisher = new StreamPublisher(nc);
  const js = nc.jetstream();
  let n = 0;
  const round = async (mode: Mode) => {
    const events = Array.from({ length: opts.events }, () => event(n++));
    let next = 0;
    const cpu = process.cpuUsage();
    const serverBefore = procCpuMs(nats.pid);
    const started = process.hrtime.bigint();
    const worker = async () => {
      while (next < events.length) {
        const e = events[next++]!;
        if (mode === 'pipelined') await publisher.publish(s.sessionEvent(e.type), e);
        else await publishEvent(js, s.sessionEvent(e.type), e);
      }
    };
    await Promise.all(Array.from({ length: opts.concurrency }, worker));
    const wallS = Number(process.hrtime.bigint() - started) / 1e9;
    const used = process.cpuUsage(cpu);
    return {
      clientUs: (used.user + used.system) / opts.events,
      serverUs: ((procCpuMs(nats.pid) - serverBefore) * 1000) / opts.events,
      perS: opts.events / wallS,
    };
  };
  const load = { before: loadavg(), after: [] as number[] };
  try {
    await round('request'); // warm-up, both paths
    await round('pipelined');
    const samples: Record<Mode, Awaited<ReturnType<typeof round>>[]> = { request: [], pipelined: [] };
    for (let r = 0; r < opts.rounds; r++) {
      const order: Mode[] = r % 2 === 0 ? ['request', 'pipelined'] : ['pipelined', 'request'];
      for (const mode of order) samples[mode].push(await round(mode));
      process.stderr.write(`[bench:publish] round ${r + 1}/${opts.rounds} (load ${loadavg()[0]!.toFixed(1)})\n`);
    }
    load.after = loadavg();
    const rows = (['request', 'pipelined'] as const).map((mode) => ({
      mode,
      clientCpuUsPerPublication: +median(samples[mode].map((x) => x.clientUs)).toFixed(1),
      natsServerCpuUsPerPublication: +median(samples[mode].map((x) => x.serverUs)).toFixed(1),
      publicationsPerS: Math.round(median(samples[mode].map((x) => x.perS))),
    }));
    const paired = samples.pipelined.map((p, i) => p.clientUs / samples.request[i]!.clientUs);
    const pairedServer = samples.pipelined.map((p, i) => p.serverUs / samples.request[i]!.serverUs);
    console.table(rows);
    process.stdout.write(
      `pipelined / request, paired by round (median): publishing process CPU ${median(paired).toFixed(3)}x, nats-server CPU ${median(pairedServer).toFixed(3)}x` +
        ` | load ${load.before[0]!.toFixed(1)} -> ${load.after[0]!.toFixed(1)}\n`,
    );
    const out = resolve(opts.out);
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(
      out,
      `${JSON.stringify({ name: 'publish', measuredAt: new Date().toISOString(), node: process.version, options: opts, loadavg: load, rows, pairedClientRatio: median(paired), pairedServerRatio: median(pairedServer), samples }, null, 2)}\n`,
    );
    process.stderr.write(`wrote ${out}\n`);
  } finally {
    publisher.close();
    await nc.drain().catch(() => undefined);
    await nats.stop();
  }
}

void main().catch((error: unknown) => {
  process.stderr.write(`bench:publish failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
