import type { ShardCommands, ShardOp } from '@foresight/contracts';
import type { RpcMeta } from '@foresight/messaging';
import { checkMeta, shardRequests } from '../shard-requests';
import type { LocksService } from './locks.service';

type Reply<K extends ShardOp> = ShardCommands[K]['reply'];

/** The lock ops on the node's subject, framework-free: each checks its request against the contract schema and runs it through {@link LocksService}. */
export class LockOps {
  constructor(private readonly locks: LocksService) {}

  async acquire(raw: unknown, meta: RpcMeta): Promise<Reply<'lock.acquire'>> {
    checkMeta(meta);
    const r = shardRequests['lock.acquire'].parse(raw);
    return this.locks.acquire(r.sessionId, r.mode, {
      ...(r.leaseMs !== undefined ? { leaseMs: r.leaseMs } : {}),
      ...(r.holder !== undefined ? { holder: r.holder } : {}),
      ...(meta.requestId !== undefined ? { requestId: meta.requestId } : {}),
    });
  }

  async release(raw: unknown): Promise<Reply<'lock.release'>> {
    const r = shardRequests['lock.release'].parse(raw);
    return this.locks.release(r.sessionId, r.token);
  }

  async status(raw: unknown): Promise<Reply<'lock.status'>> {
    return this.locks.status(shardRequests['lock.status'].parse(raw).sessionId);
  }

  async renew(raw: unknown): Promise<Reply<'locks.renew'>> {
    return { results: await this.locks.renewMany(shardRequests['locks.renew'].parse(raw).renewals) };
  }
}
