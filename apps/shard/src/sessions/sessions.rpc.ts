import { Inject, Injectable } from '@nestjs/common';
import { ErrorCodes, ForesightError, type GroupsState, type ShardCommands, type ShardOp } from '@foresight/contracts';
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
import { body, checkMeta, groupsArg, isJsonValue, json, optionalInt, str } from './command-validation';
import { SessionsService } from './sessions.service';

type Reply<K extends ShardOp> = ShardCommands[K]['reply'];

/** Action names: short, printable, usable as Markov symbols and in data-requirement patterns. */
const ACTION = /^[A-Za-z0-9_.:/-]{1,128}$/;

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
    const b = body(raw);
    const sessionId = str(b, 'sessionId', 64);
    const userId = b.userId === undefined || b.userId === null ? null : str(b, 'userId', 256);
    const groups = b.groups === undefined ? {} : json(b, 'groups');
    if (typeof groups !== 'object' || groups === null || Array.isArray(groups) || !Object.values(groups).every((g) => typeof g === 'object' && g !== null && !Array.isArray(g))) {
      throw new ForesightError(ErrorCodes.VALIDATION, '"groups" must map group names to maps of variables.');
    }
    const state = await this.sessions.execute(
      sessionId,
      {
        kind: 'create',
        sessionId,
        shard: -1,
        userId,
        groups: groups as GroupsState,
        idleTimeoutMs: optionalInt(b, 'idleTimeoutMs', 1000),
        absoluteTimeoutMs: optionalInt(b, 'absoluteTimeoutMs', 1000),
      },
      meta,
    );
    return this.sessions.view(state, await this.sessions.epochOf(sessionId));
  }

  private async get(raw: unknown): Promise<Reply<'session.get'>> {
    const b = body(raw);
    return this.sessions.read(str(b, 'sessionId', 64), groupsArg(b, 'groups'));
  }

  private async end(raw: unknown, meta: RpcMeta): Promise<Reply<'session.end'>> {
    const state = await this.sessions.execute(str(body(raw), 'sessionId', 64), { kind: 'end', reason: 'client' }, meta);
    return { version: state.version };
  }

  private async varGet(raw: unknown): Promise<Reply<'var.get'>> {
    const b = body(raw);
    const group = str(b, 'group', 32);
    const name = str(b, 'name', 128);
    const view = await this.sessions.read(str(b, 'sessionId', 64), [group]);
    const value = variableOf(view.groups, group, name);
    if (value === undefined) throw new ForesightError(ErrorCodes.VARIABLE_NOT_FOUND, `Variable ${group}/${name} is not set in this session.`);
    return { value, version: view.version };
  }

  private async varPut(raw: unknown, meta: RpcMeta): Promise<Reply<'var.put'>> {
    const b = body(raw);
    const state = await this.sessions.execute(
      str(b, 'sessionId', 64),
      { kind: 'put', group: str(b, 'group', 32), name: str(b, 'name', 128), value: json(b, 'value'), expectedVersion: optionalInt(b, 'expectedVersion', 1) },
      meta,
    );
    return { version: state.version };
  }

  private async varPatch(raw: unknown, meta: RpcMeta): Promise<Reply<'var.patch'>> {
    const b = body(raw);
    const group = str(b, 'group', 32);
    const name = str(b, 'name', 128);
    const patch = json(b, 'patch');
    const state = await this.sessions.execute(str(b, 'sessionId', 64), { kind: 'patch', group, name, patch, expectedVersion: optionalInt(b, 'expectedVersion', 1) }, meta);
    const value = variableOf(state.groups, group, name);
    return { value: isJsonValue(value) ? value : null, version: state.version };
  }

  private async recordAction(raw: unknown, meta: RpcMeta): Promise<Reply<'session.record_action'>> {
    const b = body(raw);
    const action = b.action;
    if (typeof action !== 'string' || !ACTION.test(action)) {
      throw new ForesightError(ErrorCodes.VALIDATION, '"action" must be 1–128 characters from letters, digits and _ . : / -.');
    }
    const sessionId = str(b, 'sessionId', 64);
    const { state, applied } = await this.sessions.run(sessionId, { kind: 'record_action', action }, meta);
    if (!applied) return { version: state.version }; // a retry: the cache saw this action the first time
    // Committed: update the profile and start prefetching for the predicted next actions (P4, P9).
    try {
      this.cache.recordAction(sessionId, action, state.userId ? { userId: state.userId } : {});
    } catch (error) {
      this.logger.warn({ err: error, sessionId, action, correlationId: meta.correlationId }, 'prefetch planning failed');
    }
    return { version: state.version };
  }

  private async touch(raw: unknown): Promise<Reply<'sessions.touch'>> {
    const ids = body(raw).sessionIds;
    if (!Array.isArray(ids) || ids.length > 10_000 || !ids.every((id) => typeof id === 'string')) {
      throw new ForesightError(ErrorCodes.VALIDATION, '"sessionIds" must be a list of at most 10,000 session ids.');
    }
    return { touched: this.sessions.touchMany(ids as string[]) };
  }

  private async varDelete(raw: unknown, meta: RpcMeta): Promise<Reply<'var.delete'>> {
    const b = body(raw);
    const state = await this.sessions.execute(
      str(b, 'sessionId', 64),
      { kind: 'delete', group: str(b, 'group', 32), name: str(b, 'name', 128), expectedVersion: optionalInt(b, 'expectedVersion', 1) },
      meta,
    );
    return { version: state.version };
  }
}
