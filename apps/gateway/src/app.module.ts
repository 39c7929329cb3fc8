import { Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import type { ForesightConfig } from '@foresight/config';
import { PlatformModule } from '@foresight/platform';
import { AgentModule } from './agent/agent.module';
import { CacheAdminController } from './cache/cache-admin.controller';
import { DataController } from './cache/data.controller';
import { ApiKeyGuard } from './common/api-key.guard';
import { ErrorFilter } from './common/error.filter';
import { EdgeCacheService } from './edge-cache/edge-cache.service';
import { PredictionsModule } from './predictions/predictions.module';
import { OwnerDirectory } from './routing/owner-directory.service';
import { ShardClient } from './routing/shard-client.service';
import { SessionsController } from './sessions/sessions.controller';
import { TokensController } from './tokens/tokens.controller';
import { TokensModule } from './tokens/tokens.module';
import { VariablesService } from './sessions/variables.service';

@Module({})
export class GatewayModule {
  static register(config: ForesightConfig): DynamicModule {
    return {
      module: GatewayModule,
      imports: [PlatformModule.forRoot(config, { database: false }), TokensModule, PredictionsModule, AgentModule],
      controllers: [SessionsController, TokensController, DataController, CacheAdminController],
      providers: [OwnerDirectory, ShardClient, EdgeCacheService, VariablesService, ApiKeyGuard, { provide: APP_FILTER, useClass: ErrorFilter }],
    };
  }
}
