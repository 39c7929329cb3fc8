import { shouldRenewOnUse, type KeyRing, type RandomBytes, type SchedulerConfig, type HoltWintersParams, type LifetimeConfig } from '@foresight/token-core';

import type { TraceSession } from './apache-log';
import { EventQueue } from './event-queue';
import { ForesightDriver } from './foresight-driver';
import { peakInWindow, type PolicyResult } from './metrics';
import { SimTokenService, type TokenPair } from './sim-token-service';

/** A client/server refresh policy under test. */
export type Policy =
  | { readonly name: string; readonly kind: 'fixed-skew'; readonly skewMs: number }
  | { readonly name: string; readonly kind: 'on-401' }
  | {
      readonly name: string;
      readonly kind: 'foresight';
      readonly scheduler: SchedulerConfig;
      readonly loadModel: HoltWintersParams;
      readonly lifetime: LifetimeConfig;
      /** Requests finding their token this close to expiry renew it on use, off their path; 0 turns it off. */
      readonly renewOnUseMs: number;
      /** Decide once per token and calibrate ratings by outcomes (the push ledger). */
      readonly ledger: boolean;
      /** Renewal on use gated like a push (needs the ledger). */
      readonly gateRenewal: boolean;
    };

export interface SimulationOptions {
  readonly ring: KeyRing;
  readonly randomBytes: RandomBytes;
  readonly accessTtlMs: number;
  readonly idleTimeoutMs: number;
  readonly refreshLatencyMs: number;
  readonly graceMs: number;
  readonly peakWindowMs: number;
  readonly progress?: (done: number, total: number) => void;
}

/** What minted a pair: Foresight's push, renewal on use, a request holding a stale token, or a fixed-skew client's timer. */
type MintOrigin = 'pushed' | 'renewed' | 'on-request' | 'timer';

type SimEvent =
  | { readonly type: 'request'; readonly s: number }
  | { readonly type: 'deliver'; readonly s: number; readonly pair: TokenPair }
  | { readonly type: 'timer'; readonly s: number; readonly forExpiry: number }
  | { readonly type: 'push'; readonly s: number }
  | { readonly type: 'end'; readonly s: number }
  | { readonly type: 'tick' };

/**
 * Replays the sessions' request times on a simulated clock through the real token code.
 * Client model: every session is a client that stays connected until the server's idle timeout
 * ends its session (last request + idle timeout). Fixed-skew clients refresh on a timer at
 * `exp − skew` and, before a request, whenever the token is within the skew (the request waits);
 * refresh-on-401 clients refresh only after a request met an expired token; Foresight's server
 * pushes refreshed pairs (WebSocket in the product) when its scheduler says so, and its client
 * falls back to an on-request refresh if it ever holds an expired token.
 */
export async function simulate(sessions: readonly TraceSession[], policy: Policy, opts: SimulationOptions): Promise<PolicyResult> {
  const service = new SimTokenService({
    ring: opts.ring,
    accessTtlMs: opts.accessTtlMs,
    refreshTtlMs: 14 * 86_400_000,
    graceMs: opts.graceMs,
    randomBytes: opts.randomBytes,
  });
  const origin = sessions.length > 0 ? Math.min(...sessions.map((s) => s.requests[0]!)) : 0;
  const foresight =
    policy.kind === 'foresight'
      ? new ForesightDriver({
          scheduler: policy.scheduler,
          idleTimeoutMs: opts.idleTimeoutMs,
          loadModel: policy.loadModel,
          lifetime: policy.lifetime,
          origin,
          renewOnUse: policy.renewOnUseMs > 0,
          ledger: policy.ledger,
          gateRenewal: policy.gateRenewal,
        })
      : undefined;
  const bucketMs = policy.kind === 'foresight' ? policy.scheduler.bucketMs : 0;
  const minSkewMs = policy.kind === 'foresight' ? policy.scheduler.minSkewMs : 0;
  const renewOnUseMs = policy.kind === 'foresight' ? policy.renewOnUseMs : 0;

  const queue = new EventQueue<SimEvent>();
  const pairs: (TokenPair | undefined)[] = sessions.map(() => undefined);
  const nextRequest = sessions.map(() => 0);
  const sessionEnd = sessions.map((s) => s.requests[s.requests.length - 1]! + opts.idleTimeoutMs);
  const live = new Map<string, number>(); // session id → index, for Foresight's plan
  const pendingPush = new Set<number>();
  /** Sessions with a minted pair on its way to the client. */
  const inFlight = new Set<number>();
  let tickPending = false;
  let totalRequests = 0;
  let metExpired = 0;
  let waited = 0;
  let affected = 0;
  let pulledForward = 0;
  let otherFailures = 0;
  let renewedOnUse = 0;
  /** Each minted pair's origin, by its access token; and the pairs a later request presented. */
  const mintedBy = new Map<string, MintOrigin>();
  const presented = new Set<string>();
  /** Mint times by origin and session, to split the refreshes after the last request. */
  const mintOrigins = new Map<number, { at: number; origin: MintOrigin }[]>();
  sessions.forEach((s, i) => {
    queue.push(s.requests[0]!, { type: 'request', s: i });
    queue.push(sessionEnd[i]!, { type: 'end', s: i });
    totalRequests += s.requests.length;
  });

  const refreshAndDeliver = async (s: number, now: number, origin: MintOrigin): Promise<void> => {
    const result = await service.refresh(pairs[s]!.refreshToken, now, foresight?.accessTtl(sessions[s]!.id, now));
    if (result.kind === 'rejected') return;
    if (result.kind === 'rotated') {
      mintedBy.set(result.pair.accessToken, origin);
      const list = mintOrigins.get(s) ?? [];
      list.push({ at: now, origin });
      mintOrigins.set(s, list);
    }
    inFlight.add(s);
    queue.push(now + opts.refreshLatencyMs, { type: 'deliver', s, pair: result.pair });
  };
  const applyPair = (s: number, pair: TokenPair, now: number): void => {
    const held = pairs[s];
    if (held && held.accessExpiresAt > pair.accessExpiresAt) return;
    pairs[s] = pair;
    if (policy.kind === 'fixed-skew') {
      queue.push(Math.max(now, pair.accessExpiresAt - policy.skewMs), { type: 'timer', s, forExpiry: pair.accessExpiresAt });
    }
  };
  const scheduleTick = (now: number): void => {
    if (tickPending || !foresight) return;
    tickPending = true;
    queue.push(origin + Math.ceil((now - origin) / bucketMs) * bucketMs, { type: 'tick' });
  };

  let processed = 0;
  for (let ev = queue.pop(); ev; ev = queue.pop()) {
    const { at: now, item: e } = ev;
    switch (e.type) {
      case 'request': {
        const session = sessions[e.s]!;
        const idx = nextRequest[e.s]!++;
        if (idx + 1 < session.requests.length) queue.push(session.requests[idx + 1]!, { type: 'request', s: e.s });
        if (++processed % 2000 === 0) opts.progress?.(processed, totalRequests);
        if (idx === 0) {
          // Sign-in: the first request carries a fresh pair; not a refresh.
          const pair = await service.signIn(session.id, now, foresight?.accessTtl(session.id, now));
          foresight?.onLoad(now);
          applyPair(e.s, pair, now);
          live.set(session.id, e.s);
          scheduleTick(now);
        } else {
          // The server sees the request before it answers (its activity, and the outcome of a decision).
          foresight?.onRequest(session.id, now);
          const pair = pairs[e.s]!;
          presented.add(pair.accessToken);
          const verdict = await service.verify(pair.accessToken, now);
          const expired = !verdict.ok && verdict.error.code === 'TOKEN.EXPIRED';
          if (expired) metExpired++;
          else if (!verdict.ok) otherFailures++;
          const needsRefresh = expired || (policy.kind === 'fixed-skew' && pair.accessExpiresAt - now <= policy.skewMs);
          if (expired || needsRefresh) affected++;
          if (needsRefresh) {
            waited++;
            foresight?.onLoad(now);
            await refreshAndDeliver(e.s, now, 'on-request');
          } else if (
            verdict.ok &&
            !inFlight.has(e.s) &&
            shouldRenewOnUse(pair.accessExpiresAt, now, renewOnUseMs) &&
            pair.accessExpiresAt < now + opts.idleTimeoutMs &&
            (foresight?.renewOnUse(session.id, now, pair.accessExpiresAt) ?? true)
          ) {
            // Renewal on use: the request is answered as it is (no wait); the next pair is minted
            // beside it and reaches the client one refresh round trip later, like a pushed pair.
            renewedOnUse++;
            foresight?.onLoad(now);
            await refreshAndDeliver(e.s, now, 'renewed');
          }
        }
        if (idx === 0) foresight?.onRequest(session.id, now);
        break;
      }
      case 'deliver':
        inFlight.delete(e.s);
        applyPair(e.s, e.pair, now);
        break;
      case 'timer':
        if (now < sessionEnd[e.s]! && pairs[e.s]?.accessExpiresAt === e.forExpiry) await refreshAndDeliver(e.s, now, 'timer');
        break;
      case 'push':
        pendingPush.delete(e.s);
        if (now < sessionEnd[e.s]!) {
          foresight?.onScheduledWork(now);
          await refreshAndDeliver(e.s, now, 'pushed');
        }
        break;
      case 'end':
        service.endSession(sessions[e.s]!.id, now);
        foresight?.onSessionEnd(sessions[e.s]!.id);
        live.delete(sessions[e.s]!.id);
        break;
      case 'tick': {
        tickPending = false;
        const toPlan = new Map<string, number>();
        for (const [id, s] of live) if (!pendingPush.has(s)) toPlan.set(id, service.accessExpiry(id)!);
        const due = foresight!.plan(now, toPlan).filter((p) => p.action === 'refresh-now');
        // Spread this bucket's refreshes evenly over it (rate limiting), never past a session's floor.
        due.forEach((p, i) => {
          const s = live.get(p.sessionId)!;
          const floor = toPlan.get(p.sessionId)! - minSkewMs;
          const at = Math.max(now, Math.min(now + Math.floor((i * bucketMs) / due.length), floor));
          if (policy.kind === 'foresight' && at < toPlan.get(p.sessionId)! - policy.scheduler.thresholdMs) pulledForward++;
          pendingPush.add(s);
          queue.push(at, { type: 'push', s });
        });
        if (live.size > 0) {
          tickPending = true;
          queue.push(now + bucketMs, { type: 'tick' });
        }
        break;
      }
    }
  }

  const mintTimes = [...service.mints.values()].flat().sort((a, b) => a - b);
  let afterLast = 0;
  for (const [i, s] of sessions.entries()) {
    const last = s.requests[s.requests.length - 1]!;
    // At or after: a pair minted by the session's final request (renewed on use, or a fixed-skew
    // client's on-request refresh) is never used either.
    afterLast += (service.mints.get(sessions[i]!.id) ?? []).filter((t) => t >= last).length;
  }
  const afterLastBy = { pushed: 0, renewed: 0, 'on-request': 0, timer: 0 } satisfies Record<MintOrigin, number>;
  for (const [i, list] of mintOrigins) {
    const last = sessions[i]!.requests[sessions[i]!.requests.length - 1]!;
    for (const m of list) if (m.at >= last) afterLastBy[m.origin]++;
  }
  let unused = 0;
  for (const token of mintedBy.keys()) if (!presented.has(token)) unused++;
  const activeHours = sessions.reduce((a, s) => a + (s.requests[s.requests.length - 1]! - s.requests[0]!), 0) / 3_600_000;
  return {
    policy: policy.name,
    requests: totalRequests,
    requestsMetExpiredToken: metExpired,
    requestsWaitedOnRefresh: waited,
    requestsExpiredOrWaited: affected,
    refreshes: mintTimes.length,
    refreshCalls: service.refreshCalls,
    refreshesPerActiveSessionHour: activeHours > 0 ? mintTimes.length / activeHours : 0,
    refreshesAfterLastRequest: afterLast,
    pushedAfterLastRequest: afterLastBy.pushed,
    renewedAfterLastRequest: afterLastBy.renewed,
    refreshesNeverPresented: unused,
    extendedAccessTokens: foresight?.extendedTokens ?? 0,
    peakRefreshesPerSecond: peakInWindow(mintTimes, 1000),
    sustainedPeakRefreshesPerSecond: peakInWindow(mintTimes, opts.peakWindowMs) / (opts.peakWindowMs / 1000),
    familiesRevokedForReuse: service.reuseRevocations,
    refreshesPulledForward: pulledForward,
    refreshesRenewedOnUse: renewedOnUse,
    otherVerificationFailures: otherFailures,
    pushesNeeded: foresight?.ledger.stats.used ?? 0,
    pushesNotNeeded: foresight?.ledger.stats.wasted ?? 0,
    letExpireCameBack: foresight?.ledger.stats.missed ?? 0,
  };
}
