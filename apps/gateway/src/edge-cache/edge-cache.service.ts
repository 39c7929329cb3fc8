import { subjects, type JsonValue } from '@foresight/contracts';
import type { ForesightConfig } from '@foresight/config';
import { callRpc, decode } from '@foresight/messaging';
import { counter, gauge, type Logger } from '@foresight/observability';
import type { Clock } from '@foresight/time';
import type { NatsConnection, Subscription } from 'nats';
import type { Registry } from 'prom-client';
import type { OwnerDirectory } from '../routing/owner-directory.service';
import { L1Cache, type EdgeEvent } from './l1-cache';

export interface EdgeCacheDeps {
  readonly directory: OwnerDirectory;
  readonly nc: NatsConnection;
  readonly config: ForesightConfig;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly metrics: Registry;
}

/**
 * The gateway's L1: variables read recently, kept exact by the session events every owner
 * publishes after commit, bounded by a TTL. Reads it serves are reported to the owners in batches,
 * one request per owner per flush, so idle timeouts still see them.
 */
export class EdgeCacheService {
  private readonly cache: L1Cache;
  private readonly touched = new Set<string>();
  private sub: Subscription | null = null;
  private timer: NodeJS.Timeout | null = null;
  private readonly metrics;
  readonly enabled: boolean;
  private readonly directory: OwnerDirectory;
  private readonly nc: NatsConnection;
  private readonly config: ForesightConfig;
  private readonly logger: Logger;
  private readonly clock: Clock;

  constructor(deps: EdgeCacheDeps) {
    const { config, metrics: registry } = deps;
    this.directory = deps.directory;
    this.nc = deps.nc;
    this.config = config;
    this.logger = deps.logger;
    this.clock = deps.clock;
    this.enabled = config.gateway.l1TtlMs > 0;
    this.cache = new L1Cache(config.gateway.l1TtlMs, config.gateway.l1MaxSessions);
    const lookups = counter(registry, 'foresight_l1_lookups_total', 'Edge cache lookups', ['result']);
    this.metrics = {
      // Bound children: no label hashing on the hot path.
      hits: lookups.labels('hit'),
      misses: lookups.labels('miss'),
      size: gauge(registry, 'foresight_l1_sessions', 'Sessions in the edge cache'),
    };
  }

  /** Follows the session events (when enabled) and starts reporting served reads. */
  start(): void {
    if (!this.enabled) return;
    this.sub = this.nc.subscribe(subjects(this.config.nats.namespace).sessionEventsWildcard, {
      callback: (_err, msg) => {
        try {
          this.cache.apply(decode<EdgeEvent>(msg.data));
        } catch {
          // Not an event we can read: we cannot tell what it changed, so trust nothing cached.
          this.cache.clear();
        }
      },
    });
    void this.watchConnection();
    this.scheduleFlush();
  }

  /** Stops following, then reports the reads not reported yet. */
  async stop(): Promise<void> {
    this.sub?.unsubscribe();
    if (this.timer) clearTimeout(this.timer);
    await this.flushTouches();
  }

  get(sessionId: string, group: string, name: string): { value: JsonValue; version: number } | undefined {
    if (!this.enabled) return undefined;
    const hit = this.cache.get(sessionId, `${group}/${name}`, this.clock.now());
    if (hit) {
      this.metrics.hits.inc();
      this.touched.add(sessionId);
    } else {
      this.metrics.misses.inc();
    }
    return hit;
  }

  fill(sessionId: string, group: string, name: string, value: JsonValue, version: number): void {
    if (this.enabled) this.cache.fill(sessionId, `${group}/${name}`, value, version, this.clock.now());
  }

  wrote(sessionId: string, group: string, name: string, value: JsonValue | undefined, version: number): void {
    if (this.enabled) this.cache.wrote(sessionId, `${group}/${name}`, value, version);
  }

  drop(sessionId: string): void {
    this.cache.drop(sessionId);
  }

  /** Events missed while disconnected could leave entries stale: start over after any reconnect. */
  private async watchConnection(): Promise<void> {
    for await (const status of this.nc.status()) {
      if (status.type === 'disconnect' || status.type === 'reconnect') {
        this.cache.clear();
        this.logger.warn({ status: status.type }, 'NATS connection changed; edge cache cleared');
      }
    }
  }

  private scheduleFlush(): void {
    this.timer = setTimeout(() => void this.flushTouches().finally(() => this.scheduleFlush()), this.config.gateway.touchFlushMs);
  }

  private async flushTouches(): Promise<void> {
    this.metrics.size.set(this.cache.size);
    if (this.touched.size === 0) return;
    const ids = [...this.touched];
    this.touched.clear();
    const byNode = new Map<string, string[]>();
    for (const id of ids) {
      try {
        const route = await this.directory.route(id);
        const list = byNode.get(route.rpcSubject) ?? [];
        list.push(id);
        byNode.set(route.rpcSubject, list);
      } catch {
        /* no owner right now: the activity is lost, which at worst ends a session slightly early */
      }
    }
    await Promise.all(
      [...byNode].map(([subject, sessionIds]) =>
        callRpc(this.nc, subject, 'sessions.touch', { sessionIds }, { timeoutMs: this.config.nats.requestTimeoutMs }).catch((error: unknown) =>
          this.logger.warn({ err: error, subject, sessions: sessionIds.length }, 'could not report edge activity'),
        ),
      ),
    );
  }
}
