import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { MetadataRuntime } from './metadata.runtime';

/** Adapts the framework-free runtime to Nest's start and stop hooks. */
@Injectable()
export class MetadataLifecycle implements OnApplicationBootstrap, BeforeApplicationShutdown {
  constructor(@Inject(MetadataRuntime) private readonly runtime: MetadataRuntime) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.runtime.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.runtime.stop();
  }
}
