import 'reflect-metadata';
import { Module, type INestMicroservice, type Provider, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { ForesightRpcTransport } from '@foresight/platform';

/**
 * Serves an app's `@RpcController` classes on a runtime's transport without the rest of the app
 * (no HTTP, no platform module): what `connectRpcTransport` does in `main.ts`, for tests that build
 * the runtime by hand. Requests are taken once the runtime opens the transport; `close()` the
 * returned microservice when done.
 */
export async function hostRpcControllers(transport: ForesightRpcTransport, controllers: Type<unknown>[], providers: Provider[]): Promise<INestMicroservice> {
  @Module({ controllers, providers })
  class RpcHostModule {}
  const app = await NestFactory.createMicroservice(RpcHostModule, { strategy: transport, logger: false });
  await app.listen();
  return app;
}
