import { Module, type DynamicModule } from '@nestjs/common';
import type { ForesightConfig } from '@foresight/config';
import { PlatformModule } from '@foresight/platform';
import { ClusterEventsPublisher } from './assignment/cluster-events.publisher';
import { RebalancerService } from './assignment/rebalancer.service';
import { ShardsRepository } from './assignment/shards.repository';
import { MetadataRpc } from './metadata.rpc';
import { NodesRepository } from './nodes/nodes.repository';
import { StreamsDeclarer } from './streams.declarer';

@Module({})
export class MetadataModule {
  static register(config: ForesightConfig): DynamicModule {
    return {
      module: MetadataModule,
      imports: [PlatformModule.forRoot(config, { database: true })],
      providers: [StreamsDeclarer, NodesRepository, ShardsRepository, ClusterEventsPublisher, RebalancerService, MetadataRpc],
    };
  }
}
