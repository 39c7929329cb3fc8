import { Global, Inject, Injectable, Module, type DynamicModule, type ModuleMetadata, type OnApplicationShutdown, type Provider } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { ForesightClient } from '@foresight/client';
import { ForesightActionInterceptor } from './action.interceptor.js';
import { FORESIGHT_OPTIONS, type ForesightModuleOptions } from './options.js';
import { SessionLoadPipe } from './session.decorator.js';

export interface ForesightModuleAsyncOptions extends Pick<ModuleMetadata, 'imports'> {
  readonly useFactory: (...args: never[]) => ForesightModuleOptions | Promise<ForesightModuleOptions>;
  readonly inject?: readonly (string | symbol | (abstract new (...args: never[]) => unknown))[];
  /** Apply the action interceptor to every route (known before the options are). */
  readonly globalInterceptor?: boolean;
}

/** Stops the client's agent schedule when the app shuts down. */
@Injectable()
class ClientShutdown implements OnApplicationShutdown {
  constructor(@Inject(ForesightClient) private readonly client: ForesightClient) {}
  onApplicationShutdown(): void {
    this.client.close();
  }
}

const common: Provider[] = [
  { provide: ForesightClient, inject: [FORESIGHT_OPTIONS], useFactory: (options: ForesightModuleOptions) => new ForesightClient(options) },
  SessionLoadPipe,
  ForesightActionInterceptor,
  ClientShutdown,
];

const interceptor = (global: boolean | undefined): Provider[] => (global ? [{ provide: APP_INTERCEPTOR, useExisting: ForesightActionInterceptor }] : []);

/**
 * Foresight for a Nest app: an injectable `ForesightClient`, `@ForesightSession()` to load a
 * request's session with only the groups a handler declares, and `ForesightActionInterceptor`
 * with `@RecordAction()` to record what handlers stand for. Global: import it once, in the root module.
 */
@Global()
@Module({})
export class ForesightModule {
  static forRoot(options: ForesightModuleOptions): DynamicModule {
    return {
      module: ForesightModule,
      providers: [{ provide: FORESIGHT_OPTIONS, useValue: options }, ...common, ...interceptor(options.globalInterceptor)],
      exports: [ForesightClient, FORESIGHT_OPTIONS, SessionLoadPipe, ForesightActionInterceptor],
    };
  }

  static forRootAsync(options: ForesightModuleAsyncOptions): DynamicModule {
    return {
      module: ForesightModule,
      imports: [...(options.imports ?? [])],
      providers: [
        { provide: FORESIGHT_OPTIONS, useFactory: options.useFactory, inject: [...(options.inject ?? [])] },
        ...common,
        ...interceptor(options.globalInterceptor),
      ],
      exports: [ForesightClient, FORESIGHT_OPTIONS, SessionLoadPipe, ForesightActionInterceptor],
    };
  }
}
