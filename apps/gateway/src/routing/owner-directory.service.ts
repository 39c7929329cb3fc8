import { ErrorCodes, ForesightError, subjects, type AssignmentView, type Subjects } from '@foresight/contracts';
import type { ForesightConfig } from '@foresight/config';
import { shardOf } from '@foresight/hashing';
import { CoalescedRefresh, callRpc, decode } from '@foresight/messaging';
import { counter, type Logger } from '@foresight/observability';
import type { NatsConnection, Subscription } from 'nats';
import type { Registry } from 'prom-client';

export interface Route {
  readonly shard: number;
  readonly nodeId: string;
  readonly rpcSubject: string;
  readonly epoch: number;
}

export interface OwnerDirectoryDeps {
  readonly nc: NatsConnection;
  readonly config: ForesightConfig;
  readonly logger: Logger;
  readonly metrics: Registry;
}

/**
 * The gateway's copy of the shard → node table, so routing costs no round trip. It is
 * refreshed on the metadata service's change notice, on a timer, and whenever a node answers
 * "not the owner" — coalesced, so a flood of notices costs a refresh or two, not one each.
 */
export class OwnerDirectory {
  private readonly subjects: Subjects;
  private view: AssignmentView | null = null;
  private subjectsByNode = new Map<string, string>();
  /** Callers waiting for a shard to change hands (see {@link waitForMove}). */
  private readonly moveWaiters = new Set<{ readonly moved: () => boolean; readonly resolve: () => void }>();
  private readonly refresher: CoalescedRefresh;
  private readonly notices;
  private sub: Subscription | null = null;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private readonly nc: NatsConnection;
  private readonly config: ForesightConfig;
  private readonly logger: Logger;

  constructor(deps: OwnerDirectoryDeps) {
    const { config, metrics: registry } = deps;
    this.nc = deps.nc;
    this.config = config;
    this.logger = deps.logger;
    this.subjects = subjects(config.nats.namespace);
    const refreshes = counter(registry, 'foresight_gateway_assignment_refreshes_total', 'Reads of the shard → node table from the metadata service');
    this.notices = counter(registry, 'foresight_gateway_assignment_notices_total', 'Assignment change notices received, by whether they asked for a refresh', [
      'outcome',
    ]);
    this.refresher = new CoalescedRefresh(
      () => this.load(),
      () => refreshes.inc(),
    );
  }

  /** Follows the change notices, reads the table now and every 5 s. */
  start(): void {
    this.sub = this.nc.subscribe(this.subjects.assignmentChanged, {
      callback: (_e, msg) => {
        let version: unknown;
        try {
          version = decode<{ version?: unknown }>(msg.data)?.version;
        } catch {
          /* a malformed notice is ignored like a stale one */
        }
        this.notices.inc({ outcome: this.refresher.notice(version) ? 'refresh' : 'ignored' });
      },
    });
    this.stopped = false;
    const poll = () => {
      // A refresh in flight at stop() ends after it: it must not arm the next one.
      if (this.stopped) return;
      this.timer = setTimeout(
        () =>
          void this.refresh()
            .catch(() => undefined)
            .finally(poll),
        5000,
      );
    };
    void this.refresh().catch((error: unknown) => this.logger.warn({ err: error }, 'metadata not reachable yet; will retry'));
    poll();
  }

  stop(): void {
    this.stopped = true;
    this.sub?.unsubscribe();
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
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

  /**
   * True when the table no longer routes `route`'s shard to the same node under the same epoch (or,
   * with no route, when its version passed `sinceVersion`).
   */
  private hasMoved(route: Route | null, sinceVersion: number): boolean {
    if (!this.view) return false;
    if (!route) return this.view.version > sinceVersion;
    const now = this.view.shards[route.shard];
    return now?.nodeId !== route.nodeId || now.epoch !== route.epoch;
  }

  /** The version of the table held now (-1 before the first read). */
  get version(): number {
    return this.view?.version ?? -1;
  }

  /**
   * Resolves once the table routes `route`'s shard elsewhere (see {@link hasMoved}), after `timeoutMs`
   * if given, or when `signal` aborts — whichever comes first. Never rejects.
   */
  waitForMove(route: Route | null, sinceVersion: number, timeoutMs: number | undefined, signal?: AbortSignal): Promise<void> {
    if (this.hasMoved(route, sinceVersion) || signal?.aborted) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const waiter = {
        moved: () => this.hasMoved(route, sinceVersion),
        resolve: () => {
          this.moveWaiters.delete(waiter);
          if (timer) clearTimeout(timer);
          signal?.removeEventListener('abort', waiter.resolve);
          resolve();
        },
      };
      const timer = timeoutMs === undefined ? null : setTimeout(waiter.resolve, timeoutMs);
      signal?.addEventListener('abort', waiter.resolve, { once: true });
      this.moveWaiters.add(waiter);
    });
  }

  /**
   * {@link waitForMove} without a timeout or a signal, for the length of one attempt: `moved`
   * resolves once the table routes `route`'s shard elsewhere, or when `stop()` ends the watch. No
   * AbortController per attempt (aborting one builds a DOMException with its stack).
   */
  watchMove(route: Route, sinceVersion: number): { readonly moved: Promise<void>; stop(): void } {
    if (this.hasMoved(route, sinceVersion)) return { moved: Promise.resolve(), stop: () => undefined };
    let settle: () => void = () => undefined;
    const moved = new Promise<void>((resolve) => (settle = resolve));
    const waiter = {
      moved: () => this.hasMoved(route, sinceVersion),
      resolve: () => {
        this.moveWaiters.delete(waiter);
        settle();
      },
    };
    this.moveWaiters.add(waiter);
    return { moved, stop: waiter.resolve };
  }

  /** Re-reads the table: now, or right after the read already running (concurrent callers share it). */
  refresh(): Promise<void> {
    return this.refresher.refresh();
  }

  private async load(): Promise<number> {
    const view = await callRpc<AssignmentView>(
      this.nc,
      this.subjects.metadataRpc('assignment'),
      'assignment',
      {},
      { timeoutMs: this.config.nats.requestTimeoutMs },
    );
    if (view.shardCount !== this.config.cluster.shardCount) {
      this.logger.error({ theirs: view.shardCount, ours: this.config.cluster.shardCount }, 'SHARD_COUNT differs from the metadata service');
    }
    this.view = view;
    this.subjectsByNode = new Map(view.nodes.map((n) => [n.nodeId, n.rpcSubject]));
    for (const waiter of [...this.moveWaiters]) if (waiter.moved()) waiter.resolve();
    return view.version;
  }
}
