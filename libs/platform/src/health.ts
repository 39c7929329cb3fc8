import { Controller, Get, Inject, Injectable, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import type { Registry } from 'prom-client';
import { METRICS } from './tokens';

export type HealthProbe = () => Promise<void>;

/** Named probes that /health runs; services add theirs at start. */
@Injectable()
export class HealthRegistry {
  private readonly probes = new Map<string, HealthProbe>();
  private shuttingDown = false;

  add(name: string, probe: HealthProbe): void {
    this.probes.set(name, probe);
  }

  markShuttingDown(): void {
    this.shuttingDown = true;
  }

  async check(): Promise<{ status: 'ok' | 'error'; checks: Record<string, string> }> {
    const checks: Record<string, string> = {};
    await Promise.all(
      [...this.probes].map(async ([name, probe]) => {
        try {
          await Promise.race([probe(), new Promise((_, reject) => setTimeout(() => reject(new Error('timed out after 2 s')), 2000))]);
          checks[name] = 'ok';
        } catch (error) {
          checks[name] = `error: ${(error as Error).message}`;
        }
      }),
    );
    if (this.shuttingDown) checks.lifecycle = 'error: shutting down';
    return { status: Object.values(checks).every((c) => c === 'ok') ? 'ok' : 'error', checks };
  }
}

@ApiExcludeController()
@Controller()
export class HealthController {
  constructor(
    private readonly health: HealthRegistry,
    @Inject(METRICS) private readonly metrics: Registry,
  ) {}

  /** Readiness: 200 when every dependency answers, 503 otherwise. */
  @Get('health')
  async get(@Res() reply: FastifyReply): Promise<void> {
    const result = await this.health.check();
    await reply.status(result.status === 'ok' ? 200 : 503).send(result);
  }

  /** Prometheus exposition format. */
  @Get('metrics')
  async prometheus(@Res() reply: FastifyReply): Promise<void> {
    await reply.header('content-type', this.metrics.contentType).send(await this.metrics.metrics());
  }
}
