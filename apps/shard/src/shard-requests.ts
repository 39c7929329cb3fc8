import { ErrorCodes, ForesightError, Headers, isStorableText, requestValidators, ShardCommandSchemas, unstorableTextMessage } from '@foresight/contracts';
import type { RpcMeta } from '@foresight/messaging';

/** Every shard command's request schema, compiled once. */
export const shardRequests = requestValidators(ShardCommandSchemas);

/**
 * The ids a write's events carry into Postgres text columns come from NATS headers: the trace ids
 * are bounded visible ASCII already, an idempotency key may hold anything. Refuse the request
 * rather than fail its append.
 */
export function checkMeta(meta: RpcMeta): void {
  const unstorable = (header: string) => new ForesightError(ErrorCodes.VALIDATION, unstorableTextMessage(`${header} header`));
  if (!isStorableText(meta.correlationId)) throw unstorable(Headers.correlationId);
  if (!isStorableText(meta.causationId)) throw unstorable(Headers.causationId);
  if (meta.requestId !== undefined && !isStorableText(meta.requestId)) throw unstorable(Headers.requestId);
}
