import { ErrorCodes, ForesightError, tokenSubjects, type TokenCommands, type TokenOp, type TokenRevocationReason } from '@foresight/contracts';
import { serveRpc, type RpcHandler, type RpcMeta } from '@foresight/messaging';
import type { Logger } from '@foresight/observability';
import type { NatsConnection, Subscription } from 'nats';
import type { TokensService } from '../families/tokens.service';
import type { SigningKeys } from '../keys/signing-keys';
import type { LiveSessions } from '../sessions/live-sessions';
import { body, familyIdOf, generationOf, sessionIdOf, storableText, text } from './validation';

type Reply<K extends TokenOp> = Promise<TokenCommands[K]['reply']>;

const REASONS: readonly TokenRevocationReason[] = ['logout', 'session-ended', 'admin'];

const ctx = (m: RpcMeta) => ({ correlationId: m.correlationId, causationId: m.causationId || m.correlationId });

/**
 * The token service's request/reply API on `<ns>.rpc.token.<op>` (op also in `Fs-Op`, and it must
 * match the subject: NATS permissions are granted per subject), in queue group `token`: any instance
 * answers any request. `issue` mints only for a live session the cluster issued.
 */
export function serveTokenRpc(
  nc: NatsConnection,
  namespace: string,
  tokens: TokensService,
  keys: SigningKeys,
  sessions: Pick<LiveSessions, 'assertMintable'>,
  logger: Logger,
  onRequest?: (op: string, ms: number, ok: boolean) => void,
): Subscription {
  const s = tokenSubjects(namespace);
  const handlers: Record<TokenOp, RpcHandler> = {
    issue: async (raw, m): Reply<'issue'> => {
      const b = body(raw);
      const sessionId = sessionIdOf(b);
      const userId = storableText(b, 'userId', 256);
      await sessions.assertMintable(sessionId, userId);
      return tokens.issue(sessionId, userId, ctx(m));
    },
    refresh: async (raw, m): Reply<'refresh'> => tokens.refresh(text(body(raw), 'refreshToken', 512), ctx(m)),
    revoke: async (raw, m): Reply<'revoke'> => {
      const b = body(raw);
      const reason = b.reason as TokenRevocationReason;
      if (!REASONS.includes(reason)) throw new ForesightError(ErrorCodes.VALIDATION, `"reason" must be one of ${REASONS.join(', ')}.`);
      return { revoked: await tokens.revoke(sessionIdOf(b), familyIdOf(b, false), reason, ctx(m)) };
    },
    jwks: async (): Reply<'jwks'> => keys.jwks(),
    pending: async (raw): Reply<'pending'> => {
      const b = body(raw);
      return { pair: await tokens.pending(sessionIdOf(b), familyIdOf(b, true), generationOf(b, 'haveGeneration')) };
    },
    ack: async (raw): Reply<'ack'> => {
      const b = body(raw);
      return { acknowledged: await tokens.ack(sessionIdOf(b), familyIdOf(b, true), generationOf(b, 'generation')) };
    },
  };
  const bound = Object.fromEntries(
    (Object.entries(handlers) as [TokenOp, RpcHandler][]).map(([op, handler]): [TokenOp, RpcHandler] => [
      op,
      async (raw, m) => {
        if (m.subject !== s.tokenRpc(op)) throw new ForesightError(ErrorCodes.UNKNOWN_OPERATION, `Operation "${op}" is served on ${s.tokenRpc(op)} only.`);
        return handler(raw, m);
      },
    ]),
  );
  return serveRpc(nc, s.tokenRpcWildcard, bound, { queue: 'token', logger, onRequest });
}
