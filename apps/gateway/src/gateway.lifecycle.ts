import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { consumerHealthProbe } from '@foresight/messaging';
import type { Logger } from '@foresight/observability';
import { HealthRegistry, LOGGER } from '@foresight/platform';
import type { FastifyInstance } from 'fastify';
import { installDashboardRoutes } from './dashboard/dashboard.routes';
import { GatewayRuntime } from './gateway.runtime';
import { installTokenSocketRoute } from './tokens/token-socket.service';

/**
 * Adapts the framework-free runtime to Nest's hooks: the WebSocket route and the operators' dashboard
 * (when operator keys are configured) join the HTTP routes, the
 * runtime starts before the gateway listens and stops once the HTTP server has closed (before the
 * platform drains NATS).
 */
@Injectable()
export class GatewayLifecycle implements OnModuleInit, OnApplicationBootstrap, OnApplicationShutdown {
  constructor(
    @Inject(GatewayRuntime) private readonly runtime: GatewayRuntime,
    private readonly adapterHost: HttpAdapterHost,
    private readonly health: HealthRegistry,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async onModuleInit(): Promise<void> {
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    await installTokenSocketRoute(fastify, this.runtime.tokenSockets.hub);
    // Without an operator key the dashboard is not served at all.
    if (this.runtime.config.gateway.operatorKeys.length > 0) {
      await installDashboardRoutes(fastify, { feed: this.runtime.dashboard, auth: this.runtime.operators, logger: this.logger });
    }
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.runtime.start();
    const revocations = this.runtime.revocations;
    const following = consumerHealthProbe(revocations);
    this.health.add('token-revocations', async () => {
      await following();
      if (!revocations.ready) throw new Error('still loading recent revocations');
    });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.runtime.stop();
  }
}
