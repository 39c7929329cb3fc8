import type { EdgeState } from '@foresight/affinity-core';
import { BinaryHeap } from '@foresight/heap';
import type { Rng } from '@foresight/random';
import type { EdgeView, Policy, SessionView } from './policies';
import type { SimSession } from './traces';
import type { World } from './world';

export interface SimOptions {
  readonly l1TtlMs: number;
  readonly coldMs: number;
  readonly deadAttemptMs: number;
  readonly leaseMs: number;
  readonly reportMs: number;
}

/** One policy's figures over one trace. */
export interface PolicyResult {
  readonly policy: string;
  readonly sessions: number;
  readonly requests: number;
  /** Share of requests answered by the edge that answered the session's first request. */
  readonly firstEdgeShare: number;
  /** Latency added over the best live edge (warm), ms. */
  readonly addedLatencyMs: { readonly mean: number; readonly p50: number; readonly p99: number };
  /** Share of requests the edge answered from a cold cache. */
  readonly coldShare: number;
  /** Per killed edge: from the kill to the last request still sent to it, ms. */
  readonly rerouteMs: { readonly mean: number; readonly max: number };
  /** Attempts that failed (dead edge, edge error) and were retried elsewhere; requests that failed everywhere. */
  readonly failedAttempts: number;
  /** Of which attempts to a dead edge (what a client without failover would see as errors). */
  readonly deadAttempts: number;
  readonly failedRequests: number;
  /** Changes of a session's edge (where its requests are sent), per hour of trace. */
  readonly movesPerHour: number;
  readonly moves: number;
}

interface Window {
  attempts: number;
  errors: number;
  rttSum: number;
  answered: number;
  since: number;
}

interface Live {
  readonly view: SessionView;
  readonly clientKey: string;
  first: number;
  last: number;
  /** When each edge last served it (warm within the L1 TTL). */
  readonly seen: Map<number, number>;
  window: Window;
  current: number;
}

function percentile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

/**
 * Replays the sessions' requests in time order through one policy. Each request goes to the policy's
 * edge; a dead edge costs `deadAttemptMs` and a failing one its RTT before the client tries the
 * policy's fallback. The edge answers warm if it served the session within the L1 TTL, else cold.
 * Clients report their current edge's RTT, errors and rate every `reportMs` of activity; the reports
 * feed the policy and the shared edge view (RTT per edge and client zone, error rate).
 */
export function simulate(sessions: readonly SimSession[], policy: Policy, world: World, o: SimOptions, rng: Rng): PolicyResult {
  const edges = world.edgeZones.length;
  const rttByZone: Record<string, number>[] = Array.from({ length: edges }, () => ({}));
  const errorRate = new Array<number>(edges).fill(0);
  const assigned = new Array<number>(edges).fill(0);
  let liveSessions = 0;
  const listed = (t: number): number[] => {
    const out: number[] = [];
    for (let e = 0; e < edges; e++) {
      const died = world.diedAt(e, t);
      if (died === undefined || t - died < o.leaseMs) out.push(e);
    }
    return out;
  };
  const view: EdgeView = {
    listed,
    states: (t): EdgeState[] => {
      const up = new Set(listed(t));
      const capacity = Math.max(10, Math.ceil((1.5 * liveSessions) / Math.max(1, up.size)));
      return world.edgeZones.map((zone, e) => ({
        edgeId: `e${e}`,
        zone,
        healthy: up.has(e),
        sessions: assigned[e]!,
        capacity,
        rttMsByZone: rttByZone[e],
        errorRate: errorRate[e],
      }));
    },
  };

  // Requests in time order across sessions (a heap of each session's next request).
  const heap = new BinaryHeap<{ at: number; s: number; i: number }>((a, b) => a.at < b.at || (a.at === b.at && a.s < b.s));
  for (let s = 0; s < sessions.length; s++) if (sessions[s]!.requests.length > 0) heap.push({ at: sessions[s]!.requests[0]!, s, i: 0 });
  const live = new Map<number, Live>();
  const added: number[] = [];
  let firstHits = 0;
  let cold = 0;
  let failedAttempts = 0;
  let failedRequests = 0;
  let deadAttempts = 0;
  let moves = 0;
  const lastDeadAttempt = new Map<number, number>();
  let start = Infinity;
  let end = -Infinity;

  for (let next = heap.pop(); next; next = heap.pop()) {
    const { at: t, s: si, i } = next;
    start = Math.min(start, t);
    end = Math.max(end, t);
    const session = sessions[si]!;
    let l = live.get(si);
    if (!l) {
      l = {
        view: { id: session.id, zone: world.clientZone(session.clientKey) },
        clientKey: session.clientKey,
        first: -1,
        last: -1,
        seen: new Map(),
        window: { attempts: 0, errors: 0, rttSum: 0, answered: 0, since: t },
        current: -1,
      };
      live.set(si, l);
      liveSessions++;
    }
    // The request: the policy's edge, then its fallbacks.
    const excluded = new Set<number>();
    const target = policy.target(l.view, t, view);
    let edge: number | undefined = target;
    let cost = 0;
    let servedRtt = 0;
    let currentDead = false;
    while (edge !== undefined) {
      const onCurrent = edge === l.current;
      if (onCurrent) l.window.attempts++;
      if (!world.alive(edge, t)) {
        cost += o.deadAttemptMs;
        failedAttempts++;
        if (onCurrent) l.window.errors++;
        if (edge === l.current) currentDead = true;
        lastDeadAttempt.set(edge, t);
        deadAttempts++;
      } else {
        const rtt = world.rttMs(l.clientKey, l.view.zone, edge, t);
        if (rng() >= world.errorRate(edge, t)) {
          const warm = (l.seen.get(edge) ?? -Infinity) >= t - o.l1TtlMs;
          cost += rtt + (warm ? 0 : o.coldMs);
          if (!warm) cold++;
          // What the agent measures: the RTT with jitter.
          servedRtt = rtt * Math.exp(0.15 * (rng() + rng() + rng() - 1.5));
          break;
        }
        cost += rtt;
        failedAttempts++;
        if (onCurrent) l.window.errors++;
      }
      excluded.add(edge);
      edge = excluded.size < edges ? policy.fallback(l.view, excluded, t, view) : undefined;
    }
    if (edge === undefined) {
      failedRequests++;
    } else {
      let best = Infinity;
      for (let e = 0; e < edges; e++) if (world.alive(e, t)) best = Math.min(best, world.rttMs(l.clientKey, l.view.zone, e, t));
      added.push(Math.max(0, cost - best));
      if (l.first === -1) l.first = edge;
      if (edge === l.first) firstHits++;
      l.last = edge;
      l.seen.set(edge, t);
      // The session's edge: the one it was sent to, or the one that answered when its own was dead;
      // a retry elsewhere after an error serves one request without moving the session.
      if (edge !== l.current && (edge === target || currentDead || l.current === -1)) {
        if (l.current !== -1) moves++;
        if (l.current !== -1) assigned[l.current]!--;
        assigned[edge]!++;
        l.current = edge;
        l.window = { attempts: 1, errors: 0, rttSum: servedRtt, answered: 1, since: t };
      } else {
        l.window.rttSum += servedRtt;
        l.window.answered++;
      }
      policy.served(l.view, edge, t, currentDead);
    }
    // The agent's report of its current edge, once per interval of activity.
    const w = l.window;
    if (l.current !== -1 && t - w.since >= o.reportMs && w.attempts > 0) {
      const obs = {
        rttMs: w.answered > 0 ? w.rttSum / w.answered : Infinity,
        requests: w.attempts,
        errors: w.errors,
        requestRatePerSecond: (w.attempts * 1000) / (t - w.since),
      };
      if (w.answered > 0) {
        const prev = rttByZone[l.current]![l.view.zone];
        rttByZone[l.current]![l.view.zone] = prev === undefined ? obs.rttMs : 0.95 * prev + 0.05 * obs.rttMs;
      }
      errorRate[l.current] = 0.9 * errorRate[l.current]! + 0.1 * (w.errors / w.attempts);
      policy.report(l.view, l.current, obs, t, view);
      l.window = { attempts: 0, errors: 0, rttSum: 0, answered: 0, since: t };
    }
    if (i + 1 < session.requests.length) heap.push({ at: session.requests[i + 1]!, s: si, i: i + 1 });
    else {
      if (l.current !== -1) assigned[l.current]!--;
      live.delete(si);
      liveSessions--;
      policy.ended(l.view);
    }
  }

  const sorted = Float64Array.from(added).sort();
  const kills = world.events.filter((e) => e.kind === 'kill');
  const reroutes = kills.map((k) => {
    const last = lastDeadAttempt.get(k.edge);
    return last !== undefined && last >= k.start && last < k.end ? last - k.start : 0;
  });
  const requests = added.length + failedRequests;
  const hours = Math.max(1e-9, (end - start) / 3_600_000);
  return {
    policy: policy.name,
    sessions: sessions.length,
    requests,
    firstEdgeShare: requests > 0 ? firstHits / requests : 0,
    addedLatencyMs: { mean: added.reduce((a, b) => a + b, 0) / Math.max(1, added.length), p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99) },
    coldShare: requests > 0 ? cold / requests : 0,
    rerouteMs: { mean: reroutes.length > 0 ? reroutes.reduce((a, b) => a + b, 0) / reroutes.length : 0, max: reroutes.length > 0 ? Math.max(...reroutes) : 0 },
    failedAttempts,
    deadAttempts,
    failedRequests,
    movesPerHour: moves / hours,
    moves,
  };
}
