import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { ErrorCodes, ForesightError, subjects, type AssignmentView, type Subjects } from '@foresight/contracts';
import type { ForesightConfig } from '@foresight/config';
import { shardOf } from '@foresight/hashing';
import { callRpc, decode } from '@foresight/messaging';
import type { Logger } from '@foresight/observability';
import { CONFIG, LOGGER, NATS } from '@foresight/platform';
import type { NatsConnection, Subscription } from 'nats';

export interface Route {
  readonly shard: number;
  readonly nodeId: string;
  readonly rpcSubject: string;
  readonly epoch: number;
}

/**
 * The gateway's copy of the shard → node table, so routing costs no round trip (S5). It is
 * refreshed on the metadata service's change notice, on a timer, and whenever a node answers
 * "not the owner".
 */
@Injectable()
export class OwnerDirectory implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly subjects: Subjects;
  private view: AssignmentView | null = null;
  private subjectsByNode = new Map<string, string>();
  private refreshing: Promise<void> | null = null;
  private sub: Subscription | null = null;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    @Inject(NATS) private readonly nc: NatsConnection,
    @Inject(CONFIG) private readonly config: ForesightConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.subjects = subjects(config.nats.namespace);
  }

  onApplicationBootstrap(): void {
    this.sub = this.nc.subscribe(this.subjects.assignmentChanged, {
      callback: (_e, msg) => {
        try {
          if (decode<{ version: number }>(msg.data).version !== this.view?.version) void this.refresh();
        } catch {
          /* ignore malformed notices */
        }
      },
    });
    const poll = () => {
      this.timer = setTimeout(() => void this.refresh().catch(() => undefined).finally(poll), 5000);
    };
    void this.refresh().catch((error: unknown) => this.logger.warn({ err: error }, 'metadata not reachable yet; will retry'));
    poll();
  }

  onModuleDestroy(): void {
    this.sub?.unsubscribe();
    if (this.timer) clearTimeout(this.timer);
  }

  get assignment(): AssignmentView | null {
    return this.view;
  }

  /** Where a session lives now, from the local table (refreshing it first if it is empty). */
  async route(sessionId: string): Promise<Route> {
    if (!this.view) await this.refresh();
    const shard = shardOf(sessionId, this.config.cluster.shardCount);
    const owner = this.view?.shards[shard];
    const rpcSubject = owner?.nodeId ? this.subjectsByNode.get(owner.nodeId) : undefined;
    if (!owner?.nodeId || !rpcSubject) {
      throw new ForesightError(ErrorCodes.NO_OWNER, `Shard ${shard} has no live owner right now; retry shortly.`, { shard });
    }
    return { shard, nodeId: owner.nodeId, rpcSubject, epoch: owner.epoch };
  }

  /** Re-reads the table (concurrent callers share one request). */
  refresh(): Promise<void> {
    this.refreshing ??= callRpc<AssignmentView>(this.nc, this.subjects.metadataRpc('assignment'), 'assignment', {}, { timeoutMs: this.config.nats.requestTimeoutMs })
      .then((view) => {
        if (view.shardCount !== this.config.cluster.shardCount) {
          this.logger.error({ theirs: view.shardCount, ours: this.config.cluster.shardCount }, 'SHARD_COUNT differs from the metadata service');
        }
        this.view = view;
        this.subjectsByNode = new Map(view.nodes.map((n) => [n.nodeId, n.rpcSubject]));
      })
      .finally(() => {
        this.refreshing = null;
      });
    return this.refreshing;
  }
}
