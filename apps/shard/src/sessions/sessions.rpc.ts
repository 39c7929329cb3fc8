import { Inject, Injectable } from '@nestjs/common';
import { ErrorCodes, ForesightError, isJsonValue, type ShardCommands, type ShardOp } from '@foresight/contracts';
import type { ForesightConfig } from '@foresight/config';
import { serveRpc, type RpcHandler, type RpcMeta } from '@foresight/messaging';
import { histogram, type Logger } from '@foresight/observability';
import { CONFIG, LOGGER, METRICS, NATS } from '@foresight/platform';
import { variableOf } from '@foresight/session-domain';
import type { NatsConnection, Subscription } from 'nats';
import type { Registry } from 'prom-client';
import { CacheNodeService } from '../cache/cache-node.service';
import { CacheRpc } from '../cache/cache.rpc';
import { MembershipService } from '../membership/membership.service';
import { checkMeta, shardRequests } from './shard-requests';
import { SessionsService } from './sessions.service';

type Reply<K extends ShardOp> = ShardCommands[K]['reply'];

/** The shard node's request/reply API on `<ns>.rpc.shard.<nodeId>` (S5). */
@Injectable()
export class SessionsRpc {
  private sub: Subscription | null = null;
  private readonly latency;

  constructor(
    private readonly sessions: SessionsService,
    private readonly membership: MembershipService,
    private readonly cacheRpc: CacheRpc,
    private readonly cache: CacheNodeService,
    @Inject(NATS) private readonly nc: NatsConnection,
    @Inject(CONFIG) private readonly config: ForesightConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(METRICS) registry: Registry,
  ) {
    this.latency = histogram(registry, 'foresight_shard_rpc_seconds', 'Shard command latency', ['op', 'ok']);
  }

  start(): void {
    // Writes: their events carry the request's ids into Postgres, so those must be storable.
    const write =
      (handler: RpcHandler): RpcHandler =>
      async (r, m) => {
        checkMeta(m);
        return handler(r, m);
      };
    const handlers: Record<ShardOp, RpcHandler> = {
      'session.create': write((r, m) => this.create(r, m)),
      'session.get': (r) => this.get(r),
      'session.end': write((r, m) => this.end(r, m)),
      'var.get': (r) => this.varGet(r),
      'var.put': write((r, m) => this.varPut(r, m)),
      'var.patch': write((r, m) => this.varPatch(r, m)),
      'var.delete': write((r, m) => this.varDelete(r, m)),
      'session.record_action': write((r, m) => this.recordAction(r, m)),
      'sessions.touch': (r) => this.touch(r),
      ...this.cacheRpc.handlers(),
    };
    this.sub = serveRpc(this.nc, this.membership.rpcSubject, handlers, {
      logger: this.logger,
      onRequest: (op, ms, ok) => this.latency.observe({ op, ok: String(ok) }, ms / 1000),
    });
  }

  /** Stops taking requests; requests already received finish. */
  async stop(): Promise<void> {
    await this.sub?.drain().catch(() => undefined);
  }

  private async create(raw: unknown, meta: RpcMeta): Promise<Reply<'session.create'>> {
    const r = shardRequests['session.create'].parse(raw);
    const state = await this.sessions.execute(
      r.sessionId,
      { kind: 'create', sessionId: r.sessionId, shard: -1, userId: r.userId, groups: r.groups, idleTimeoutMs: r.idleTimeoutMs, absoluteTimeoutMs: r.absoluteTimeoutMs },
      meta,
    );
    return this.sessions.view(state, await this.sessions.epochOf(r.sessionId));
  }

  private async get(raw: unknown): Promise<Reply<'session.get'>> {
    const r = shardRequests['session.get'].parse(raw);
    return this.sessions.read(r.sessionId, r.groups);
  }

  private async end(raw: unknown, meta: RpcMeta): Promise<Reply<'session.end'>> {
    const state = await this.sessions.execute(shardRequests['session.end'].parse(raw).sessionId, { kind: 'end', reason: 'client' }, meta);
    return { version: state.version };
  }

  private async varGet(raw: unknown): Promise<Reply<'var.get'>> {
    const { sessionId, group, name } = shardRequests['var.get'].parse(raw);
    const view = await this.sessions.read(sessionId, [group]);
    const value = variableOf(view.groups, group, name);
    if (value === undefined) throw new ForesightError(ErrorCodes.VARIABLE_NOT_FOUND, `Variable ${group}/${name} is not set in this session.`);
    return { value, version: view.version };
  }

  private async varPut(raw: unknown, meta: RpcMeta): Promise<Reply<'var.put'>> {
    const r = shardRequests['var.put'].parse(raw);
    const state = await this.sessions.execute(r.sessionId, { kind: 'put', group: r.group, name: r.name, value: r.value, expectedVersion: r.expectedVersion }, meta);
    return { version: state.version };
  }

  private async varPatch(raw: unknown, meta: RpcMeta): Promise<Reply<'var.patch'>> {
    const r = shardRequests['var.patch'].parse(raw);
    const state = await this.sessions.execute(r.sessionId, { kind: 'patch', group: r.group, name: r.name, patch: r.patch, expectedVersion: r.expectedVersion }, meta);
    const value = variableOf(state.groups, r.group, r.name);
    return { value: isJsonValue(value) ? value : null, version: state.version };
  }

  private async recordAction(raw: unknown, meta: RpcMeta): Promise<Reply<'session.record_action'>> {
    const { sessionId, action } = shardRequests['session.record_action'].parse(raw);
    const { state, applied } = await this.sessions.run(sessionId, { kind: 'record_action', action }, meta);
    if (!applied) return { version: state.version }; // a retry: the cache saw this action the first time
    // Committed: update the profile and start prefetching for the predicted next actions.
    try {
      this.cache.recordAction(sessionId, action, state.userId ? { userId: state.userId } : {});
    } catch (error) {
      this.logger.warn({ err: error, sessionId, action, correlationId: meta.correlationId }, 'prefetch planning failed');
    }
    return { version: state.version };
  }

  private async touch(raw: unknown): Promise<Reply<'sessions.touch'>> {
    return { touched: this.sessions.touchMany(shardRequests['sessions.touch'].parse(raw).sessionIds) };
  }

  private async varDelete(raw: unknown, meta: RpcMeta): Promise<Reply<'var.delete'>> {
    const r = shardRequests['var.delete'].parse(raw);
    const state = await this.sessions.execute(r.sessionId, { kind: 'delete', group: r.group, name: r.name, expectedVersion: r.expectedVersion }, meta);
    return { version: state.version };
  }
}
