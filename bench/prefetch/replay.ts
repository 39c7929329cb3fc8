import { ByteCache, DeclaredRequirements, OriginRegistry, PredictiveCache, RequirementResolver, ResilientOrigin, type GetResult } from '@foresight/cache-core';
import { seededRng } from '@foresight/random';
import { ManualClock } from '@foresight/time';
import type { Schedule } from './schedule';
import type { System } from './systems';

/** Settings shared by every replay. */
export interface ReplaySettings {
  readonly capacityEntries: number;
  readonly latencyMs: number;
  readonly thinkMs: number;
  readonly prefetchConcurrency: number;
  readonly progress?: (done: number, total: number) => void;
}

/** Measured outcome of one system at one capacity. */
export interface ReplayResult {
  readonly requests: number;
  readonly hits: number;
  /** Reads that joined a load already in flight (a prefetch that had not landed yet). */
  readonly joined: number;
  readonly misses: number;
  readonly demandFetches: number;
  readonly prefetchFetches: number;
  /** Prefetches whose value was read: first hits on prefetched entries plus reads that joined them. */
  readonly prefetchUsed: number;
  readonly latencyP50: number;
  readonly latencyP99: number;
  readonly meanLatency: number;
  /** Under a fetch budget: the node's own estimate of a demand-only cache's fetches, and its final threshold. */
  readonly budget?: { readonly baselineFetches: number; readonly threshold: number; readonly precision: number | null; readonly precisionFloor: number };
}

const flush = () => new Promise<void>((r) => setImmediate(r));

/**
 * Replays the schedule through the real cache code: one {@link PredictiveCache} over a
 * {@link ByteCache} with the system's eviction policy, an origin answering every key after
 * `latencyMs` of simulated time, and the system's predictor and planner. Every page id is one
 * key of 1 byte (`page:<id>`), needed by the action `view:<id>` (a declared requirement).
 * Counters are taken over the requests from the first measured one to the end.
 */
export async function replay(
  sessions: readonly (readonly string[])[],
  schedule: Schedule,
  system: System,
  s: ReplaySettings,
  nextUse?: Float64Array,
): Promise<ReplayResult> {
  const clock = new ManualClock(0);
  const origin = new ResilientOrigin<number>(
    {
      id: 'sim',
      timeoutMs: 60_000,
      initialLatencyMs: s.latencyMs,
      maxPrefetchConcurrency: s.prefetchConcurrency,
      fetch: (key, signal) =>
        new Promise((resolve) => {
          const t = clock.setTimeout(() => resolve({ value: key.length, size: 1 }), s.latencyMs);
          signal.addEventListener('abort', () => clock.clearTimeout(t), { once: true });
        }),
    },
    { clock, timers: clock, rng: seededRng(1) },
  );
  const origins = new OriginRegistry<number>();
  origins.register('page:*', origin);
  const declared = new DeclaredRequirements();
  declared.declare('view:{id}', ['page:{id}']);
  const cache = new ByteCache<number>({ budgetBytes: s.capacityEntries, policy: system.policy, clock });
  const node = new PredictiveCache<number>({
    cache,
    origins,
    requirements: new RequirementResolver(declared),
    clock,
    predictor: system.predictor,
    planner: system.planner,
    learnOnline: system.learnOnline,
    protection: system.protection,
    protectSteps: system.protectSteps,
    sessionIdleMs: Math.max(1000, 20 * s.thinkMs),
    liveSessionMs: Math.max(1000, 6 * s.thinkMs),
    prefetchBudgetShare: system.prefetchBudgetShare,
    protectionAgeDecay: system.protectionAgeDecay,
    fetchBudget: system.fetchBudget,
    victimMeasure: system.victimMeasure,
    budgetJudge: system.budgetJudge,
    maxQueuedPerOwner: 32,
    defaultSizeBytes: 1,
  });

  let start = schedule.length;
  for (let j = 0; j < schedule.length; j++) {
    if (schedule.measured[j]) {
      start = j;
      break;
    }
  }
  const waits: number[] = [];
  let hits = 0;
  let joined = 0;
  let misses = 0;
  let base = { demand: 0, prefetch: 0, used: 0, joinedPrefetch: 0, baseline: 0 };
  const record = (r: GetResult<number>) => {
    waits.push(r.waitedMs);
    if (r.source === 'cache') hits++;
    else if (r.source === 'inflight') joined++;
    else misses++;
  };
  const fail = (e: unknown) => {
    throw e;
  };

  // Runs due timers one by one, letting promise callbacks settle after each, so a reader resumes
  // at the simulated instant its load completed (its waitedMs is exact).
  const advanceTo = async (t: number) => {
    for (let next = clock.nextTimerAt(); next !== undefined && next <= t; next = clock.nextTimerAt()) {
      clock.advanceTo(next);
      await flush();
    }
    clock.advanceTo(t);
  };

  for (let j = 0; j < schedule.length; j++) {
    await advanceTo(schedule.time[j]!);
    await flush();
    if (j === start) {
      base = {
        demand: node.scheduler.stats.demandLoads,
        prefetch: node.scheduler.stats.prefetchStarted,
        used: cache.stats.prefetchUsed,
        joinedPrefetch: node.scheduler.stats.demandJoined,
        baseline: node.budgetStats?.baselineFetches ?? 0,
      };
    }
    const sess = sessions[schedule.session[j]!]!;
    const pos = schedule.position[j]!;
    const page = sess[pos]!;
    const key = `page:${page}`;
    if (system.oracle) system.oracle.next = pos + 1 < sess.length ? `view:${sess[pos + 1]}` : undefined;
    if (system.belady && nextUse) system.belady.setNextUse(key, nextUse[j]!);
    const sid = `s${schedule.session[j]}`;
    node.recordAction(sid, `view:${page}`);
    const read = node.get(sid, key);
    read.then(j >= start ? record : () => undefined, fail);
    if (s.progress && j % 100_000 === 0) s.progress(j, schedule.length);
  }
  await advanceTo(clock.now() + 100 * Math.max(1, s.latencyMs));
  await flush();

  const st = node.scheduler.stats;
  const budget = node.budgetStats;
  const requests = schedule.length - start;
  waits.sort((a, b) => a - b);
  const q = (f: number) => (waits.length === 0 ? 0 : waits[Math.min(waits.length - 1, Math.floor(f * waits.length))]!);
  return {
    requests,
    hits,
    joined,
    misses,
    demandFetches: st.demandLoads - base.demand,
    prefetchFetches: st.prefetchStarted - base.prefetch,
    prefetchUsed: cache.stats.prefetchUsed - base.used + (st.demandJoined - base.joinedPrefetch),
    latencyP50: q(0.5),
    latencyP99: q(0.99),
    meanLatency: waits.reduce((a, b) => a + b, 0) / Math.max(1, waits.length),
    budget: budget && {
      baselineFetches: budget.baselineFetches - base.baseline,
      threshold: budget.threshold,
      precision: budget.precision ?? null,
      precisionFloor: budget.precisionFloor,
    },
  };
}
