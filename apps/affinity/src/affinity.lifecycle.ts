import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { AffinityRuntime } from './affinity.runtime';

/** Adapts the framework-free runtime to Nest's start and stop hooks. */
@Injectable()
export class AffinityLifecycle implements OnApplicationBootstrap, BeforeApplicationShutdown {
  constructor(@Inject(AffinityRuntime) private readonly runtime: AffinityRuntime) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.runtime.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.runtime.stop();
  }
}
