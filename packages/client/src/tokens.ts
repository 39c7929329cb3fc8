import { ClientErrorCodes, ClosedError, ForesightError, TokenError, TokenRevokedError } from './errors.js';
import type { TokenPair } from './generated/contract.js';

export interface TokenManagerOptions {
  /** The pair your back end issued for this session (`POST /v1/sessions/:id/tokens`). */
  readonly tokens: TokenPair;
  /** Rotates a refresh token (the client wires this to `POST /v1/tokens/refresh`). */
  readonly refresh: (refreshToken: string) => Promise<TokenPair>;
  /**
   * A token is treated as expired this long before its expiry, for clock skew and the request's
   * transit. Default: 5 s, or a quarter of the token's lifetime when that is shorter.
   */
  readonly expiryMarginMs?: number;
  readonly now?: () => number;
}

export type TokenEvent =
  | { readonly type: 'switched'; readonly pair: TokenPair; readonly via: 'pushed' | 'refreshed' }
  | { readonly type: 'received'; readonly pair: TokenPair }
  | { readonly type: 'revoked'; readonly error: TokenRevokedError };

export interface TokenStats {
  /** Pairs the gateway pushed that were new. */
  readonly pushed: number;
  /** Refreshes this client made on its own (one per flight, however many callers waited). */
  readonly refreshes: number;
  /** Times the active token was replaced. */
  readonly switches: number;
}

const expiresAt = (pair: TokenPair) => Date.parse(pair.accessExpiresAt);

/** `iat` of a JWT in ms, or undefined when the token cannot be read (it is opaque to the client otherwise). */
function issuedAt(jwt: string): number | undefined {
  try {
    const part = jwt.split('.')[1]!.replace(/-/g, '+').replace(/_/g, '/');
    const claims = JSON.parse(atob(part.padEnd(part.length + ((4 - (part.length % 4)) % 4), '='))) as { iat?: unknown };
    return typeof claims.iat === 'number' ? claims.iat * 1000 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Holds a session's active access token and the next one the gateway pre-minted, and hands out a
 * token that is not known to be expired: the active one; the next one once the active one nears its
 * expiry; or, when there is none, a fresh pair from one refresh with the newest refresh token, shared
 * by every caller waiting at that moment. A revoked family ends it: every later call gets the same
 * `TokenRevokedError`.
 */
export class TokenManager {
  private active: TokenPair;
  private next: TokenPair | undefined;
  private refreshing: Promise<TokenPair> | undefined;
  private failure: ForesightError | undefined;
  private readonly listeners = new Set<(event: TokenEvent) => void>();
  private readonly now: () => number;
  private counts = { pushed: 0, refreshes: 0, switches: 0 };

  constructor(private readonly options: TokenManagerOptions) {
    this.active = options.tokens;
    this.now = options.now ?? (() => Date.now());
  }

  /** The pair in use. */
  get current(): TokenPair {
    return this.active;
  }

  /** The pre-minted pair held for when the active one expires, if any. */
  get pending(): TokenPair | undefined {
    return this.next;
  }

  /** The newest generation known (the one whose refresh token is valid). */
  get generation(): number {
    return (this.next ?? this.active).generation;
  }

  get stats(): TokenStats {
    return { ...this.counts };
  }

  /** Set once the family is revoked (or the manager closed): every call fails with it. */
  get error(): ForesightError | undefined {
    return this.failure;
  }

  on(listener: (event: TokenEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** An access token that is valid for at least the margin; may wait for one refresh. */
  async accessToken(): Promise<string> {
    if (this.failure) throw this.failure;
    if (this.usable(this.active)) return this.active.accessToken;
    if (this.next && this.usable(this.next)) {
      this.switchTo(this.next, 'pushed');
      return this.active.accessToken;
    }
    return (await this.refreshNow()).accessToken;
  }

  /** Rotates the newest refresh token now; concurrent callers share one refresh. */
  refreshNow(): Promise<TokenPair> {
    if (this.failure) return Promise.reject(this.failure);
    this.refreshing ??= this.doRefresh().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  /**
   * A pair pushed by the gateway over the token WebSocket. Kept as the next pair when it is newer
   * than every pair known; used at once if the active token is already past its margin.
   */
  offer(pair: TokenPair): boolean {
    if (this.failure || pair.generation <= this.generation) return false;
    this.counts.pushed++;
    this.next = pair;
    this.emit({ type: 'received', pair });
    if (!this.usable(this.active)) this.switchTo(pair, 'pushed');
    return true;
  }

  /** The family is revoked (pushed by the gateway, or a 401 TOKEN.REVOKED / TOKEN.REUSED). */
  markRevoked(cause?: ForesightError): TokenRevokedError {
    if (this.failure instanceof TokenRevokedError) return this.failure;
    const error =
      cause instanceof TokenRevokedError
        ? cause
        : new TokenRevokedError({ code: 'TOKEN.REVOKED', status: 401, message: "The session's tokens were revoked: sign in again.", cause });
    this.failure = error;
    this.next = undefined;
    this.emit({ type: 'revoked', error });
    return error;
  }

  close(): void {
    this.failure ??= new ClosedError({ code: ClientErrorCodes.CLOSED, message: 'The token manager was closed.' });
  }

  private usable(pair: TokenPair): boolean {
    const exp = expiresAt(pair);
    const iat = issuedAt(pair.accessToken);
    const margin = this.options.expiryMarginMs ?? Math.min(5000, iat !== undefined ? Math.max(0, (exp - iat) / 4) : 5000);
    return this.now() < exp - margin;
  }

  private async doRefresh(): Promise<TokenPair> {
    const token = (this.next ?? this.active).refreshToken;
    this.counts.refreshes++;
    let pair: TokenPair;
    try {
      pair = await this.options.refresh(token);
    } catch (error) {
      if (error instanceof TokenRevokedError) throw this.markRevoked(error);
      // An unknown or expired refresh token will not come back either.
      if (error instanceof TokenError && (error.code === 'TOKEN.UNKNOWN' || error.code === 'TOKEN.EXPIRED' || error.code === 'TOKEN.MALFORMED'))
        this.failure = error;
      throw error;
    }
    if (this.failure) throw this.failure;
    if (pair.generation >= this.generation) {
      this.next = undefined;
      this.switchTo(pair, 'refreshed');
    }
    return pair;
  }

  private switchTo(pair: TokenPair, via: 'pushed' | 'refreshed'): void {
    if (this.next === pair) this.next = undefined;
    this.active = pair;
    this.counts.switches++;
    this.emit({ type: 'switched', pair, via });
  }

  private emit(event: TokenEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        // A listener's failure is its own.
      }
    }
  }
}
