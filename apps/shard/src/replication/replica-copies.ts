import type { SessionEvent } from '@foresight/contracts';
import { evolve, type SessionState } from '@foresight/session-domain';
import { shadowCheck, type ReplicaEntry } from './replica-message';

/** Why a pushed entry could not be applied to the copy: the copy is then reloaded from Postgres. */
export type DivergenceReason =
  /** The entry starts past the copy's next version: something in between was lost. */
  | 'gap'
  /** The entry starts at or before the copy's version and goes past it: reordered or forged. */
  | 'stale'
  /** The events do not apply to the copy (the domain's `evolve` refuses them, or they follow an end). */
  | 'domain'
  /** They apply, but the result differs from the primary's (the check does not match). */
  | 'content';

export type ApplyResult =
  | { readonly kind: 'applied'; readonly state: SessionState }
  /** No copy, and the entry does not start the session: load it from the store. */
  | { readonly kind: 'unseen' }
  /**
   * The copy already holds every version of the entry: a reload from the store saw the commit
   * before its push arrived (or a push was replayed). Nothing to do.
   */
  | { readonly kind: 'already_applied' }
  | { readonly kind: 'diverged'; readonly reason: DivergenceReason };

/**
 * Applies a pushed entry to a secondary's copy of a session (undefined: none held), validating it
 * the way the primary built it: each event must be the copy's next version (`version + 1`), must
 * apply through the domain's own `evolve`, and the result must match the primary's check. Pure.
 */
export function applyEntry(copy: SessionState | undefined, entry: ReplicaEntry): ApplyResult {
  const first = entry.events[0] as SessionEvent | undefined;
  if (first === undefined) return { kind: 'diverged', reason: 'domain' };
  if (copy === undefined) {
    if (entry.firstVersion !== 1 || first.type !== 'session.created') return { kind: 'unseen' };
  } else if (entry.firstVersion + entry.events.length - 1 <= copy.version) {
    return { kind: 'already_applied' };
  } else if (entry.firstVersion !== copy.version + 1) {
    return { kind: 'diverged', reason: entry.firstVersion <= copy.version ? 'stale' : 'gap' };
  }
  let state = copy;
  for (const event of entry.events) {
    const expected = (state?.version ?? 0) + 1;
    if (event.sessionId !== entry.sessionId) return { kind: 'diverged', reason: 'domain' };
    if (state !== undefined && (state.status !== 'active' || event.type === 'session.created')) return { kind: 'diverged', reason: 'domain' };
    try {
      state = evolve(state, event);
    } catch {
      return { kind: 'diverged', reason: 'domain' };
    }
    if (state.version !== expected) return { kind: 'diverged', reason: 'domain' };
  }
  if (shadowCheck(state!, entry.events) !== entry.check) return { kind: 'diverged', reason: 'content' };
  return { kind: 'applied', state: state! };
}
