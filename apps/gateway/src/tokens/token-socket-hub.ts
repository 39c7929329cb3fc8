import { ErrorCodes, ForesightError, type TokenPair } from '@foresight/contracts';
import type { AccessTokenClaims } from '@foresight/token-core';
import { familyOfJti } from './revocation-list';

/** The part of a WebSocket the hub uses (ws's WebSocket satisfies it). */
export interface SocketLike {
  send(data: string): void;
  close(code: number, reason: string): void;
  on(event: 'message', listener: (data: unknown) => void): unknown;
  on(event: 'close', listener: () => void): unknown;
}

/** Messages the server sends. */
export type ServerMessage =
  | { readonly type: 'ready'; readonly generation: number }
  | { readonly type: 'tokens'; readonly pair: TokenPair }
  | { readonly type: 'revoked'; readonly code: string }
  | { readonly type: 'error'; readonly code: string; readonly message: string };

export interface HubDeps {
  readonly verify: (token: string) => Promise<AccessTokenClaims>;
  /** The family's newer pair if one waits for a client holding `haveGeneration` (token service `pending`). */
  readonly pending: (sessionId: string, familyId: string, haveGeneration: number) => Promise<TokenPair | null>;
  readonly ack: (sessionId: string, familyId: string, generation: number) => Promise<unknown>;
  /** Starts/stops following the session's notices (`<ns>.notice.token.<sessionId>`). */
  readonly follow: (sessionId: string) => void;
  readonly unfollow: (sessionId: string) => void;
  readonly isFamilyRevoked: (familyId: string) => boolean;
  readonly authTimeoutMs: number;
  readonly onError: (error: unknown, sessionId: string) => void;
}

/** WebSocket close codes (4xxx: application-defined). */
export const CloseCodes = { badMessage: 4400, unauthenticated: 4401, forbidden: 4403, authTimeout: 4408, goingAway: 1001, internal: 1011 } as const;

interface Connection {
  readonly socket: SocketLike;
  readonly sessionId: string;
  familyId: string | undefined;
  /** Generation the client is known to hold (its token, or an acknowledged push). */
  generation: number;
  /** Newest generation pushed on this socket. */
  pushed: number;
  delivering: boolean;
  again: boolean;
  closed: boolean;
  authTimer: NodeJS.Timeout | null;
}

/**
 * Push delivery of pre-minted pairs on `GET /v1/sessions/:id/tokens/ws`. A socket is
 * authenticated by the client's current access token (query `access_token`, or a first message
 * `{"type":"auth","accessToken"}`) for that session, and bound to the token's family. On connect,
 * and whenever the token service announces a new pair for the session, the hub fetches the
 * family's pending pair and pushes `{"type":"tokens","pair"}` if it is newer than what the socket
 * has; a reconnecting client therefore gets the current next pair. The client answers
 * `{"type":"ack","generation"}`. A revoked family's sockets are closed (4401).
 */
export class TokenSocketHub {
  private readonly bySession = new Map<string, Set<Connection>>();

  constructor(private readonly deps: HubDeps) {}

  get connections(): number {
    let n = 0;
    for (const set of this.bySession.values()) n += set.size;
    return n;
  }

  accept(socket: SocketLike, sessionId: string, queryToken: string | undefined): void {
    const conn: Connection = {
      socket,
      sessionId,
      familyId: undefined,
      generation: -1,
      pushed: -1,
      delivering: false,
      again: false,
      closed: false,
      authTimer: null,
    };
    conn.authTimer = setTimeout(() => this.close(conn, CloseCodes.authTimeout, 'AUTH.TIMEOUT'), this.deps.authTimeoutMs);
    socket.on('message', (data) => void this.onMessage(conn, data));
    socket.on('close', () => this.detach(conn));
    if (queryToken) void this.authenticate(conn, queryToken);
  }

  /** The token service announced a pair for (session, family, generation). */
  onNotice(sessionId: string, familyId: string, generation: number): void {
    for (const conn of this.bySession.get(sessionId) ?? []) {
      if (conn.familyId === familyId && generation > conn.pushed) void this.deliver(conn);
    }
  }

  /** A family was revoked: its sockets are told and closed. */
  onRevoked(familyId: string): void {
    for (const set of this.bySession.values()) {
      for (const conn of set) {
        if (conn.familyId !== familyId) continue;
        this.send(conn, { type: 'revoked', code: ErrorCodes.TOKEN_REVOKED });
        this.close(conn, CloseCodes.unauthenticated, ErrorCodes.TOKEN_REVOKED);
      }
    }
  }

  /** Closes every socket (gateway shutdown); clients reconnect to another gateway. */
  closeAll(): void {
    for (const set of [...this.bySession.values()]) for (const conn of [...set]) this.close(conn, CloseCodes.goingAway, 'SERVICE.SHUTTING_DOWN');
  }

  private async onMessage(conn: Connection, data: unknown): Promise<void> {
    let msg: { type?: unknown; accessToken?: unknown; generation?: unknown };
    try {
      msg = JSON.parse(String(data)) as typeof msg;
      if (typeof msg !== 'object' || msg === null) throw new Error('not an object');
    } catch {
      return this.close(conn, CloseCodes.badMessage, ErrorCodes.VALIDATION);
    }
    if (msg.type === 'auth' && typeof msg.accessToken === 'string') return this.authenticate(conn, msg.accessToken);
    if (msg.type === 'ack' && typeof msg.generation === 'number' && conn.familyId) {
      if (msg.generation !== conn.pushed || msg.generation <= conn.generation) return;
      conn.generation = msg.generation;
      await this.deps.ack(conn.sessionId, conn.familyId, msg.generation).catch((e: unknown) => this.deps.onError(e, conn.sessionId));
      return;
    }
    this.close(conn, CloseCodes.badMessage, ErrorCodes.VALIDATION);
  }

  private async authenticate(conn: Connection, token: string): Promise<void> {
    let claims: AccessTokenClaims;
    try {
      claims = await this.deps.verify(token);
    } catch (error) {
      const code = error instanceof ForesightError ? error.code : ErrorCodes.INTERNAL;
      if (!(error instanceof ForesightError)) this.deps.onError(error, conn.sessionId);
      return this.close(conn, error instanceof ForesightError ? CloseCodes.unauthenticated : CloseCodes.internal, code);
    }
    const family = familyOfJti(claims.jti);
    if (claims.sid !== conn.sessionId || !family || (conn.familyId !== undefined && conn.familyId !== family.familyId)) {
      return this.close(conn, CloseCodes.forbidden, ErrorCodes.FORBIDDEN);
    }
    if (conn.closed) return;
    if (conn.authTimer) clearTimeout(conn.authTimer);
    conn.authTimer = null;
    conn.generation = Math.max(conn.generation, family.generation);
    if (conn.familyId === undefined) {
      conn.familyId = family.familyId;
      let set = this.bySession.get(conn.sessionId);
      if (!set) {
        set = new Set();
        this.bySession.set(conn.sessionId, set);
        this.deps.follow(conn.sessionId);
      }
      set.add(conn);
    }
    this.send(conn, { type: 'ready', generation: conn.generation });
    await this.deliver(conn);
  }

  /** Fetches and pushes the family's pending pair; calls on one socket never overlap. */
  private async deliver(conn: Connection): Promise<void> {
    if (conn.delivering) {
      conn.again = true;
      return;
    }
    conn.delivering = true;
    try {
      do {
        conn.again = false;
        if (conn.closed || !conn.familyId) return;
        if (this.deps.isFamilyRevoked(conn.familyId)) return this.onRevoked(conn.familyId);
        const pair = await this.deps.pending(conn.sessionId, conn.familyId, conn.generation);
        if (pair && pair.generation > conn.pushed && !conn.closed) {
          conn.pushed = pair.generation;
          this.send(conn, { type: 'tokens', pair });
        }
      } while (conn.again);
    } catch (error) {
      this.deps.onError(error, conn.sessionId);
    } finally {
      conn.delivering = false;
    }
  }

  private send(conn: Connection, message: ServerMessage): void {
    if (conn.closed) return;
    try {
      conn.socket.send(JSON.stringify(message));
    } catch (error) {
      this.deps.onError(error, conn.sessionId);
    }
  }

  private close(conn: Connection, code: number, reason: string): void {
    if (conn.closed) return;
    try {
      conn.socket.close(code, reason);
    } catch {
      /* already closing */
    }
    this.detach(conn);
  }

  private detach(conn: Connection): void {
    conn.closed = true;
    if (conn.authTimer) clearTimeout(conn.authTimer);
    const set = this.bySession.get(conn.sessionId);
    if (!set?.delete(conn)) return;
    if (set.size === 0) {
      this.bySession.delete(conn.sessionId);
      this.deps.unfollow(conn.sessionId);
    }
  }
}
