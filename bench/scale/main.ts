import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { seededRng } from '@foresight/random';
import { startLocalStack, type LocalStack, type ServiceProcess } from '../../scripts/local-stack';
import { NextAccessModel } from '../../apps/shard/src/transfer/next-access-model';
import { StateProfiler } from '../../apps/shard/src/transfer/state-profiler';
import { metricSum, scrapeMetrics } from '../prometheus-text';
import { cpuBetween, cpuSnapshot } from '../store/proc-cpu';
import { scaleCli } from './cli';
import {
  bucketDelta,
  cumulative,
  histogramBuckets,
  histogramQuantile,
  parseTrace,
  pickRequest,
  pickWeighted,
  seedBytes,
  seedFrom,
  windowStats,
  type Sample,
  type SessionSeed,
} from './workload';

type Args = ReturnType<typeof scaleCli.parseOrExit>;
const GROUPS = ['auth', 'profile', 'settings', 'cart', 'app'];

/**
 * `npm run bench:scale -- --trace <file>`: a local stack of 2 shard nodes serving `--sessions`
 * sessions derived from the trace, scaled out to 3 and in to 2 while clients keep using them, for
 * each `--modes` setting of TRANSFER (one fresh stack each, same sessions, same request sequence).
 *
 * Per mode: create the sessions (groups sized from the trace, see workload.ts), warm up for
 * `--steady-s` (the profiler learns), measure `--steady-s` of steady state (client latency, shard
 * CPU per request), start a third shard node and measure the move until every running node owns
 * shards plus `--after-s`; the same again on 3 nodes, then SIGTERM the third node. Per move: bytes
 * the old owners pushed against a full copy (their planner's sizes; a leaving node's from its log),
 * time from the new node healthy (or the SIGTERM) to the first moved session a new owner served,
 * client p50/p99 during the move against the steady state before it, lazy fetches by source with
 * their p50/p99 (histogram bucket bounds), and rows/bytes read from Postgres to load sessions. At
 * the end every acknowledged write is read back (strong reads) and client errors are counted. Also
 * measures, in this process, the state profiler's CPU per recorded access, as a share of the shard
 * nodes' CPU per request. Replication is off (so a move is the transfer's doing), leases are long
 * and slow nodes are not drained (so the only moves are the benchmark's). See docs/performance.md.
 */
async function main(): Promise<void> {
  const args = scaleCli.parseOrExit(process.argv.slice(2));
  const trace = parseTrace(readFileSync(args.trace, 'utf8'), args.sessions);
  if (trace.length < args.sessions) process.stderr.write(`the trace has ${trace.length} sessions; reusing them to make ${args.sessions}\n`);
  const seeds = Array.from({ length: args.sessions }, (_, i) => seedFrom(trace[i % trace.length]!, i));
  const stateBytes = seeds.reduce((n, s) => n + seedBytes(s), 0);
  process.stderr.write(`${seeds.length} sessions, ${(stateBytes / 1e6).toFixed(1)} MB of group values (JSON)\n`);
  const profiler = profilerCost(seeds);
  const modes: Record<string, ModeResult> = {};
  for (const mode of args.modes) modes[mode] = await runMode(mode, args, seeds);
  const rows = Object.entries(modes).flatMap(([mode, r]) => r.moves.map((m) => ({ mode, ...m })));
  console.table(rows);
  const on = modes.on;
  const off = modes.off;
  const summary = {
    ...(on ? { eagerShareOfFull: on.moves[0]?.eagerShareOfFull } : {}),
    ...(on ? { worstP99RatioOn: Math.max(...on.moves.map((m) => m.p99Ratio ?? Number.POSITIVE_INFINITY)) } : {}),
    ...(off ? { worstP99RatioOff: Math.max(...off.moves.map((m) => m.p99Ratio ?? Number.POSITIVE_INFINITY)) } : {}),
    ...(on && off
      ? {
          pgBytesOnOverOff: ratio(sum(on.moves.map((m) => m.pgBytesRead)), sum(off.moves.map((m) => m.pgBytesRead))),
          firstServedOnOverOff: ratio(sum(on.moves.map((m) => m.firstServedMs ?? 0)), sum(off.moves.map((m) => m.firstServedMs ?? 0))),
        }
      : {}),
    lostWrites: sum(Object.values(modes).map((r) => r.lostWrites)),
    clientErrors: sum(Object.values(modes).map((r) => r.clientErrors)),
    profilerUsPerAccess: profiler.usPerAccess,
    profilerShareOfShardCpu: on?.shardCpuUsPerRequest ? profiler.usPerAccess / on.shardCpuUsPerRequest : undefined,
  };
  console.table([summary]);
  console.table(
    Object.entries(modes).map(([mode, r]) => ({
      mode,
      requests: r.requests,
      acked: r.ackedWrites,
      lost: r.lostWrites,
      errors: r.clientErrors,
      shardCpuUsPerReq: r.shardCpuUsPerRequest,
      load1: r.load1,
    })),
  );
  mkdirSync(dirname(args.out), { recursive: true });
  writeFileSync(args.out, JSON.stringify({ measuredAt: new Date().toISOString(), args, stateBytes, profiler, modes, summary }, null, 2));
  process.stderr.write(`wrote ${args.out}\n`);
}

interface MoveResult {
  move: string;
  /** Bytes the old owners pushed before cut-over, and what a full copy of the moved sessions would have been (planner's sizes). */
  eagerBytes: number;
  fullBytes: number;
  eagerShareOfFull: number | undefined;
  sessionsAccepted: number;
  /** From the new node healthy (out) or the SIGTERM (in) to the first moved session a new owner served. */
  firstServedMs: number | undefined;
  steadyP50Ms: number | undefined;
  steadyP99Ms: number | undefined;
  moveP50Ms: number | undefined;
  moveP99Ms: number | undefined;
  p99Ratio: number | undefined;
  moveMs: number;
  lazyPeer: number;
  lazyPostgres: number;
  lazyPeerP50Ms: number | undefined;
  lazyPeerP99Ms: number | undefined;
  lazyPgP50Ms: number | undefined;
  lazyPgP99Ms: number | undefined;
  pgRowsRead: number;
  pgBytesRead: number;
  /** Where the tail comes from: requests the new owners held for a shard in handoff, gateway calls sent again to another node. */
  heldInHandoff: number;
  gatewayReroutes: number;
  /** Requests of the move window slower than the steady window's p99. */
  slowerThanSteadyP99: number;
  errorsDuringMove: number;
  load1: number;
}

interface ModeResult {
  moves: MoveResult[];
  requests: number;
  ackedWrites: number;
  lostWrites: number;
  clientErrors: number;
  errorsByStatus: Record<string, number>;
  shardCpuUsPerRequest: number | undefined;
  load1: number;
}

async function runMode(mode: string, args: Args, seeds: readonly SessionSeed[]): Promise<ModeResult> {
  const logs = mkdtempSync(join(tmpdir(), `bench-scale-${mode}-`));
  process.stderr.write(`[${mode}] starting a stack of 2 shard nodes (logs in ${logs})\n`);
  const stack = await startLocalStack({
    shardNodes: 2,
    quiet: true,
    logs,
    env: {
      LOG_LEVEL: 'warn',
      TRANSFER: mode,
      // Off in both modes: a node joining or leaving moves shards to nodes without warm copies, so what moves is the transfer's doing.
      REPLICATION: 'off',
      REBALANCE_MS: '100',
      // Only the moves the benchmark makes: leases that survive a loaded machine, no draining of slow nodes.
      HEARTBEAT_MS: '1000',
      LEASE_MS: '15000',
      SUSPECT_AFTER_MS: '12000',
      FAILURE_PROBE_MS: '0',
      DEGRADED_P99_MS: '0',
      // The old owner waits this long for the new owner's answer (the default, 500 ms, is for a machine that is not overloaded).
      TRANSFER_TIMEOUT_MS: '2000',
    },
  });
  const interrupted = () => void stack.stop().finally(() => process.exit(130));
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  const load = new Load(stack, seeds, args);
  try {
    await load.seed();
    process.stderr.write(`[${mode}] ${seeds.length} sessions created; warming up for ${args.steadyS} s\n`);
    load.start();
    await sleep(args.steadyS * 1000);
    const moves: MoveResult[] = [];
    let cpu: number | undefined;
    // Steady state on 2 nodes, then a third joins.
    {
      const { from, to, cpuUsPerRequest } = await load.steady(args.steadyS);
      cpu = cpuUsPerRequest;
      moves.push(
        await measureMove('out 2→3', stack, load, args, { from, to }, async () => {
          // At info level: its handover on leaving is logged, and its counters leave with it.
          const started = await stack.startService('shard', 'shard-3', { LOG_LEVEL: 'info' });
          return { reference: Date.now(), newOwners: [started] };
        }),
      );
    }
    // Steady state on 3 nodes, then the third leaves (SIGTERM: it hands its sessions over as it goes).
    {
      const { from, to } = await load.steady(args.steadyS);
      moves.push(
        await measureMove('in 3→2', stack, load, args, { from, to }, async () => {
          const reference = Date.now();
          await stack.kill('shard-3', 'SIGTERM');
          return { reference, newOwners: shardNodes(stack), left: join(logs, 'shard-3.log') };
        }),
      );
    }
    await load.stop();
    process.stderr.write(`[${mode}] reading back ${load.acked.size} acknowledged writes\n`);
    const lost = await load.readBack();
    return {
      moves,
      requests: load.samples.length,
      ackedWrites: load.acked.size,
      lostWrites: lost,
      clientErrors: load.errors,
      errorsByStatus: load.errorsByStatus,
      shardCpuUsPerRequest: cpu,
      load1: loadavg()[0]!,
    };
  } finally {
    process.off('SIGINT', interrupted);
    process.off('SIGTERM', interrupted);
    await load.stop();
    await stack.stop();
    rmSync(logs, { recursive: true, force: true });
  }
}

/**
 * One move: metrics of the shard nodes before, the move itself (`act`), then until the assignment
 * settles plus `--after-s`, polling the new owners for the first moved session they serve.
 */
async function measureMove(
  name: string,
  stack: LocalStack,
  load: Load,
  args: Args,
  steady: { from: number; to: number },
  act: () => Promise<{ reference: number; newOwners: ServiceProcess[]; left?: string }>,
): Promise<MoveResult> {
  process.stderr.write(`move ${name}\n`);
  const before = shardNodes(stack);
  const textsBefore = await scrapeMetrics(before);
  const gateways = [...stack.services.values()].filter((s) => s.app === 'gateway');
  const gatewayBefore = await scrapeMetrics(gateways);
  const errorsBefore = load.errors;
  const start = Date.now();
  // Every node's counts before the move (a joining node starts at 0).
  const beforeByName = new Map(before.map((s, i) => [s.name, textsBefore[i]!]));
  let firstServedAt: number | undefined;
  let reference = start;
  let polling = true;
  let owners: ServiceProcess[] = [];
  const firstServed = (async () => {
    while (polling && firstServedAt === undefined) {
      if (owners.length > 0) {
        const texts = await scrapeMetrics(owners).catch(() => []);
        for (const [i, t] of texts.entries()) {
          const prior = beforeByName.get(owners[i]!.name) ?? '';
          if (servedMoved(t) > servedMoved(prior)) firstServedAt ??= Date.now();
        }
      }
      await sleep(25);
    }
  })();
  const done = act();
  // The joining node is polled once it is healthy; survivors of a leave from the start.
  if (name.startsWith('in')) owners = before.filter((s) => s.name !== 'shard-3');
  const result = await done;
  reference = result.reference;
  owners = result.newOwners;
  // Every shard with a live owner, and only the nodes now running own shards.
  await stack.waitForAssignment(
    shardNodes(stack).map((s) => s.name),
    { exact: true, timeoutMs: 180_000 },
  );
  const settled = Date.now();
  await sleep(args.afterS * 1000);
  const end = Date.now();
  polling = false;
  await firstServed;
  const after = shardNodes(stack);
  const textsAfter = await scrapeMetrics(after);
  const gatewayAfter = await scrapeMetrics(gateways);
  const gatewayDelta = (metric: string) => gatewayAfter.reduce((n, t, i) => n + metricSum(t, metric) - metricSum(gatewayBefore[i] ?? '', metric), 0);
  // Counters of nodes present at both ends (a node that left takes its counters with it).
  const delta = (metric: string, label = '') =>
    after.reduce((n, s, i) => n + metricSum(textsAfter[i]!, metric, label) - metricSum(beforeByName.get(s.name) ?? '', metric, label), 0);
  const sentBy = (kind: string) =>
    before.reduce((n, s, i) => {
      const j = after.findIndex((a) => a.name === s.name);
      return j < 0
        ? n
        : n +
            metricSum(textsAfter[j]!, 'foresight_transfer_bytes_total', `kind="${kind}"`) -
            metricSum(textsBefore[i]!, 'foresight_transfer_bytes_total', `kind="${kind}"`);
    }, 0);
  let eagerBytes = sentBy('immediate');
  let fullBytes = sentBy('full');
  if (result.left) {
    // The leaving node's counters left with it: its handover logs what it pushed.
    const handed = handedOver(result.left);
    eagerBytes += handed.immediateBytes;
    fullBytes += handed.fullBytes;
  }
  const lazy = (source: string) => {
    const q = (p: number) => {
      const b = bucketDelta(
        histogramBuckets(textsAfter, 'foresight_transfer_lazy_fetch_seconds', `source="${source}"`),
        histogramBuckets(
          after.map((s) => beforeByName.get(s.name) ?? ''),
          'foresight_transfer_lazy_fetch_seconds',
          `source="${source}"`,
        ),
      );
      const v = histogramQuantile(b, p);
      return v === undefined ? undefined : v * 1000;
    };
    return { p50: q(0.5), p99: q(0.99) };
  };
  const steadyStats = windowStats(load.samples, steady.from, steady.to);
  const moveStats = windowStats(load.samples, start, end);
  const lazyPeer = lazy('peer');
  const lazyPg = lazy('postgres');
  return {
    move: name,
    eagerBytes,
    fullBytes,
    eagerShareOfFull: fullBytes > 0 ? eagerBytes / fullBytes : undefined,
    sessionsAccepted: delta('foresight_transfer_sessions_total', 'side="received",outcome="accepted"'),
    firstServedMs: firstServedAt === undefined ? undefined : Math.max(0, firstServedAt - reference),
    steadyP50Ms: steadyStats.p50,
    steadyP99Ms: steadyStats.p99,
    moveP50Ms: moveStats.p50,
    moveP99Ms: moveStats.p99,
    p99Ratio: moveStats.p99 !== undefined && steadyStats.p99 ? moveStats.p99 / steadyStats.p99 : undefined,
    moveMs: settled - start,
    lazyPeer: delta('foresight_transfer_lazy_fetches_total', 'source="peer"'),
    lazyPostgres: delta('foresight_transfer_lazy_fetches_total', 'source="postgres"'),
    lazyPeerP50Ms: lazyPeer.p50,
    lazyPeerP99Ms: lazyPeer.p99,
    lazyPgP50Ms: lazyPg.p50,
    lazyPgP99Ms: lazyPg.p99,
    pgRowsRead: delta('foresight_session_load_rows_total'),
    pgBytesRead: delta('foresight_session_load_bytes_total'),
    heldInHandoff: delta('foresight_handoff_waits_total'),
    gatewayReroutes: gatewayDelta('foresight_gateway_reroutes_total'),
    slowerThanSteadyP99: steadyStats.p99 === undefined ? 0 : load.samples.filter((x) => x.ok && x.at >= start && x.at < end && x.ms > steadyStats.p99!).length,
    errorsDuringMove: load.errors - errorsBefore,
    load1: loadavg()[0]!,
  };
}

/** First accesses served on a node to sessions that moved there: loaded from Postgres, or from a push. */
function servedMoved(text: string): number {
  return metricSum(text, 'foresight_session_loads_total') + metricSum(text, 'foresight_transfer_first_access_total', 'outcome="pushed"');
}

/** What a leaving node's handover logged (pino JSON lines). */
function handedOver(logFile: string): { immediateBytes: number; fullBytes: number } {
  let immediateBytes = 0;
  let fullBytes = 0;
  let text = '';
  try {
    text = readFileSync(logFile, 'utf8');
  } catch {
    return { immediateBytes, fullBytes };
  }
  for (const line of text.split('\n')) {
    if (!line.includes('handed sessions over with their shards')) continue;
    try {
      const entry = JSON.parse(line) as { immediateBytes?: number; fullBytes?: number };
      immediateBytes += entry.immediateBytes ?? 0;
      fullBytes += entry.fullBytes ?? 0;
    } catch {
      // not a JSON log line
    }
  }
  return { immediateBytes, fullBytes };
}

function shardNodes(stack: LocalStack): ServiceProcess[] {
  return [...stack.services.values()].filter((s) => s.app === 'shard');
}

/**
 * The clients: `--workers` loops, each owning a slice of the sessions and sending one request at a
 * time (so writes to a session never overlap and the last acknowledged value is the one to read
 * back), each session drawn by its popularity, each request from the mix.
 */
class Load {
  readonly samples: Sample[] = [];
  /** The last acknowledged value written to each session's profile/last. */
  readonly acked = new Map<string, number>();
  errors = 0;
  readonly errorsByStatus: Record<string, number> = {};
  private ids: string[] = [];
  private running = false;
  private loops: Promise<void>[] = [];
  private readonly headers: Record<string, string>;

  constructor(
    private readonly stack: LocalStack,
    private readonly seeds: readonly SessionSeed[],
    private readonly args: Args,
  ) {
    this.headers = { 'x-api-key': stack.apiKey, 'content-type': 'application/json' };
  }

  async seed(): Promise<void> {
    const ids = new Array<string>(this.seeds.length);
    let next = 0;
    await Promise.all(
      Array.from({ length: Math.min(32, this.args.workers * 2) }, async () => {
        for (let i = next++; i < this.seeds.length; i = next++) {
          const r = await fetch(`${this.stack.gatewayUrl}/v1/sessions`, {
            method: 'POST',
            headers: this.headers,
            body: JSON.stringify({ data: this.seeds[i]!.data }),
          });
          if (!r.ok) throw new Error(`creating session ${i}: HTTP ${r.status} ${await r.text()}`);
          ids[i] = ((await r.json()) as { id: string }).id;
        }
      }),
    );
    this.ids = ids;
  }

  start(): void {
    this.running = true;
    const w = this.args.workers;
    this.loops = Array.from({ length: w }, (_, k) => this.loop(k, w));
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
    this.loops = [];
  }

  /** Measures `seconds` of steady state: the window, and the shard nodes' CPU per request in it. */
  async steady(seconds: number): Promise<{ from: number; to: number; cpuUsPerRequest: number | undefined }> {
    const from = Date.now();
    const n0 = this.samples.length;
    const cpu0 = cpuSnapshot();
    await sleep(seconds * 1000);
    const to = Date.now();
    const wallS = (to - from) / 1000;
    const cpu = cpuBetween(cpu0, cpuSnapshot(), wallS);
    const requests = this.samples.length - n0;
    // Percent of one core used by the shard node processes over the window.
    const shardCpuS = ((cpu.byLabel.shard ?? 0) / 100) * wallS;
    return { from, to, cpuUsPerRequest: requests > 0 && shardCpuS > 0 ? (shardCpuS * 1e6) / requests : undefined };
  }

  private async loop(k: number, w: number): Promise<void> {
    const mine = this.seeds.map((s, i) => ({ s, i })).filter(({ i }) => i % w === k);
    if (mine.length === 0) return;
    const cum = cumulative(mine.map(({ s }) => s.weight));
    const rng = seededRng(this.args.seed * 1000 + k);
    let n = 0;
    while (this.running) {
      const { i, s } = mine[pickWeighted(cum, rng())]!;
      const id = this.ids[i]!;
      const req = pickRequest(rng());
      const value = req.method === 'PUT' ? k * 1e9 + ++n : undefined;
      const started = performance.now();
      let ok = false;
      let status = 'network';
      try {
        const r = await fetch(`${this.stack.gatewayUrl}/v1/sessions/${id}/vars/${req.group}/${req.name}`, {
          method: req.method,
          headers: this.headers,
          ...(value !== undefined ? { body: JSON.stringify({ value: s.items[n % s.items.length]! * 1e9 + value }) } : {}),
        });
        ok = r.ok;
        status = String(r.status);
        await r.arrayBuffer();
        if (ok && value !== undefined) this.acked.set(id, s.items[n % s.items.length]! * 1e9 + value);
      } catch {
        ok = false;
      }
      this.samples.push({ at: Date.now(), ms: performance.now() - started, ok });
      if (!ok) {
        this.errors++;
        this.errorsByStatus[status] = (this.errorsByStatus[status] ?? 0) + 1;
      }
    }
  }

  /** Reads every acknowledged write back (strong reads); returns how many do not match. */
  async readBack(): Promise<number> {
    const entries = [...this.acked];
    let next = 0;
    let lost = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        for (let i = next++; i < entries.length; i = next++) {
          const [id, value] = entries[i]!;
          const r = await fetch(`${this.stack.gatewayUrl}/v1/sessions/${id}/vars/profile/last?consistent=true`, { headers: this.headers });
          const body = (await r.json()) as { value?: number };
          if (body.value !== value) lost++;
        }
      }),
    );
    return lost;
  }
}

/**
 * The state profiler's cost per recorded access, alone in this process: the accesses of the request
 * mix over the sessions, by popularity, each recorded as the shard node records it.
 */
function profilerCost(seeds: readonly SessionSeed[]): { usPerAccess: number; accesses: number } {
  const model = new NextAccessModel(30_000);
  const profiler = new StateProfiler({ groups: GROUPS, maxSessions: 200_000, halfLifeMs: 60_000, model });
  const ids = seeds.map((_, i) => `s${i}`);
  const cum = cumulative(seeds.map((s) => s.weight));
  const rng = seededRng(7);
  const accesses = 400_000;
  const plan = Array.from({ length: accesses }, () => ({ id: ids[pickWeighted(cum, rng())]!, req: pickRequest(rng()) }));
  let now = Date.now();
  // Warm-up (JIT), then the measured pass.
  for (let pass = 0; pass < 2; pass++) {
    const before = process.cpuUsage();
    for (const { id, req } of plan) profiler.record(id, [req.group], req.method === 'PUT' ? 'write' : 'read', (now += 1));
    const used = process.cpuUsage(before);
    if (pass === 1) return { usPerAccess: (used.user + used.system) / accesses, accesses };
  }
  throw new Error('unreachable');
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);
const ratio = (a: number, b: number) => (b > 0 ? a / b : undefined);

main().catch((error: unknown) => {
  process.stderr.write(`bench:scale failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
