import autocannon from 'autocannon';
import type { OpName, SystemName } from './cli';
import { makeCartItems } from './payload';
import { pickIndex, type Rng } from './rng';
import type { Target } from './seed';

/** One measured (system, op) cell of the result table. */
export interface OpResult {
  readonly system: SystemName;
  readonly op: OpName;
  /** 2xx responses per second over the measured window (errors never count as throughput). */
  readonly rps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly latencyAvgMs: number;
  readonly ok: number;
  /** Connection errors and timeouts. */
  readonly errors: number;
  readonly non2xx: number;
  readonly durationS: number;
  readonly statusCodes: Readonly<Record<string, number>>;
  /** CPU used by the load generator (this process), in % of one core: near 100 means it was the limit. */
  readonly loadGenCpuPct: number;
  /** CPU of each process group of the run (% of one core) and of the whole machine (% busy), when known. */
  readonly cpu?: {
    readonly byLabel: Readonly<Record<string, number>>;
    readonly machineBusyPct: number;
    /** CPU ms of the system's own processes per 2xx response (see proc-cpu.ts). */
    readonly serverCpuMsPerRequest: number;
  };
}

/** What to send: which op, on which sessions and variable, at which concurrency. */
export interface LoadSpec {
  readonly system: SystemName;
  readonly target: Target;
  readonly op: OpName;
  readonly ids: readonly string[];
  readonly group: string;
  readonly name: string;
  readonly connections: number;
  readonly durationS: number;
  readonly rng: Rng;
  /** Requests per second over all connections at most (autocannon's overallRate); none: as fast as answered. */
  readonly overallRate?: number;
  /** Several entry points of the same system (e.g. gateways): connections go round-robin over them instead of `target.url`. */
  readonly urls?: readonly string[];
}

/** Pre-encoded PUT bodies (new carts), so building a request costs the same for every system. */
function putBodies(rng: Rng, count = 256): string[] {
  return Array.from({ length: count }, () => JSON.stringify({ value: makeCartItems(rng) }));
}

/**
 * Runs autocannon against one system: every request picks a random session (seeded), GET reads the
 * variable, PUT replaces it with a new cart. Latency histograms include non-2xx responses.
 */
export async function runLoad(spec: LoadSpec): Promise<OpResult> {
  const bodies = spec.op === 'put' ? putBodies(spec.rng) : [];
  const paths = spec.ids.map((id) => `/v1/sessions/${encodeURIComponent(id)}/vars/${encodeURIComponent(spec.group)}/${encodeURIComponent(spec.name)}`);
  const method = spec.op === 'get' ? 'GET' : 'PUT';
  const cpuBefore = process.cpuUsage();
  const wallBefore = process.hrtime.bigint();
  const result = await autocannon({
    // autocannon takes several URLs and spreads connections round-robin over them; its typings only know one.
    url: (spec.urls === undefined ? spec.target.url : [...spec.urls]) as unknown as string,
    connections: spec.connections,
    duration: spec.durationS,
    ...(spec.overallRate === undefined ? {} : { overallRate: spec.overallRate }),
    headers: { 'x-api-key': spec.target.apiKey, 'content-type': 'application/json' },
    requests: [
      {
        method,
        setupRequest: (req) => ({
          ...req,
          path: paths[pickIndex(spec.rng, paths.length)],
          ...(method === 'PUT' ? { body: bodies[pickIndex(spec.rng, bodies.length)] } : {}),
        }),
      },
    ],
  });
  const cpu = process.cpuUsage(cpuBefore);
  const wallUs = Number(process.hrtime.bigint() - wallBefore) / 1000;
  const statusCodes: Record<string, number> = {};
  for (const [code, stat] of Object.entries(result.statusCodeStats ?? {})) statusCodes[code] = stat.count ?? 0;
  return {
    system: spec.system,
    op: spec.op,
    rps: result['2xx'] / result.duration,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    latencyAvgMs: result.latency.average,
    ok: result['2xx'],
    errors: result.errors,
    non2xx: result.non2xx,
    durationS: result.duration,
    statusCodes,
    loadGenCpuPct: (100 * (cpu.user + cpu.system)) / wallUs,
  };
}
