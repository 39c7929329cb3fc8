/** Sessions of a training round, split by order (never shuffled, never split inside a session). */
export interface OrderedSplit {
  /** The first `trainShare` of the sessions: both models learn from them. */
  readonly train: readonly (readonly number[])[];
  /** First half of the rest: fits the ensemble's mixing weights. */
  readonly fit: readonly (readonly number[])[];
  /** Second half of the rest: where Markov and the ensemble are compared. */
  readonly test: readonly (readonly number[])[];
}

/**
 * Splits sessions (oldest first) into train / fit / test by order: the last `1 − trainShare` of
 * the sessions are held out, and the held-out slice is halved into a slice that fits the mixing
 * weights and a slice that measures, so no number is measured on data it was fitted on.
 */
export function splitByOrder(sessions: readonly (readonly number[])[], trainShare = 0.8): OrderedSplit {
  if (!(trainShare > 0 && trainShare < 1)) throw new RangeError('trainShare must be in (0, 1)');
  const cut = Math.floor(sessions.length * trainShare);
  const half = cut + Math.floor((sessions.length - cut) / 2);
  return { train: sessions.slice(0, cut), fit: sessions.slice(cut, half), test: sessions.slice(half) };
}

/** Sessions with at least one transition (two or more actions). */
export function withTransitions(sessions: readonly (readonly number[])[]): (readonly number[])[] {
  return sessions.filter((s) => s.length >= 2);
}

/** A position to predict: the next action after `seq[0..len)` is `target`. */
export interface HeldOutPosition {
  readonly seq: readonly number[];
  readonly len: number;
  readonly target: number;
}

/** Every position of every session (position i ≥ 1 predicts item i), at most `limit`. */
export function positionsOf(sessions: readonly (readonly number[])[], limit: number): HeldOutPosition[] {
  const out: HeldOutPosition[] = [];
  for (const seq of sessions) {
    for (let i = 1; i < seq.length; i++) {
      if (out.length >= limit) return out;
      out.push({ seq, len: i, target: seq[i]! });
    }
  }
  return out;
}
