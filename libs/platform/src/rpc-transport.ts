import {
  applyDecorators,
  Catch,
  Controller,
  Module,
  UseFilters,
  type INestApplication,
  type INestMicroservice,
  type Provider,
  type RpcExceptionFilter,
  type Type,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { BaseRpcContext, MessagePattern, Server, type CustomTransportStrategy, type MicroserviceOptions } from '@nestjs/microservices';
import { serveRpc, type RpcHandler, type RpcLogger, type RpcMeta } from '@foresight/messaging';
import type { NatsConnection, Subscription } from 'nats';
import { isObservable, lastValueFrom, throwError, type Observable } from 'rxjs';

/** One request/reply endpoint a service serves: a subject (wildcards allowed), optionally in a queue group. */
export interface RpcEndpoint {
  readonly subject: string;
  readonly queue?: string;
  /** The op of a request without an `Fs-Op` header (endpoints whose subject already names the op). */
  readonly defaultOp?: string;
}

export interface RpcTransportOptions {
  /** The service's NATS connection (shared with the rest of the app; the platform drains it). */
  readonly nc: NatsConnection;
  /** Endpoint name → where it listens. Handlers name the endpoint in {@link RpcOp}. */
  readonly endpoints: Readonly<Record<string, RpcEndpoint>>;
  readonly logger: RpcLogger;
  /** Latency and outcome of every request, for metrics. */
  readonly onRequest?: (endpoint: string, op: string, ms: number, ok: boolean) => void;
  /** Waited before every handler runs: a fault the chaos suite injects (a slow node); absent in normal runs. A function is asked per request. */
  readonly delayMs?: number | (() => number);
  /**
   * Turns what a handler throws into what the caller gets: e.g. a database outage into
   * `SERVICE.UNAVAILABLE` (retryable) instead of `SERVICE.INTERNAL`. Identity when absent.
   */
  readonly mapError?: (error: unknown) => unknown;
}

/** The pattern string of an op on an endpoint: what {@link RpcOp} registers and the transport looks up. */
const rpcPattern = (endpoint: string, op: string): string => `${endpoint}#${op}`;

/**
 * Declares a Nest controller method as the handler of `op` on `endpoint`:
 * `@RpcOp('shard', 'var.put') put(@Payload() body: unknown, @Ctx() ctx: RpcContext)`.
 */
export const RpcOp = (endpoint: string, op: string): MethodDecorator => MessagePattern(rpcPattern(endpoint, op));

/** What a handler can read besides the payload: the request metadata from the NATS headers. */
export class RpcContext extends BaseRpcContext<[RpcMeta]> {
  get meta(): RpcMeta {
    return this.args[0];
  }
}

/**
 * A Nest microservice transport over Foresight's request/reply: MessagePack bodies, the operation in
 * the `Fs-Op` header, replies `{ok, result}` / `{ok: false, error}`. Subjects, wire format and the
 * "nothing a client sends crashes the process" guarantee are {@link serveRpc}'s; this class only lets
 * handlers be `@RpcOp` controller methods, so they get Nest's guards, interceptors and pipes.
 *
 * Nest calls {@link listen} when the microservice starts, which collects the handlers; the service
 * decides when to take requests with {@link open} (e.g. after its streams exist, before it joins the
 * cluster) and stops with {@link close}, as its start-up and shutdown order requires.
 */
export class ForesightRpcTransport extends Server implements CustomTransportStrategy {
  private readonly subscriptions: Subscription[] = [];
  private listening = false;
  private openRequested = false;

  constructor(private readonly options: RpcTransportOptions) {
    super();
  }

  listen(callback: (...optionalParams: unknown[]) => void): void {
    this.listening = true;
    try {
      if (this.openRequested) this.subscribe();
      callback();
    } catch (error) {
      callback(error);
    }
  }

  /** Starts taking requests (at once if Nest has started the microservice, else as soon as it does). */
  open(): void {
    this.openRequested = true;
    if (this.listening && this.subscriptions.length === 0) this.subscribe();
  }

  /** Stops taking requests; requests already received finish (the connection itself is drained by the platform). */
  async close(): Promise<void> {
    this.openRequested = false;
    await Promise.all(this.subscriptions.splice(0).map((s) => s.drain().catch(() => undefined)));
  }

  on(): never {
    throw new Error('ForesightRpcTransport has no events to listen to');
  }

  unwrap<T>(): T {
    return this.options.nc as T;
  }

  private subscribe(): void {
    for (const [endpoint, spec] of Object.entries(this.options.endpoints)) {
      const onRequest = this.options.onRequest;
      this.subscriptions.push(
        serveRpc(this.options.nc, spec.subject, this.handlersOf(endpoint, spec), {
          queue: spec.queue,
          logger: this.options.logger,
          onRequest: onRequest && ((op, ms, ok) => onRequest(endpoint, op, ms, ok)),
        }),
      );
    }
  }

  /** The ops registered for `endpoint`, as serveRpc handlers that run the Nest handler pipeline. */
  private handlersOf(endpoint: string, spec: RpcEndpoint): Record<string, RpcHandler> {
    const prefix = rpcPattern(endpoint, '');
    const handlers: Record<string, RpcHandler> = Object.create(null) as Record<string, RpcHandler>;
    for (const [pattern, handler] of this.getHandlers()) {
      if (!pattern.startsWith(prefix)) continue;
      const delay = this.options.delayMs ?? 0;
      const mapError = this.options.mapError;
      handlers[pattern.slice(prefix.length)] = async (request, meta) => {
        const delayMs = typeof delay === 'function' ? delay() : delay;
        if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
        try {
          const out: unknown = await handler(request, new RpcContext([meta]));
          return await (isObservable(out) ? lastValueFrom(out as Observable<unknown>) : out);
        } catch (error) {
          throw mapError ? mapError(error) : error;
        }
      };
    }
    if (spec.defaultOp !== undefined && handlers[spec.defaultOp]) handlers[''] = handlers[spec.defaultOp];
    return handlers;
  }
}

/**
 * Lets a handler's error reach the transport unchanged, so a ForesightError keeps its stable code
 * on the wire (Nest's default RPC filter would turn it into "Internal server error").
 */
@Catch()
class RpcErrorPassthroughFilter implements RpcExceptionFilter<unknown> {
  catch(exception: unknown): Observable<never> {
    return throwError(() => exception);
  }
}

/** Marks a class as a controller of `@RpcOp` handlers whose errors keep their codes on the wire. */
export const RpcController = (): ClassDecorator => applyDecorators(Controller(), UseFilters(RpcErrorPassthroughFilter));

/**
 * Attaches `transport` to a service's Nest application and starts it (handlers collected; requests
 * are taken once the service calls `transport.open()`). Call before the application listens.
 */
export async function connectRpcTransport(app: INestApplication, transport: ForesightRpcTransport): Promise<void> {
  app.connectMicroservice<MicroserviceOptions>({ strategy: transport }, { inheritAppConfig: false });
  await app.startAllMicroservices();
}

/**
 * Serves `controllers` (`@RpcController` classes) on `transport` without an HTTP application, for
 * tools and tests that build an app's runtime by hand; `providers` supply what the controllers
 * inject. Requests are taken once the runtime opens the transport; close the returned microservice
 * when done.
 */
export async function serveRpcControllers(transport: ForesightRpcTransport, controllers: Type<unknown>[], providers: Provider[]): Promise<INestMicroservice> {
  @Module({ controllers, providers })
  class RpcControllersModule {}
  const app = await NestFactory.createMicroservice(RpcControllersModule, { strategy: transport, logger: false });
  await app.listen();
  return app;
}
