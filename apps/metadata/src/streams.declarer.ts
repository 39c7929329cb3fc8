import { streamDeclarations } from '@foresight/contracts';
import type { ForesightConfig } from '@foresight/config';
import { declareStreams } from '@foresight/messaging';
import type { Logger } from '@foresight/observability';
import type { NatsConnection } from 'nats';

/**
 * Declares every JetStream stream at start (create, or update to the declared config). Only the
 * metadata service's NATS user may: a stream's subjects and republish setting reach any subject of
 * the account, so the other services just wait for the streams they use (ADR 0005).
 */
export async function declareAllStreams(deps: { readonly nc: NatsConnection; readonly config: ForesightConfig; readonly logger: Logger }): Promise<void> {
  const { nc, config, logger } = deps;
  const declarations = Object.values(streamDeclarations(config.nats.namespace));
  await declareStreams(nc, declarations, config.nats.jetStreamReplicas);
  logger.info({ streams: declarations.map((d) => d.name) }, 'streams declared');
}
