import type { ForesightConfig } from '@foresight/config';
import type { Logger } from '@foresight/observability';
import type { Clock } from '@foresight/time';
import type { NatsConnection } from 'nats';
import type { Registry } from 'prom-client';

export interface AffinityRuntimeDeps {
  readonly config: ForesightConfig;
  readonly nc: NatsConnection;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly metrics: Registry;
}

/**
 * The affinity service without Nest. It has no features yet (the platform serves `/health` and
 * `/metrics`); they are built here, in start order, and stopped in `stop()`.
 */
export class AffinityRuntime {
  constructor(readonly deps: AffinityRuntimeDeps) {}

  async start(): Promise<void> {
    // Nothing to start yet.
  }

  async stop(): Promise<void> {
    // Nothing to stop yet; the platform drains NATS.
  }
}
