import type { ShardCommands } from '@foresight/contracts';
import { shardRequests } from '../shard-requests';
import type { CacheNodeService } from './cache-node.service';

type Reply<K extends keyof ShardCommands> = ShardCommands[K]['reply'];

/**
 * What the cache's ops need of the sessions feature: the session is live and owned here (else the
 * sessions feature's error, e.g. `SHARD.NOT_OWNER`), and reading it counts as activity.
 */
export interface LiveSessions {
  read(sessionId: string, groups: readonly string[]): Promise<{ readonly userId: string | null }>;
  /** Live sessions held in memory (reported with the node's cache counters). */
  readonly inMemory: number;
}

/** The predictive cache's ops on the node's subject: `data.get|prefetch|stats`, `cache.stats`. */
export class CacheOps {
  constructor(
    private readonly cache: CacheNodeService,
    private readonly sessions: LiveSessions,
  ) {}

  /** getWithPrediction for a session live here; reading data is activity (extends its idle timeout). */
  async get(raw: unknown): Promise<Reply<'data.get'>> {
    const { sessionId, key } = shardRequests['data.get'].parse(raw);
    const view = await this.sessions.read(sessionId, []);
    return this.cache.get(sessionId, key, view.userId ? { userId: view.userId } : {});
  }

  async prefetch(raw: unknown): Promise<Reply<'data.prefetch'>> {
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

  async sessionStats(raw: unknown): Promise<Reply<'data.stats'>> {
    const { sessionId } = shardRequests['data.stats'].parse(raw);
    await this.sessions.read(sessionId, []);
    return this.cache.sessionStats(sessionId);
  }

  nodeStats(): Reply<'cache.stats'> {
    return { ...this.cache.nodeStats(), sessionsInMemory: this.sessions.inMemory };
  }
}
