import { ErrorCodes, ForesightError } from '@foresight/contracts';
import type { CallContext } from '../routing/shard-client.service';
import type { ApiKeyPrincipal } from './api-keys';

/** Reads a session's user id (null when it has none); throws the owner's error for an unknown session. */
export type SessionUserLookup = (sessionId: string, ctx: CallContext) => Promise<string | null>;

/**
 * Keeps a tenant's API key to its own sessions: those whose user id starts with the key's prefix.
 * A session's user id never changes, so it is looked up on the owner once and remembered (a bounded
 * map, oldest dropped first); keys without a prefix never pay for the lookup.
 */
export class SessionTenants {
  private readonly users = new Map<string, string | null>();

  constructor(
    private readonly lookup: SessionUserLookup,
    private readonly maxSessions = 100_000,
  ) {}

  /** Remembers the user of a session just created. */
  remember(sessionId: string, userId: string | null): void {
    this.users.delete(sessionId);
    this.users.set(sessionId, userId);
    if (this.users.size > this.maxSessions) this.users.delete(this.users.keys().next().value!);
  }

  /** 403 `AUTH.FORBIDDEN` when `principal` is a tenant's key and the session belongs to another user. */
  async check(principal: ApiKeyPrincipal, sessionId: string, ctx: CallContext): Promise<void> {
    const prefix = principal.userPrefix;
    if (prefix === undefined) return;
    let userId = this.users.get(sessionId);
    if (userId === undefined) {
      userId = await this.lookup(sessionId, ctx);
      this.remember(sessionId, userId);
    }
    if (userId === null || !userId.startsWith(prefix)) {
      throw new ForesightError(ErrorCodes.FORBIDDEN, `This API key reaches only sessions of users whose id starts with "${prefix}".`);
    }
  }

  get size(): number {
    return this.users.size;
  }
}
