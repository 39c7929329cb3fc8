import { ErrorCodes, ForesightError, isJsonValue, type ShardCommands, type ShardOp } from '@foresight/contracts';
import type { RpcMeta } from '@foresight/messaging';
import { variableOf } from '@foresight/session-domain';
import { checkMeta, shardRequests } from '../shard-requests';
import type { SessionsService } from './sessions.service';

type Reply<K extends ShardOp> = ShardCommands[K]['reply'];

/** The request's context with the writer's lock token, if it sent one. */
const withLock = (meta: RpcMeta, lockToken: string | undefined): RpcMeta & { lockToken?: string } => (lockToken === undefined ? meta : { ...meta, lockToken });

/**
 * The session and variable ops on the node's subject, framework-free: each checks its request
 * against the contract schema, runs it through {@link SessionsService} and shapes the reply.
 * Writes also check the request's ids, which their events carry into Postgres.
 */
export class SessionOps {
  constructor(private readonly sessions: SessionsService) {}

  async create(raw: unknown, meta: RpcMeta): Promise<Reply<'session.create'>> {
    checkMeta(meta);
    const r = shardRequests['session.create'].parse(raw);
    const state = await this.sessions.execute(
      r.sessionId,
      {
        kind: 'create',
        sessionId: r.sessionId,
        shard: -1,
        userId: r.userId,
        groups: r.groups,
        idleTimeoutMs: r.idleTimeoutMs,
        absoluteTimeoutMs: r.absoluteTimeoutMs,
      },
      meta,
    );
    return this.sessions.view(state, await this.sessions.epochOf(r.sessionId));
  }

  async get(raw: unknown): Promise<Reply<'session.get'>> {
    const r = shardRequests['session.get'].parse(raw);
    return this.sessions.read(r.sessionId, r.groups);
  }

  async end(raw: unknown, meta: RpcMeta): Promise<Reply<'session.end'>> {
    checkMeta(meta);
    const r = shardRequests['session.end'].parse(raw);
    const state = await this.sessions.execute(r.sessionId, { kind: 'end', reason: 'client' }, withLock(meta, r.lockToken));
    return { version: state.version };
  }

  async varGet(raw: unknown): Promise<Reply<'var.get'>> {
    const { sessionId, group, name } = shardRequests['var.get'].parse(raw);
    const view = await this.sessions.read(sessionId, [group]);
    const value = variableOf(view.groups, group, name);
    if (value === undefined) throw new ForesightError(ErrorCodes.VARIABLE_NOT_FOUND, `Variable ${group}/${name} is not set in this session.`);
    return { value, version: view.version };
  }

  async varPut(raw: unknown, meta: RpcMeta): Promise<Reply<'var.put'>> {
    checkMeta(meta);
    const r = shardRequests['var.put'].parse(raw);
    const state = await this.sessions.execute(
      r.sessionId,
      { kind: 'put', group: r.group, name: r.name, value: r.value, expectedVersion: r.expectedVersion },
      withLock(meta, r.lockToken),
    );
    return { version: state.version };
  }

  async varPatch(raw: unknown, meta: RpcMeta): Promise<Reply<'var.patch'>> {
    checkMeta(meta);
    const r = shardRequests['var.patch'].parse(raw);
    const state = await this.sessions.execute(
      r.sessionId,
      { kind: 'patch', group: r.group, name: r.name, patch: r.patch, expectedVersion: r.expectedVersion },
      withLock(meta, r.lockToken),
    );
    const value = variableOf(state.groups, r.group, r.name);
    return { value: isJsonValue(value) ? value : null, version: state.version };
  }

  async varDelete(raw: unknown, meta: RpcMeta): Promise<Reply<'var.delete'>> {
    checkMeta(meta);
    const r = shardRequests['var.delete'].parse(raw);
    const state = await this.sessions.execute(
      r.sessionId,
      { kind: 'delete', group: r.group, name: r.name, expectedVersion: r.expectedVersion },
      withLock(meta, r.lockToken),
    );
    return { version: state.version };
  }

  /** Records an action; once committed, `action.recorded` lets the predictive cache plan prefetches. */
  async recordAction(raw: unknown, meta: RpcMeta): Promise<Reply<'session.record_action'>> {
    checkMeta(meta);
    const { sessionId, action, lockToken } = shardRequests['session.record_action'].parse(raw);
    const state = await this.sessions.execute(sessionId, { kind: 'record_action', action }, withLock(meta, lockToken));
    return { version: state.version };
  }

  /** Activity an edge reports for sessions it served from its cache. */
  async touch(raw: unknown): Promise<Reply<'sessions.touch'>> {
    return { touched: this.sessions.touchMany(shardRequests['sessions.touch'].parse(raw).sessionIds) };
  }
}
