/**
 * Subjects and the stream of the token service, beside the session/cluster ones in
 * `subjects.ts`. Request subjects (`<ns>.rpc.token.<op>`) never overlap stream subjects
 * (`<ns>.evt.token.…`); per-session notices (`<ns>.notice.token.<sessionId>`) are core NATS only.
 */
export interface TokenSubjects {
  /** Token events: `<ns>.evt.token.<kind>` (e.g. fs.evt.token.revoked), for `type` = `token.<kind>`. */
  tokenEvent(type: string): string;
  readonly tokenEventsWildcard: string;
  /** Request/reply to any token service instance (queue group `token`). */
  tokenRpc(op: TokenOp): string;
  readonly tokenRpcWildcard: string;
  /**
   * Fast, non-durable notice to the gateways holding a WebSocket for the session: a pre-minted
   * pair is waiting. Metadata only; the pair itself is fetched over request/reply (`pending`).
   */
  tokenNotice(sessionId: string): string;
  /** Stream `<NS>_TOKENS`. */
  readonly tokenStream: string;
}

export type TokenOp = 'issue' | 'refresh' | 'revoke' | 'jwks' | 'pending' | 'ack' | 'renew' | 'stats';
export const TOKEN_OPS: readonly TokenOp[] = ['issue', 'refresh', 'revoke', 'jwks', 'pending', 'ack', 'renew', 'stats'];

/** Retention of the token stream: long enough for a gateway to rebuild its revocation list at start. */
export const TOKEN_STREAM_MAX_AGE_MS = 2 * 86_400_000;
export const TOKEN_STREAM_DUPLICATE_WINDOW_MS = 120_000;

/** The token service's durable consumer of the session stream (activity), shared by its instances. */
export const TOKEN_ACTIVITY_DURABLE = 'token-activity';

const NAME = /^[A-Za-z0-9_-]+$/;

export function tokenSubjects(namespace = 'fs'): TokenSubjects {
  if (!NAME.test(namespace)) throw new Error(`invalid subject namespace "${namespace}"`);
  return {
    tokenEvent: (type) => `${namespace}.evt.${type}`,
    tokenEventsWildcard: `${namespace}.evt.token.>`,
    tokenRpc: (op) => `${namespace}.rpc.token.${op}`,
    tokenRpcWildcard: `${namespace}.rpc.token.>`,
    tokenNotice: (sessionId) => {
      if (!NAME.test(sessionId)) throw new Error('a session id used in a subject must be base64url');
      return `${namespace}.notice.token.${sessionId}`;
    },
    tokenStream: `${namespace.toUpperCase().replace(/-/g, '_')}_TOKENS`,
  };
}
