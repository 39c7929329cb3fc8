import { Injectable } from '@nestjs/common';
import { isValidKey, MAX_KEY_LENGTH } from '@foresight/cache-core';
import { ErrorCodes, ForesightError, type ShardCommands } from '@foresight/contracts';
import type { RpcHandler } from '@foresight/messaging';
import { body, str } from '../sessions/command-validation';
import { SessionsService } from '../sessions/sessions.service';
import { CacheNodeService } from './cache-node.service';

type Reply<K extends keyof ShardCommands> = ShardCommands[K]['reply'];
type CacheOp = 'data.get' | 'data.prefetch' | 'data.stats' | 'cache.stats';

const ACTION = /^[A-Za-z0-9_.:/-]{1,128}$/;

/** A data key from a request, or REQUEST.INVALID. */
export function keyArg(b: Record<string, unknown>): string {
  const key = b.key;
  if (!isValidKey(key)) throw new ForesightError(ErrorCodes.VALIDATION, `"key" must be 1-${MAX_KEY_LENGTH} visible ASCII characters without spaces or "*".`);
  return key;
}

/** Context values that fill key templates (`cart:{userId}`): a flat map of short strings or numbers. */
export function contextArg(b: Record<string, unknown>): Record<string, string | number> {
  const c = b.context;
  if (c === undefined || c === null) return {};
  if (typeof c !== 'object' || Array.isArray(c) || Object.keys(c).length > 32) throw new ForesightError(ErrorCodes.VALIDATION, '"context" must be a map of at most 32 names to strings or numbers.');
  for (const [k, v] of Object.entries(c as Record<string, unknown>)) {
    const ok = /^[A-Za-z0-9_.]{1,64}$/.test(k) && ((typeof v === 'string' && v.length <= 256) || (typeof v === 'number' && Number.isFinite(v)));
    if (!ok) throw new ForesightError(ErrorCodes.VALIDATION, `"context.${k.slice(0, 64)}" must be a string of at most 256 characters or a number.`);
  }
  return c as Record<string, string | number>;
}

/** The predictive cache's ops on the node's RPC subject (P9). */
@Injectable()
export class CacheRpc {
  constructor(
    private readonly cache: CacheNodeService,
    private readonly sessions: SessionsService,
  ) {}

  handlers(): Record<CacheOp, RpcHandler> {
    return {
      'data.get': (r) => this.get(r),
      'data.prefetch': (r) => this.prefetch(r),
      'data.stats': (r) => this.stats(r),
      'cache.stats': async (): Promise<Reply<'cache.stats'>> => this.cache.nodeStats(),
    };
  }

  private async get(raw: unknown): Promise<Reply<'data.get'>> {
    const b = body(raw);
    const sessionId = str(b, 'sessionId', 64);
    const key = keyArg(b);
    // The session must be live and owned here; reading data is activity (extends its idle timeout).
    const view = await this.sessions.read(sessionId, []);
    return this.cache.get(sessionId, key, view.userId ? { userId: view.userId } : {});
  }

  private async prefetch(raw: unknown): Promise<Reply<'data.prefetch'>> {
    const b = body(raw);
    const sessionId = str(b, 'sessionId', 64);
    const action = b.action;
    if (typeof action !== 'string' || !ACTION.test(action)) {
      throw new ForesightError(ErrorCodes.VALIDATION, '"action" must be 1–128 characters from letters, digits and _ . : / -.');
    }
    const context = contextArg(b);
    const view = await this.sessions.read(sessionId, []);
    const plan = this.cache.prefetch(sessionId, action, { ...(view.userId ? { userId: view.userId } : {}), ...context });
    return {
      action,
      planned: plan.planned.map((k) => ({ key: k.key, p: k.p })),
      queued: [...plan.queued],
      skipped: plan.skipped.map((s) => ({ template: s.template, reason: `${s.reason}: ${s.detail}` })),
    };
  }

  private async stats(raw: unknown): Promise<Reply<'data.stats'>> {
    const sessionId = str(body(raw), 'sessionId', 64);
    await this.sessions.read(sessionId, []);
    return this.cache.sessionStats(sessionId);
  }
}
