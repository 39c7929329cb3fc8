import { planRefreshes, type PlanEntry, type SchedulerConfig } from './refresh-scheduler';

/** Tuning of the {@link PushLedger}. */
export interface PushLedgerOptions {
  /** Rating bins per factor of ten (ratings are binned on a log scale). */
  readonly binsPerDecade: number;
  /** Ratings at or below this share the lowest bin. */
  readonly minRating: number;
  /**
   * Pseudo-decisions at the model's own rating in each bin: with no outcomes the calibrated
   * probability is the rating itself; after n outcomes in its bin, n / (n + priorWeight) of it is
   * what happened.
   */
  readonly priorWeight: number;
}

export const DEFAULT_PUSH_LEDGER_OPTIONS: PushLedgerOptions = { binsPerDecade: 4, minRating: 1e-4, priorWeight: 5 };

/** How a decided token turned out. */
export type PushOutcome = 'used' | 'wasted' | 'missed' | 'spared';

/** Counts of resolved decisions, for metrics and reports. */
export interface PushLedgerStats {
  /** Pushes whose session came back after the token's expiry (the pair was needed). */
  readonly used: number;
  /** Pushes whose session did not come back after the expiry (a request before it, or none). */
  readonly wasted: number;
  /** Tokens let expire whose session came back after the expiry (a request met an expired token). */
  readonly missed: number;
  /** Tokens let expire whose session did not come back after the expiry. */
  readonly spared: number;
  /** Decisions not resolved yet. */
  readonly pending: number;
}

interface Decision {
  readonly expiresAt: number;
  readonly idleEndsAt: number;
  /** The session's latest request when decided (a later one resolves the decision). */
  readonly lastAt: number;
  readonly rating: number;
  readonly pushed: boolean;
}

/**
 * Decide once, and learn from the outcome. Each access token of a session gets one push decision
 * (at the planner's last round before its floor, or when renewal on use is asked): push a pair, or
 * let it expire. The ledger remembers the decision, so the token is never re-rated afterwards, and
 * resolves it when the outcome is known: the session's first request after the decision either
 * comes after the token's expiry (a push was needed) or before it (renewal on use covers it),
 * or the session ends first (nothing was needed).
 *
 * The outcomes calibrate the return model's ratings online: per bin of rating, the share of
 * decisions whose session came back after the expiry, shrunk towards the rating by pseudo-counts.
 * Among pushes that share is their precision, so pushes rated like ones that were wasted stop, and
 * ratings that turned out too low rise. Nothing is fitted to a trace: with no outcomes the
 * calibrated probability is the rating itself.
 */
export class PushLedger {
  private readonly decisions = new Map<string, Decision>();
  private readonly n: Float64Array;
  private readonly returned: Float64Array;
  private readonly counts = { used: 0, wasted: 0, missed: 0, spared: 0 };
  private totalReturned = 0;
  private ratingSum = 0;
  /** Called with each resolved decision (metrics). */
  onOutcome: ((outcome: PushOutcome, rating: number) => void) | undefined;

  constructor(private readonly opts: PushLedgerOptions = DEFAULT_PUSH_LEDGER_OPTIONS) {
    if (!(opts.binsPerDecade > 0) || !(opts.minRating > 0 && opts.minRating < 1) || !(opts.priorWeight > 0))
      throw new RangeError('invalid push ledger options');
    const bins = this.binOf(0) + 1;
    this.n = new Float64Array(bins);
    this.returned = new Float64Array(bins);
  }

  /** Whether the token of `key` expiring at `expiresAt` has been decided (it is not rated again). */
  isDecided(key: string, expiresAt: number): boolean {
    return this.decisions.get(key)?.expiresAt === expiresAt;
  }

  /**
   * The rating corrected by the outcomes of past decisions: per bin of rating, the share that came
   * back after the expiry, shrunk towards the rating scaled by how all ratings fared so far (returns
   * over the sum of their ratings, with one pseudo-return at a rating sum of one). The scale lets a
   * model that rates everything too high (or too low) be corrected in bins it has seen little of.
   */
  calibrated(rating: number): number {
    const r = Math.min(1, Math.max(0, Number.isFinite(rating) ? rating : 0));
    const b = this.binOf(r);
    const scale = (this.totalReturned + this.opts.priorWeight) / (this.ratingSum + this.opts.priorWeight);
    const prior = Math.min(1, r * scale);
    return (this.returned[b]! + this.opts.priorWeight * prior) / (this.n[b]! + this.opts.priorWeight);
  }

  /**
   * Records the decision for the token of `key` expiring at `expiresAt`, made on `rating` (the
   * model's raw rating, not the calibrated one: calibration learns the model's error). A decision
   * still pending for an earlier token of the key is resolved as not returned (the session got a
   * new token without coming back after the old one's expiry).
   */
  decide(key: string, d: { expiresAt: number; idleEndsAt: number; rating: number; pushed: boolean; lastAt?: number }): void {
    const prev = this.decisions.get(key);
    if (prev?.expiresAt === d.expiresAt) return;
    if (prev) this.resolve(key, prev, false);
    this.decisions.set(key, { expiresAt: d.expiresAt, idleEndsAt: d.idleEndsAt, rating: d.rating, pushed: d.pushed, lastAt: d.lastAt ?? -Infinity });
  }

  /** The session of `key` made a request at `at`: resolves a pending decision made before it. */
  observeRequest(key: string, at: number): PushOutcome | undefined {
    const d = this.decisions.get(key);
    if (!d) return undefined;
    return this.resolve(key, d, at >= d.expiresAt && at <= d.idleEndsAt);
  }

  /**
   * The session of `key` was seen last at `lastAt` (a service that polls its activity rather than
   * seeing each request): resolves a pending decision when that is later than its latest request
   * at the decision, as {@link observeRequest} would.
   */
  observeLatest(key: string, lastAt: number): PushOutcome | undefined {
    const d = this.decisions.get(key);
    if (!d || !(lastAt > d.lastAt)) return undefined;
    return this.resolve(key, d, lastAt >= d.expiresAt && lastAt <= d.idleEndsAt);
  }

  /** The session of `key` ended: a pending decision resolves as not returned. */
  observeEnd(key: string): PushOutcome | undefined {
    const d = this.decisions.get(key);
    return d ? this.resolve(key, d, false) : undefined;
  }

  /** Resolves, as not returned, pending decisions whose session's idle end passed before `now`. */
  sweep(now: number): void {
    for (const [key, d] of this.decisions) if (d.idleEndsAt < now) this.resolve(key, d, false);
  }

  /** Keys with a pending decision. */
  pendingKeys(): string[] {
    return [...this.decisions.keys()];
  }

  /** Share of resolved pushes that were needed (undefined before any resolved). */
  get precision(): number | undefined {
    const pushes = this.counts.used + this.counts.wasted;
    return pushes === 0 ? undefined : this.counts.used / pushes;
  }

  get stats(): PushLedgerStats {
    return { ...this.counts, pending: this.decisions.size };
  }

  private resolve(key: string, d: Decision, returned: boolean): PushOutcome {
    this.decisions.delete(key);
    const b = this.binOf(d.rating);
    this.n[b]!++;
    this.ratingSum += Math.min(1, Math.max(0, d.rating));
    if (returned) {
      this.returned[b]!++;
      this.totalReturned++;
    }
    const outcome: PushOutcome = d.pushed ? (returned ? 'used' : 'wasted') : returned ? 'missed' : 'spared';
    this.counts[outcome]++;
    this.onOutcome?.(outcome, d.rating);
    return outcome;
  }

  /** Bin 0 holds ratings near 1; higher bins lower ratings; the last one everything at or below `minRating`. */
  private binOf(rating: number): number {
    const last = Math.ceil(-Math.log10(this.opts.minRating) * this.opts.binsPerDecade);
    if (!(rating > this.opts.minRating)) return last;
    return Math.min(last, Math.floor(-Math.log10(Math.min(1, rating)) * this.opts.binsPerDecade));
  }
}

/** A session to plan with the return model's raw rating of a return after its token's expiry. */
export interface RatedSession {
  readonly sessionId: string;
  readonly expiresAt: number;
  /** The return model's rating (uncalibrated) that the session comes back after `expiresAt`. */
  readonly rating: number;
  /** When the session's idle timeout ends it, as of its latest request. */
  readonly idleEndsAt: number;
  /** The session's latest request (for {@link PushLedger.observeLatest}). */
  readonly lastAt?: number;
}

/** Whether the round at `now` is the planner's last chance before the token's floor (`expiresAt − minSkew`). */
export function isLastRound(now: number, expiresAt: number, c: Pick<SchedulerConfig, 'minSkewMs' | 'bucketMs'>): boolean {
  return expiresAt - c.minSkewMs < now + c.bucketMs;
}

/**
 * One planning round that decides each token once. Tokens already decided are left out (no entry).
 * The others are planned by {@link planRefreshes} on their calibrated ratings; a push due now is a
 * decision, and so is letting a token expire at the last round before its floor. An earlier
 * let-expire, or a refresh planned for a later bucket, is provisional: the token is rated again
 * next round, with more silence to go on.
 */
export function planDecidingOnce(
  ledger: PushLedger,
  input: { now: number; sessions: readonly RatedSession[]; loadForecast: readonly number[]; config: SchedulerConfig },
): PlanEntry[] {
  const { now, config: c } = input;
  const open = new Map<string, RatedSession>();
  for (const s of input.sessions) if (!ledger.isDecided(s.sessionId, s.expiresAt)) open.set(s.sessionId, s);
  const sessions = [...open.values()].map((s) => ({ sessionId: s.sessionId, expiresAt: s.expiresAt, pActiveAfterExpiry: ledger.calibrated(s.rating) }));
  const entries = planRefreshes({ now, sessions, loadForecast: input.loadForecast, config: c });
  for (const e of entries) {
    const s = open.get(e.sessionId)!;
    const d = { expiresAt: s.expiresAt, idleEndsAt: s.idleEndsAt, rating: s.rating, lastAt: s.lastAt };
    if (e.action === 'refresh-now') ledger.decide(e.sessionId, { ...d, pushed: true });
    else if (e.action === 'let-expire' && isLastRound(now, s.expiresAt, c)) ledger.decide(e.sessionId, { ...d, pushed: false });
  }
  return entries;
}

/**
 * Renewal on use, gated like a push: a request found its token within the renewal window; renew
 * when the calibrated rating of a return after the expiry reaches `activeProbability`. The
 * decision is recorded; a later request before the expiry resolves it and is asked again.
 */
export function decideRenewal(ledger: PushLedger, s: RatedSession, activeProbability: number): boolean {
  const renew = ledger.calibrated(s.rating) >= activeProbability;
  ledger.decide(s.sessionId, { expiresAt: s.expiresAt, idleEndsAt: s.idleEndsAt, rating: s.rating, pushed: renew, lastAt: s.lastAt });
  return renew;
}
