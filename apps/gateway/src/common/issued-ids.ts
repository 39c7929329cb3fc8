import { isIssuedSessionId } from '@foresight/session-domain';

/**
 * Whether this cluster issued a session id, remembered for the ids found issued: the check is an
 * HMAC of the id, and its answer never changes, so each live session pays for it once rather than
 * on every request. Bounded: past `capacity` ids the oldest is forgotten (and checked again if it
 * comes back). Ids found not issued are never remembered.
 */
export class IssuedIds {
  private readonly issued = new Set<string>();

  constructor(
    private readonly check: (id: string) => boolean,
    private readonly capacity = 100_000,
  ) {}

  /** With the cluster's id secret. */
  static forSecret(secret: string, capacity?: number): IssuedIds {
    return new IssuedIds((id) => isIssuedSessionId(id, secret), capacity);
  }

  has(id: string): boolean {
    if (this.issued.has(id)) return true;
    if (!this.check(id)) return false;
    this.issued.add(id);
    if (this.issued.size > this.capacity) this.issued.delete(this.issued.values().next().value!);
    return true;
  }
}
