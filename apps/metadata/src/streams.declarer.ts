import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { streamDeclarations } from '@foresight/contracts';
import type { ForesightConfig } from '@foresight/config';
import { declareStreams } from '@foresight/messaging';
import type { Logger } from '@foresight/observability';
import { CONFIG, LOGGER, NATS } from '@foresight/platform';
import type { NatsConnection } from 'nats';

/**
 * Declares every JetStream stream at start (create, or update to the declared config). Only the
 * metadata service's NATS user may: a stream's subjects and republish setting reach any subject of
 * the account, so the other services just wait for the streams they use (ADR 0005).
 */
@Injectable()
export class StreamsDeclarer implements OnModuleInit {
  constructor(
    @Inject(NATS) private readonly nc: NatsConnection,
    @Inject(CONFIG) private readonly config: ForesightConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async onModuleInit(): Promise<void> {
    const declarations = Object.values(streamDeclarations(this.config.nats.namespace));
    await declareStreams(this.nc, declarations, this.config.nats.jetStreamReplicas);
    this.logger.info({ streams: declarations.map((d) => d.name) }, 'streams declared');
  }
}
