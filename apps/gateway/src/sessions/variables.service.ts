import { Inject, Injectable } from '@nestjs/common';
import { ErrorCodes, ForesightError, isWellFormedJson, unstorableTextMessage, type JsonValue, type ShardCommands } from '@foresight/contracts';
import type { ForesightConfig } from '@foresight/config';
import { CONFIG } from '@foresight/platform';
import { isIssuedSessionId } from '@foresight/session-domain';
import { EdgeCacheService } from '../edge-cache/edge-cache.service';
import { ShardClient, type CallContext } from '../routing/shard-client.service';

type Reply<K extends keyof ShardCommands> = ShardCommands[K]['reply'];

function object(body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ForesightError(ErrorCodes.VALIDATION, 'The request body must be a JSON object.');
  }
  return body as Record<string, unknown>;
}

/** One variable's reads and writes: the edge cache in front, the owner node behind (used by the controller and the fast lane). */
@Injectable()
export class VariablesService {
  constructor(
    private readonly shards: ShardClient,
    private readonly l1: EdgeCacheService,
    @Inject(CONFIG) private readonly config: ForesightConfig,
  ) {}

  /** Rejects ids the cluster did not issue, before any routing. */
  checkId(sessionId: string): string {
    if (!isIssuedSessionId(sessionId, this.config.session.idSecret)) {
      throw new ForesightError(ErrorCodes.SESSION_NOT_FOUND, 'No such session: the id was not issued by this cluster.');
    }
    return sessionId;
  }

  async get(id: string, group: string, name: string, consistent: boolean, ctx: CallContext): Promise<Reply<'var.get'>> {
    if (!consistent) {
      // Only ids the owner accepted are ever cached, so a hit needs no id check.
      const hit = this.l1.get(id, group, name);
      if (hit) return hit;
    }
    const r = await this.shards.call(this.checkId(id), 'var.get', { sessionId: id, group, name }, ctx);
    this.l1.fill(id, group, name, r.value, r.version);
    return r;
  }

  async put(id: string, group: string, name: string, rawBody: unknown, ctx: CallContext): Promise<Reply<'var.put'>> {
    const body = object(rawBody);
    if (!('value' in body)) throw new ForesightError(ErrorCodes.VALIDATION, 'The body must be {"value": <any JSON>}.');
    const value = body.value as JsonValue;
    // MessagePack would replace an unpaired surrogate before the owner sees it: the stored value
    // would differ from the one acknowledged (and cached here).
    if (!isWellFormedJson(value)) throw new ForesightError(ErrorCodes.VALIDATION, unstorableTextMessage('value'));
    const r = await this.shards.call(this.checkId(id), 'var.put', { sessionId: id, group, name, value, expectedVersion: body.expectedVersion as number | undefined }, ctx);
    this.l1.wrote(id, group, name, value, r.version);
    return r;
  }

  async patch(id: string, group: string, name: string, rawBody: unknown, ctx: CallContext): Promise<Reply<'var.patch'>> {
    const body = object(rawBody);
    if (!('patch' in body)) throw new ForesightError(ErrorCodes.VALIDATION, 'The body must be {"patch": <JSON merge patch>}.');
    if (!isWellFormedJson(body.patch as JsonValue)) throw new ForesightError(ErrorCodes.VALIDATION, unstorableTextMessage('patch'));
    const r = await this.shards.call(
      this.checkId(id),
      'var.patch',
      { sessionId: id, group, name, patch: body.patch as JsonValue, expectedVersion: body.expectedVersion as number | undefined },
      ctx,
    );
    this.l1.wrote(id, group, name, r.value, r.version);
    return r;
  }

  async delete(id: string, group: string, name: string, ctx: CallContext): Promise<Reply<'var.delete'>> {
    const r = await this.shards.call(this.checkId(id), 'var.delete', { sessionId: id, group, name }, ctx);
    this.l1.wrote(id, group, name, undefined, r.version);
    return r;
  }
}
