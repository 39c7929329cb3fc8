import { Injectable } from '@nestjs/common';
import type { ShardCommands } from '@foresight/contracts';
import type { RpcHandler } from '@foresight/messaging';
import { shardRequests } from '../sessions/shard-requests';
import { SessionsService } from '../sessions/sessions.service';
import { CacheNodeService } from './cache-node.service';

type Reply<K extends keyof ShardCommands> = ShardCommands[K]['reply'];
type CacheOp = 'data.get' | 'data.prefetch' | 'data.stats' | 'cache.stats';

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
    const { sessionId, key } = shardRequests['data.get'].parse(raw);
    // The session must be live and owned here; reading data is activity (extends its idle timeout).
    const view = await this.sessions.read(sessionId, []);
    return this.cache.get(sessionId, key, view.userId ? { userId: view.userId } : {});
  }

  private async prefetch(raw: unknown): Promise<Reply<'data.prefetch'>> {
    const { sessionId, action, context } = shardRequests['data.prefetch'].parse(raw);
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
    const { sessionId } = shardRequests['data.stats'].parse(raw);
    await this.sessions.read(sessionId, []);
    return this.cache.sessionStats(sessionId);
  }
}
