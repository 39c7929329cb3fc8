import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { consumerHealthProbe } from '@foresight/messaging';
import { HealthRegistry } from '@foresight/platform';
import type { FastifyInstance } from 'fastify';
import { GatewayRuntime } from './gateway.runtime';
import { installTokenSocketRoute } from './tokens/token-socket.service';

/**
 * Adapts the framework-free runtime to Nest's hooks: the WebSocket route joins the HTTP routes, the
 * runtime starts before the gateway listens and stops once the HTTP server has closed (before the
 * platform drains NATS).
 */
@Injectable()
export class GatewayLifecycle implements OnModuleInit, OnApplicationBootstrap, OnApplicationShutdown {
  constructor(
    @Inject(GatewayRuntime) private readonly runtime: GatewayRuntime,
    private readonly adapterHost: HttpAdapterHost,
    private readonly health: HealthRegistry,
  ) {}

  async onModuleInit(): Promise<void> {
    await installTokenSocketRoute(this.adapterHost.httpAdapter.getInstance<FastifyInstance>(), this.runtime.tokenSockets.hub);
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
