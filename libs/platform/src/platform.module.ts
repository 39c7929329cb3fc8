import { Global, Inject, Injectable, Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import type { ForesightConfig } from '@foresight/config';
import { connectNats } from '@foresight/messaging';
import { createLogger, createMetricsRegistry, type Logger } from '@foresight/observability';
import { createPool } from '@foresight/persistence';
import { systemClock } from '@foresight/time';
import type { NatsConnection } from 'nats';
import type { Pool } from 'pg';
import { HealthController, HealthRegistry } from './health';
import { CLOCK, CONFIG, LOGGER, METRICS, NATS, PG_POOL } from './tokens';

/** Closes the shared connections last, after every feature provider has stopped. */
@Injectable()
class PlatformLifecycle implements OnApplicationShutdown {
  constructor(
    @Inject(NATS) private readonly nc: NatsConnection,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly health: HealthRegistry,
    @Inject(PG_POOL) private readonly pool: Pool | null,
  ) {}

  async onApplicationShutdown(signal?: string): Promise<void> {
    this.health.markShuttingDown();
    this.logger.info({ signal }, 'shutting down: draining NATS and closing the database pool');
    await this.nc.drain().catch(() => undefined);
    await this.pool?.end().catch(() => undefined);
  }
}

/**
 * Config, logger, metrics, the NATS connection and (optionally) the Postgres pool, shared by
 * every provider of a service, plus /health and /metrics.
 */
@Global()
@Module({})
export class PlatformModule {
  static forRoot(config: ForesightConfig, options: { database: boolean }): DynamicModule {
    const nodeId = config.service === 'shard' ? config.cluster.nodeId : undefined;
    const logger = createLogger({ service: config.service, nodeId, level: config.logLevel });
    const providers = [
      { provide: CONFIG, useValue: config },
      { provide: LOGGER, useValue: logger },
      { provide: METRICS, useValue: createMetricsRegistry(config.service, nodeId) },
      { provide: CLOCK, useValue: systemClock },
      HealthRegistry,
      {
        provide: NATS,
        inject: [HealthRegistry],
        useFactory: async (health: HealthRegistry) => {
          const nc = await connectNats({
            servers: config.nats.servers,
            user: config.nats.user,
            password: config.nats.password,
            nkeySeed: config.nats.nkeySeed,
            tls: config.nats.tls,
            name: `${config.service}${nodeId ? `:${nodeId}` : ''}`,
            requiredMaxPayloadBytes: config.nats.maxPayloadBytes,
            coalesceWrites: config.nats.coalesceWrites,
          });
          health.add('nats', async () => {
            if (nc.isClosed()) throw new Error('connection closed');
            await nc.flush();
          });
          return nc;
        },
      },
      {
        provide: PG_POOL,
        inject: [HealthRegistry],
        useFactory: (health: HealthRegistry) => {
          if (!options.database) return null;
          const pool = createPool(config.database.url, config.database.poolSize, `foresight-${config.service}`, config.database.ssl);
          health.add('postgres', async () => {
            await pool.query('SELECT 1');
          });
          return pool;
        },
      },
      PlatformLifecycle,
    ];
    return {
      module: PlatformModule,
      controllers: [HealthController],
      providers,
      exports: [CONFIG, LOGGER, METRICS, CLOCK, NATS, PG_POOL, HealthRegistry],
    };
  }
}
