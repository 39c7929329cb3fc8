import { connectSubscriber, subscribe } from '@foresight/events';
import { runLoad } from '../store/load';
import { seededRng } from '../store/rng';
import { seedSessions } from '../store/seed';
import { startLocalStack } from '../../scripts/local-stack';

export interface LagOptions {
  readonly rate: number;
  readonly durationS: number;
  readonly warmupS: number;
  readonly connections: number;
  readonly sessions: number;
  readonly seed: number;
  readonly maxInFlight: number;
}

export interface LagResult {
  /** The PUT/s aimed at (0: uncapped, as fast as the stack answers, as bench:store runs). */
  readonly targetRate: number;
  /** 2xx PUTs per second over the measured window. */
  readonly achievedPutRate: number;
  readonly putP99Ms: number;
  readonly putErrors: number;
  readonly putNon2xx: number;
  /** CPU of this process (load generator and consumer together), % of one core. */
  readonly benchProcessCpuPct: number;
  readonly measured: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

const quantile = (sorted: readonly number[], q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;

/**
 * Lag from an event's decision to its handler while bench:store's PUT load runs through a local
 * stack: same sessions (seeded), same carts, same route, autocannon at the same connections, capped
 * at `rate` when it is not 0. Only events decided inside the measured window count.
 */
export async function measureLag(opts: LagOptions, log: (text: string) => void): Promise<LagResult> {
  const stack = await startLocalStack({ quiet: true, shardNodes: 1, env: { LOG_LEVEL: 'warn', FORESIGHT_NAMESPACE: `bev${process.pid}` } });
  try {
    const target = { url: stack.gatewayUrl, apiKey: stack.apiKey };
    log(`lag: creating ${opts.sessions} sessions ...`);
    const ids = await seedSessions(target, opts.sessions, seededRng(opts.seed), (n) => log(`lag: ${n}/${opts.sessions} sessions`));
    const login = stack.natsLogin({ role: 'subscriber' });
    const nc = await connectSubscriber({ servers: stack.natsUrl, user: login?.user, nkeySeed: login?.seed });
    const lags: number[] = [];
    let window = { from: Number.POSITIVE_INFINITY, to: Number.POSITIVE_INFINITY };
    const sub = await subscribe(nc, {
      stream: 'sessions',
      namespace: stack.namespace,
      start: 'new',
      types: ['session.variable_set'],
      maxInFlight: opts.maxInFlight,
      handlers: {
        'session.variable_set': (e) => {
          const decided = Date.parse(e.occurredAt);
          if (decided >= window.from && decided <= window.to) lags.push(Date.now() - decided);
        },
      },
    });
    const load = {
      system: 'foresight' as const,
      op: 'put' as const,
      target,
      ids,
      group: 'cart',
      name: 'items',
      connections: opts.connections,
      ...(opts.rate > 0 ? { overallRate: opts.rate } : {}),
    };
    if (opts.warmupS > 0) {
      log(`lag: warm-up ${opts.warmupS} s ...`);
      await runLoad({ ...load, durationS: opts.warmupS, rng: seededRng(opts.seed + 1) });
    }
    log(`lag: PUTs for ${opts.durationS} s at ${opts.connections} connections, ${opts.rate > 0 ? `capped at ${opts.rate}/s` : 'uncapped'} ...`);
    window = { from: Date.now(), to: Number.POSITIVE_INFINITY };
    const cpuBefore = process.cpuUsage();
    const wallBefore = process.hrtime.bigint();
    const put = await runLoad({ ...load, durationS: opts.durationS, rng: seededRng(opts.seed + 2) });
    const cpu = process.cpuUsage(cpuBefore);
    const cpuPct = (100 * (cpu.user + cpu.system)) / (Number(process.hrtime.bigint() - wallBefore) / 1000);
    window = { from: window.from, to: Date.now() };
    // Wait for the consumer to catch up: done when one event per acknowledged PUT arrived, or nothing came for 2 s.
    for (let last = -1, quietSince = Date.now(); lags.length < put.ok && Date.now() - quietSince < 2000;) {
      if (lags.length !== last) [last, quietSince] = [lags.length, Date.now()];
      await new Promise((r) => setTimeout(r, 50));
    }
    await sub.stop();
    await nc.drain();
    const sorted = [...lags].sort((a, b) => a - b);
    return {
      targetRate: opts.rate,
      achievedPutRate: Math.round(put.rps),
      putP99Ms: put.p99Ms,
      putErrors: put.errors,
      putNon2xx: put.non2xx,
      benchProcessCpuPct: Math.round(cpuPct),
      measured: sorted.length,
      p50Ms: quantile(sorted, 0.5),
      p99Ms: quantile(sorted, 0.99),
      maxMs: sorted.at(-1) ?? Number.NaN,
    };
  } finally {
    await stack.stop();
  }
}
