import { requireNumber } from '../errors';

/** Options of {@link FetchBudgetController}. */
export interface FetchBudgetOptions {
  /** Origin fetches allowed, as a multiple of what a demand-only cache would fetch (at least 1). */
  readonly budget: number;
  /** Probability a key needs to be prefetched, at the start (the planner's minimum probability). */
  readonly initialThreshold: number;
  /** Bounds of the threshold (default 0.005 and 0.95). */
  readonly minThreshold?: number;
  readonly maxThreshold?: number;
  /** Fetches the node may save up while it spends less than its budget (default 64): the largest burst. */
  readonly burst?: number;
  /** A window closes after this many reads the demand-only cache would have missed (default 100). */
  readonly windowMisses?: number;
  /**
   * Share of resolved prefetches (read, or left the cache unread) that should be read. Default: what
   * each window measures as `victimReuse` — a prefetch should be likelier to be read than the entry it
   * pushes out — and 0.5 until a window has measured it. Below it (less a margin of 0.05) the
   * threshold rises even within budget; loosening needs it plus the margin: spare budget is better
   * left unspent than used to push out entries worth more than the prefetches.
   */
  readonly minPrecision?: number;
  /**
   * Which prefetches' precision is held to the floor: `all` of them (default), or the `marginal` ones,
   * those admitted with a probability under twice the threshold of the moment — what moving the
   * threshold adds or removes. A window with fewer than 5 resolved marginal prefetches judges all.
   */
  readonly judge?: 'all' | 'marginal';
}

/** What happened in one window, as counted by the node. */
export interface BudgetWindow {
  /** Reads a demand-only cache would have missed. */
  readonly baselineMisses: number;
  /** Origin fetches of any kind (demand, warm-up, prefetch). */
  readonly fetches: number;
  /** Prefetched entries read (or joined while loading), and prefetched entries that left unread. */
  readonly used: number;
  readonly wasted: number;
  /** Of those, the prefetches admitted with a probability under twice the threshold (`marginal`). */
  readonly marginalUsed?: number;
  readonly marginalWasted?: number;
  /** Prefetch candidates above the threshold, and those the budget refused. */
  readonly wanted: number;
  readonly denied: number;
  /** Of the entries a full demand-only cache evicted, the share read again soon; undefined when it evicted none. */
  readonly victimReuse?: number;
}

/** The controller's last decision and what it was based on. */
export interface BudgetState {
  readonly threshold: number;
  readonly tokens: number;
  /** Fetches / (budget × demand-only fetches) over the last window (1 = exactly on budget). */
  readonly spend: number | undefined;
  readonly precision: number | undefined;
  /** Precision of the marginal prefetches (smoothed over windows), when measured. */
  readonly marginalPrecision?: number | undefined;
  readonly denial: number | undefined;
  /** The precision prefetches are held to (see `minPrecision`). */
  readonly precisionFloor: number;
  readonly last: 'tighten' | 'loosen' | 'hold' | undefined;
  readonly windows: number;
}

const LN = Math.log;
/** Half-width of the band around `minPrecision` in which precision alone moves nothing. */
const PRECISION_MARGIN = 0.05;
/** Resolved prefetches a window needs before its precision counts. */
const MIN_RESOLVED = 5;

/**
 * Keeps a node's origin fetches within a budget relative to a demand-only cache, two ways:
 *
 * - a token bucket, the hard limit: each read the demand-only cache would have missed earns `budget`
 *   tokens, each fetch spends one; a prefetch needs a token (demand reads are never refused), and
 *   at most `burst` tokens are saved up, so a quiet spell cannot pay for a later flood;
 * - the prefetch threshold (minimum key probability), the soft one, moved once per window so that
 *   the tokens go to the most likely keys: it rises when the window spent over budget, the bucket
 *   refused a noticeable share of candidates or prefetches were read less often than the entries
 *   they push out would have been, and falls when the window spent clearly less with prefetches
 *   read more often than that. Moves are multiplicative; a move against the previous
 *   one halves the step, one in the same direction grows it, so the threshold settles on a
 *   stationary stream instead of oscillating, and still follows a drift.
 */
export class FetchBudgetController {
  readonly budget: number;
  private thresholdLog: number;
  private readonly lo: number;
  private readonly hi: number;
  private readonly burst: number;
  private readonly fixedFloor: number | undefined;
  private readonly judgeMarginal: boolean;
  private floor = 0.5;
  private floorMeasured = false;
  readonly windowMisses: number;
  private step = LN(1.5);
  private lastMove: 'tighten' | 'loosen' | undefined;
  private tokenCount: number;
  private state: Omit<BudgetState, 'threshold' | 'tokens' | 'precisionFloor'> = {
    spend: undefined,
    precision: undefined,
    denial: undefined,
    last: undefined,
    windows: 0,
  };

  constructor(o: FetchBudgetOptions) {
    this.budget = requireNumber('fetchBudget', o.budget, 1);
    this.lo = requireNumber('minThreshold', o.minThreshold ?? 0.005, 1e-6, 1);
    this.hi = requireNumber('maxThreshold', o.maxThreshold ?? 0.95, this.lo, 1);
    this.thresholdLog = LN(Math.min(this.hi, Math.max(this.lo, requireNumber('initialThreshold', o.initialThreshold, 0, 1))));
    this.burst = requireNumber('burst', o.burst ?? 64, 1);
    this.windowMisses = requireNumber('windowMisses', o.windowMisses ?? 100, 1);
    this.fixedFloor = o.minPrecision === undefined ? undefined : requireNumber('minPrecision', o.minPrecision, 0, 1);
    this.floor = this.fixedFloor ?? 0.5;
    this.judgeMarginal = o.judge === 'marginal';
    this.tokenCount = this.burst;
  }

  /** Keys less likely than this are not prefetched. */
  get threshold(): number {
    return Math.exp(this.thresholdLog);
  }

  /** Prefetches the bucket allows right now. */
  get tokens(): number {
    return this.tokenCount;
  }

  get snapshot(): BudgetState {
    return { ...this.state, threshold: this.threshold, tokens: this.tokenCount, precisionFloor: this.floor };
  }

  /** Books `baselineMisses` reads the demand-only cache would have missed and `fetches` origin fetches. */
  account(baselineMisses: number, fetches: number): void {
    this.tokenCount = Math.max(-this.burst, Math.min(this.burst, this.tokenCount + this.budget * baselineMisses - fetches));
  }

  /** Closes a window: moves the threshold (or not) from what the window measured. */
  adjust(w: BudgetWindow): 'tighten' | 'loosen' | 'hold' {
    const spend = w.baselineMisses > 0 ? w.fetches / (this.budget * w.baselineMisses) : undefined;
    const denial = w.wanted > 0 ? w.denied / w.wanted : 0;
    const resolved = w.used + w.wasted;
    const prev = this.state.precision;
    const precision = resolved === 0 ? prev : prev === undefined ? w.used / resolved : 0.7 * prev + 0.3 * (w.used / resolved);
    const marginalResolved = (w.marginalUsed ?? 0) + (w.marginalWasted ?? 0);
    const prevMarginal = this.state.marginalPrecision;
    const marginalPrecision =
      marginalResolved === 0
        ? prevMarginal
        : prevMarginal === undefined
          ? (w.marginalUsed ?? 0) / marginalResolved
          : 0.7 * prevMarginal + 0.3 * ((w.marginalUsed ?? 0) / marginalResolved);
    let decision: 'tighten' | 'loosen' | 'hold' = 'hold';
    if (this.fixedFloor === undefined && w.victimReuse !== undefined) {
      this.floor = this.floorMeasured ? 0.7 * this.floor + 0.3 * w.victimReuse : w.victimReuse;
      this.floorMeasured = true;
    }
    // A window that resolved too few prefetches says nothing about them: judged on the old figure, a
    // threshold pushed up by a bad spell (a model still learning) would never prefetch, so never
    // measure, again. Without a fresh figure the controller probes downwards while under budget.
    const judged = this.judgeMarginal && marginalResolved >= MIN_RESOLVED ? marginalPrecision : resolved >= MIN_RESOLVED ? precision : undefined;
    const wasteful = judged !== undefined && judged < this.floor - PRECISION_MARGIN;
    const precise = judged === undefined || judged >= this.floor + PRECISION_MARGIN;
    if ((spend !== undefined && spend > 1.05) || denial > 0.2 || wasteful) decision = 'tighten';
    else if (spend !== undefined && spend < 0.85 && denial < 0.05 && precise) decision = 'loosen';
    if (decision !== 'hold') {
      if (this.lastMove !== undefined && this.lastMove !== decision) this.step = Math.max(LN(1.02), this.step / 2);
      else if (this.lastMove === decision) this.step = Math.min(LN(2), this.step * 1.25);
      this.lastMove = decision;
      const moved = this.thresholdLog + (decision === 'tighten' ? this.step : -this.step);
      this.thresholdLog = Math.min(LN(this.hi), Math.max(LN(this.lo), moved));
    }
    this.state = { spend, precision, marginalPrecision, denial, last: decision, windows: this.state.windows + 1 };
    return decision;
  }
}
