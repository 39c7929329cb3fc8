/** When a stored signing key was made and from when it signs. Times are epoch milliseconds. */
export interface KeyTimes {
  readonly kid: string;
  readonly createdAt: number;
  readonly activatesAt: number;
}

/** Keys stay in the JWKS this long after their last possible token expired (clock skew between services). */
export const RETIREMENT_MARGIN_MS = 60_000;

/** The key that signs at `now`: the most recently activated key whose activation time has passed. */
export function signingKeyAt<K extends KeyTimes>(keys: readonly K[], now: number): K | undefined {
  let best: K | undefined;
  for (const k of keys) if (k.activatesAt <= now && (!best || k.activatesAt > best.activatesAt)) best = k;
  return best;
}

/**
 * Keys a verifier must know at `now`: the signing key, keys published ahead of their activation,
 * and older keys until every token they signed has expired (`maxTokenLifetimeMs` after the next
 * key took over, plus a margin). Newest first.
 */
export function verifyingKeys<K extends KeyTimes>(keys: readonly K[], now: number, maxTokenLifetimeMs: number): K[] {
  const byActivation = [...keys].sort((a, b) => b.activatesAt - a.activatesAt);
  return byActivation.filter((k, i) => {
    if (k.activatesAt > now) return true;
    // The key that took over from k: the next one (by activation) that is already active.
    const successor = byActivation
      .slice(0, i)
      .reverse()
      .find((s) => s.activatesAt <= now);
    return !successor || now < successor.activatesAt + maxTokenLifetimeMs + RETIREMENT_MARGIN_MS;
  });
}

/** A new key is due when there is none, or the newest one was made `rotationMs` ago or more. */
export function rotationDue(keys: readonly KeyTimes[], now: number, rotationMs: number): boolean {
  if (keys.length === 0) return true;
  return now - Math.max(...keys.map((k) => k.createdAt)) >= rotationMs;
}

/**
 * Activation time of a new key made at `now`: at once for the first key (nobody verifies anything
 * yet), otherwise after `delayMs`, so every gateway has fetched it with the JWKS before it signs.
 */
export function activationFor(existing: readonly KeyTimes[], now: number, delayMs: number): number {
  return existing.length === 0 ? now : now + delayMs;
}
