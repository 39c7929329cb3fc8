/**
 * Sessions packed into two typed arrays (transferable to a worker thread without copying):
 * session s is `actions[offsets[s] .. offsets[s + 1])`.
 */
export interface PackedSessions {
  readonly actions: Int32Array;
  readonly offsets: Int32Array;
}

/** Packs sessions of action indices. */
export function packSessions(sessions: readonly (readonly number[])[]): PackedSessions {
  const offsets = new Int32Array(sessions.length + 1);
  for (let s = 0; s < sessions.length; s++) offsets[s + 1] = offsets[s]! + sessions[s]!.length;
  const actions = new Int32Array(offsets[sessions.length]!);
  for (let s = 0; s < sessions.length; s++) actions.set(sessions[s]!, offsets[s]!);
  return { actions, offsets };
}

/** Number of sessions in a pack. */
export function sessionCount(p: PackedSessions): number {
  return p.offsets.length - 1;
}

/**
 * Every training window of sessions `from..to` of a pack (default: all) as (start of session,
 * index of the target) pairs: position i of a session predicts its item i from items 0..i−1,
 * for i ≥ 1.
 */
export function windowIndex(p: PackedSessions, from = 0, to = sessionCount(p)): Int32Array {
  let n = 0;
  for (let s = from; s < to; s++) n += Math.max(0, p.offsets[s + 1]! - p.offsets[s]! - 1);
  const out = new Int32Array(n * 2);
  let w = 0;
  for (let s = from; s < to; s++) {
    const start = p.offsets[s]!;
    for (let i = start + 1; i < p.offsets[s + 1]!; i++) {
      out[w++] = start;
      out[w++] = i;
    }
  }
  return out;
}
