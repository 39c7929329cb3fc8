/** One session of a training round: its user (if any) and its actions as vocabulary indices. */
export interface EncodedSession {
  readonly userId: string | null;
  readonly actions: readonly number[];
}

/** Sessions of a training round, split by order (never shuffled, never split inside a session). */
export interface OrderedSplit<T> {
  /** The first `trainShare` of the sessions: every model learns from them. */
  readonly train: readonly T[];
  /** First half of the rest: fits the ensembles' mixing weights. */
  readonly fit: readonly T[];
  /** Second half of the rest: where the candidates are compared. */
  readonly test: readonly T[];
}

/**
 * Splits sessions (oldest first) into train / fit / test by order: the last `1 − trainShare` of
 * the sessions are held out, and the held-out slice is halved into a slice that fits the mixing
 * weights and a slice that measures, so no number is measured on data it was fitted on.
 */
export function splitByOrder<T>(sessions: readonly T[], trainShare = 0.8): OrderedSplit<T> {
  if (!(trainShare > 0 && trainShare < 1)) throw new RangeError('trainShare must be in (0, 1)');
  const cut = Math.floor(sessions.length * trainShare);
  const half = cut + Math.floor((sessions.length - cut) / 2);
  return { train: sessions.slice(0, cut), fit: sessions.slice(cut, half), test: sessions.slice(half) };
}

/** Sessions with at least one transition (two or more actions). */
export function withTransitions<T extends { readonly actions: readonly unknown[] }>(sessions: readonly T[]): T[] {
  return sessions.filter((s) => s.actions.length >= 2);
}
