import { ErrorCodes, ForesightError, requestValidators, TokenCommandSchemas, tokenSubjects, type TokenCommands, type TokenOp } from '@foresight/contracts';
import { serveRpc, type RpcHandler, type RpcMeta } from '@foresight/messaging';
import type { Logger } from '@foresight/observability';
import type { NatsConnection, Subscription } from 'nats';
import type { TokensService } from '../families/tokens.service';
import type { SigningKeys } from '../keys/signing-keys';
import type { LiveSessions } from '../sessions/live-sessions';

type Reply<K extends TokenOp> = Promise<TokenCommands[K]['reply']>;

/** Every token command's request schema, compiled once. */
const requests = requestValidators(TokenCommandSchemas);

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
      const { sessionId, userId } = requests.issue.parse(raw);
      await sessions.assertMintable(sessionId, userId);
      return tokens.issue(sessionId, userId, ctx(m));
    },
    refresh: async (raw, m): Reply<'refresh'> => tokens.refresh(requests.refresh.parse(raw).refreshToken, ctx(m)),
    revoke: async (raw, m): Reply<'revoke'> => {
      const r = requests.revoke.parse(raw);
      return { revoked: await tokens.revoke(r.sessionId, r.familyId, r.reason, ctx(m)) };
    },
    jwks: async (): Reply<'jwks'> => keys.jwks(),
    pending: async (raw): Reply<'pending'> => {
      const r = requests.pending.parse(raw);
      return { pair: await tokens.pending(r.sessionId, r.familyId, r.haveGeneration) };
    },
    ack: async (raw): Reply<'ack'> => {
      const r = requests.ack.parse(raw);
      return { acknowledged: await tokens.ack(r.sessionId, r.familyId, r.generation) };
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
