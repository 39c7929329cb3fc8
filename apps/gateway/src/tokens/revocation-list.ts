import type { TokenRevokedV1 } from '@foresight/contracts';

/** The family of an access token, from its id (`<familyId>.<generation>`); undefined for any other shape. */
export function familyOfJti(jti: string): { familyId: string; generation: number } | undefined {
  const dot = jti.lastIndexOf('.');
  if (dot <= 0) return undefined;
  const generation = Number(jti.slice(dot + 1));
  if (!Number.isInteger(generation) || generation < 0) return undefined;
  return { familyId: jti.slice(0, dot), generation };
}

/**
 * The gateway's L1 list of revoked token families, fed by `token.revoked` events. An entry is
 * forgotten `retainMs` after the revocation (≥ the access-token lifetime), when every access
 * token of the family has expired anyway, so the list stays as small as the recent revocations.
 */
export class RevocationList {
  private readonly families = new Map<string, number>();

  constructor(private readonly retainMs: number) {}

  get size(): number {
    return this.families.size;
  }

  /** Applies an event; returns the family id if it is newly revoked. */
  apply(event: TokenRevokedV1): string | undefined {
    const revokedAt = Date.parse(event.data.revokedAt);
    if (typeof event.data.familyId !== 'string' || !Number.isFinite(revokedAt)) return undefined;
    const known = this.families.has(event.data.familyId);
    this.families.set(event.data.familyId, revokedAt + this.retainMs);
    return known ? undefined : event.data.familyId;
  }

  isFamilyRevoked(familyId: string): boolean {
    return this.families.has(familyId);
  }

  /** True when the token's family is revoked. Tokens whose id has another shape are not ours to revoke. */
  isRevoked(claims: { readonly jti: string }): boolean {
    const f = familyOfJti(claims.jti);
    return f !== undefined && this.families.has(f.familyId);
  }

  prune(now: number): void {
    for (const [familyId, forgetAt] of this.families) if (forgetAt <= now) this.families.delete(familyId);
  }
}
