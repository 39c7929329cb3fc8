import { Module, type DynamicModule, type Provider } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import type { ForesightConfig } from '@foresight/config';
import type { Logger } from '@foresight/observability';
import { CLOCK, LOGGER, METRICS, NATS, PlatformModule } from '@foresight/platform';
import type { Clock } from '@foresight/time';
import type { NatsConnection } from 'nats';
import type { Registry } from 'prom-client';
import { AgentAuthGuard } from './agent/agent-auth.guard';
import { AgentController } from './agent/agent.controller';
import { AgentReports } from './agent/agent-reports';
import { CacheAdminController } from './cache/cache-admin.controller';
import { DataController } from './cache/data.controller';
import { AdminKeyGuard, ApiKeyGuard } from './common/api-key.guard';
import { ApiKeys } from './common/api-keys';
import { SessionTenants } from './common/session-tenants';
import { ErrorFilter } from './common/error.filter';
import { PredictionOutcomes } from './dashboard/prediction-outcomes';
import { EdgeCacheService } from './edge-cache/edge-cache.service';
import { AffinityClient } from './edges/affinity-client';
import { AffinityView } from './edges/affinity-view';
import { EdgesController } from './edges/edges.controller';
import { PreferredEdges } from './edges/preferred-edge.hook';
import { GatewayLifecycle } from './gateway.lifecycle';
import { GatewayRuntime } from './gateway.runtime';
import { LockRenewals } from './locks/lock-renewals';
import { LocksController } from './locks/locks.controller';
import { PredictionsController } from './predictions/predictions.controller';
import { OwnerDirectory } from './routing/owner-directory.service';
import { ShardClient } from './routing/shard-client.service';
import { SessionsController } from './sessions/sessions.controller';
import { VariablesService } from './sessions/variables.service';
import { AccessTokenVerifier } from './tokens/access-token-verifier';
import { JwksCache } from './tokens/jwks-cache';
import { RefreshLimits } from './tokens/refresh-limits';
import { SessionAuthGuard } from './tokens/session-auth.guard';
import { TokenClient } from './tokens/token-client';
import { TokensController } from './tokens/tokens.controller';

/** What the controllers, guards and the fast lane take from the runtime. */
const runtimeParts: Provider[] = [
  { provide: OwnerDirectory, inject: [GatewayRuntime], useFactory: (rt: GatewayRuntime) => rt.directory },
  { provide: ShardClient, inject: [GatewayRuntime], useFactory: (rt: GatewayRuntime) => rt.shards },
  { provide: EdgeCacheService, inject: [GatewayRuntime], useFactory: (rt: GatewayRuntime) => rt.edgeCache },
  { provide: VariablesService, inject: [GatewayRuntime], useFactory: (rt: GatewayRuntime) => rt.variables },
  { provide: LockRenewals, inject: [GatewayRuntime], useFactory: (rt: GatewayRuntime) => rt.lockRenewals },
  { provide: TokenClient, inject: [GatewayRuntime], useFactory: (rt: GatewayRuntime) => rt.tokenClient },
  { provide: JwksCache, inject: [GatewayRuntime], useFactory: (rt: GatewayRuntime) => rt.jwks },
  { provide: AccessTokenVerifier, inject: [GatewayRuntime], useFactory: (rt: GatewayRuntime) => rt.verifier },
  { provide: RefreshLimits, inject: [GatewayRuntime], useFactory: (rt: GatewayRuntime) => rt.limits },
  { provide: ApiKeys, inject: [GatewayRuntime], useFactory: (rt: GatewayRuntime) => rt.apiKeys },
  { provide: SessionTenants, inject: [GatewayRuntime], useFactory: (rt: GatewayRuntime) => rt.tenants },
  { provide: PredictionOutcomes, inject: [GatewayRuntime], useFactory: (rt: GatewayRuntime) => rt.predictionOutcomes },
  { provide: AgentReports, inject: [GatewayRuntime], useFactory: (rt: GatewayRuntime) => rt.agentReports },
  { provide: AffinityClient, inject: [GatewayRuntime], useFactory: (rt: GatewayRuntime) => rt.affinityClient },
  { provide: AffinityView, inject: [GatewayRuntime], useFactory: (rt: GatewayRuntime) => rt.affinity },
  { provide: PreferredEdges, inject: [GatewayRuntime], useFactory: (rt: GatewayRuntime) => rt.preferredEdges },
];

/** REST gateway: sessions, variables, tokens, predictions and the predictive cache, routed to their services; the contract and agent reports for client libraries. */
@Module({})
export class GatewayModule {
  static register(config: ForesightConfig): DynamicModule {
    return {
      module: GatewayModule,
      imports: [PlatformModule.forRoot(config, { database: false })],
      controllers: [
        SessionsController,
        LocksController,
        TokensController,
        DataController,
        CacheAdminController,
        PredictionsController,
        AgentController,
        EdgesController,
      ],
      providers: [
        {
          provide: GatewayRuntime,
          inject: [NATS, LOGGER, CLOCK, METRICS],
          useFactory: (nc: NatsConnection, logger: Logger, clock: Clock, metrics: Registry) => new GatewayRuntime({ config, nc, logger, clock, metrics }),
        },
        ...runtimeParts,
        ApiKeyGuard,
        AdminKeyGuard,
        SessionAuthGuard,
        AgentAuthGuard,
        GatewayLifecycle,
        { provide: APP_FILTER, useClass: ErrorFilter },
      ],
    };
  }
}
