import { requireInt, requireNumber } from '../errors';
import type { RequiredKey } from '../requirements/resolver';
import type { ActionPredictor } from './predictor';

/** Options of {@link PrefetchPlanner}. */
export interface PlannerOptions {
  /** Predicted next actions considered per step (default 10). */
  readonly topN?: number;
  /**
   * Keys (and first- or second-hop actions) below this probability are neither prefetched nor
   * protected (default 0.05). 0 with a small `topN` gives a fixed-depth "top-N" prefetcher; a positive
   * threshold makes the depth adapt to the model's confidence.
   */
  readonly minProbability?: number;
  /** Keys planned per step at most (default 16). */
  readonly maxKeys?: number;
  /** Expand this many of the most likely next actions one step further (default 3; 0 = off). */
  readonly secondHopWidth?: number;
  /** Only actions at least this likely are expanded (default 0.1). */
  readonly secondHopMinProbability?: number;
}

/** A key the session is expected to read soon. */
export interface PlannedKey {
  readonly key: string;
  /** Estimated probability that the key is read within the next two requests (capped at 1). */
  readonly p: number;
}

/**
 * Turns next-action predictions into keys with probabilities.
 *
 * Each candidate action gets u = p(next = a), plus, for the `secondHopWidth` most likely actions b,
 * p(b)·p(a | history, b) — the chance of reading it at the step after. A key's probability is the sum
 * over actions of u × the action's requirement weight, capped at 1.
 */
export class PrefetchPlanner {
  private readonly topN: number;
  /** Keys below this probability are not planned, unless a caller asks for a lower threshold. */
  readonly minP: number;
  private readonly maxKeys: number;
  private readonly hopWidth: number;
  private readonly hopMinP: number;

  constructor(
    private readonly predictor: ActionPredictor,
    options: PlannerOptions = {},
  ) {
    this.topN = requireInt('topN', options.topN ?? 10, 1);
    this.minP = requireNumber('minProbability', options.minProbability ?? 0.05, 0, 1);
    this.maxKeys = requireInt('maxKeys', options.maxKeys ?? 16, 0);
    this.hopWidth = requireInt('secondHopWidth', options.secondHopWidth ?? 3, 0);
    this.hopMinP = requireNumber('secondHopMinProbability', options.secondHopMinProbability ?? 0.1, 0, 1);
  }

  /** Probability of each candidate action over the next two steps after `history`. */
  actions(history: readonly string[]): Map<string, number> {
    const first = this.predictor.predict(history, this.topN);
    const u = new Map<string, number>();
    for (const { action, p } of first) u.set(action, p);
    let expanded = 0;
    for (const { action: b, p: pb } of first) {
      if (expanded >= this.hopWidth || pb < this.hopMinP) break;
      expanded++;
      for (const { action: a, p: pa } of this.predictor.predict([...history, b], this.topN)) {
        u.set(a, (u.get(a) ?? 0) + pb * pa);
      }
    }
    return u;
  }

  /**
   * Keys to protect and prefetch for a session whose history is `history`, most likely first.
   * `minProbability` replaces the configured threshold for this plan (a fetch budget moves it).
   */
  plan(history: readonly string[], requirements: (action: string) => readonly RequiredKey[], minProbability = this.minP): PlannedKey[] {
    const byKey = new Map<string, number>();
    const ranked = [...this.actions(history)].sort((x, y) => y[1] - x[1]);
    for (const [action, u] of ranked) {
      if (u < minProbability) break;
      for (const r of requirements(action)) byKey.set(r.key, (byKey.get(r.key) ?? 0) + u * r.weight);
    }
    const out: PlannedKey[] = [];
    for (const [key, p] of byKey) if (p >= minProbability) out.push({ key, p: Math.min(1, p) });
    return out.sort((a, b) => b.p - a.p).slice(0, this.maxKeys);
  }
}
