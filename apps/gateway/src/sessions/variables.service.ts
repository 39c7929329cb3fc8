import { PatchVariableBody, PutVariableBody, Validator, type ShardCommands } from '@foresight/contracts';
import type { ForesightConfig } from '@foresight/config';
import { checkIssuedId } from '@foresight/session-domain';
import { IssuedIds } from '../common/issued-ids';
import type { EdgeCacheService } from '../edge-cache/edge-cache.service';
import type { CallContext, ShardClient } from '../routing/shard-client.service';

type Reply<K extends keyof ShardCommands> = ShardCommands[K]['reply'];

/** The write's lock token for the owner, when the caller sent one. */
const lock = (ctx: CallContext): { lockToken?: string } => (ctx.lockToken !== undefined ? { lockToken: ctx.lockToken } : {});

// Checked here, not only by the owner: MessagePack would replace an unpaired surrogate before the
// owner sees it, and the value acknowledged (and cached here) would differ from the one stored.
const putBodies = new Validator(PutVariableBody, 'The request body');
const patchBodies = new Validator(PatchVariableBody, 'The request body');

export interface VariablesDeps {
  readonly shards: ShardClient;
  readonly l1: EdgeCacheService;
  readonly config: ForesightConfig;
  /** Ids found issued (default: checked with the config's secret, remembered). */
  readonly issuedIds?: IssuedIds;
}

/** One variable's reads and writes: the edge cache in front, the owner node behind (used by the controller and the fast lane). */
export class VariablesService {
  private readonly shards: ShardClient;
  private readonly l1: EdgeCacheService;
  private readonly config: ForesightConfig;
  private readonly issuedIds: IssuedIds;

  constructor(deps: VariablesDeps) {
    this.shards = deps.shards;
    this.l1 = deps.l1;
    this.config = deps.config;
    this.issuedIds = deps.issuedIds ?? IssuedIds.forSecret(deps.config.session.idSecret);
  }

  /** Rejects ids the cluster did not issue, before any routing. */
  checkId(sessionId: string): string {
    return this.issuedIds.has(sessionId) ? sessionId : checkIssuedId(sessionId, this.config.session.idSecret);
  }

  async get(id: string, group: string, name: string, consistent: boolean, ctx: CallContext): Promise<Reply<'var.get'>> {
    return (consistent ? undefined : this.cached(id, group, name)) ?? this.fetch(id, group, name, ctx);
  }

  /** The variable from the edge cache, or undefined. Only ids the owner accepted are ever cached, so a hit needs no id check. */
  cached(id: string, group: string, name: string): Reply<'var.get'> | undefined {
    return this.l1.get(id, group, name);
  }

  /** The variable from its owner (a consistent read), remembered in the edge cache. */
  async fetch(id: string, group: string, name: string, ctx: CallContext): Promise<Reply<'var.get'>> {
    const r = await this.shards.call(this.checkId(id), 'var.get', { sessionId: id, group, name }, ctx);
    this.l1.fill(id, group, name, r.value, r.version);
    return r;
  }

  async put(id: string, group: string, name: string, rawBody: unknown, ctx: CallContext): Promise<Reply<'var.put'>> {
    const { value, expectedVersion } = putBodies.parse(rawBody);
    const r = await this.shards.call(this.checkId(id), 'var.put', { sessionId: id, group, name, value, expectedVersion, ...lock(ctx) }, ctx);
    this.l1.wrote(id, group, name, value, r.version);
    return r;
  }

  async patch(id: string, group: string, name: string, rawBody: unknown, ctx: CallContext): Promise<Reply<'var.patch'>> {
    const { patch, expectedVersion } = patchBodies.parse(rawBody);
    const r = await this.shards.call(this.checkId(id), 'var.patch', { sessionId: id, group, name, patch, expectedVersion, ...lock(ctx) }, ctx);
    this.l1.wrote(id, group, name, r.value, r.version);
    return r;
  }

  async delete(id: string, group: string, name: string, ctx: CallContext): Promise<Reply<'var.delete'>> {
    const r = await this.shards.call(this.checkId(id), 'var.delete', { sessionId: id, group, name, ...lock(ctx) }, ctx);
    this.l1.wrote(id, group, name, undefined, r.version);
    return r;
  }
}
