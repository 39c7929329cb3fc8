import { plainRendezvous } from '@foresight/affinity-core';
import { affinitySubjects, envelopeProblem, type AffinityEvent, type AgentReportBody, type EdgeView, type RouteCommand } from '@foresight/contracts';
import { tryDecode } from '@foresight/messaging';
import type { Logger } from '@foresight/observability';
import type { Clock } from '@foresight/time';
import type { NatsConnection, Subscription } from 'nats';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { AffinityClient } from './affinity-client';

export interface AffinityViewOptions {
  readonly namespace: string;
  readonly edgeId: string;
  readonly url: string;
  /** How long a cached record is trusted without an event about it. */
  readonly cacheTtlMs: number;
  /** How often the registry is re-read (events keep it current in between). */
  readonly refreshMs: number;
  readonly maxSessions: number;
}

interface CachedRecord {
  readonly edgeId: string;
  readonly recordVersion: number;
  readonly at: number;
}

/** Where a preferred edge came from: the affinity service's record, or this edge's own fallback. */
export type PreferenceSource = 'record' | 'fallback';

/**
 * This edge's cached view of the affinity service: the edges (url, zone, health) and recent
 * sessions' records, kept current by the affinity events and refreshed on a miss. Answers "which
 * edge does this session prefer" without a round trip: from the cached record while its edge is
 * healthy, otherwise from rendezvous over the healthy edges it knows (or itself), while it asks the
 * affinity service in the background. If the affinity service is down, requests are still answered
 * from the last view (degraded), never refused.
 */
export class AffinityView {
  private edges = new Map<string, EdgeView>();
  private readonly records = new Map<string, CachedRecord>();
  private readonly inFlight = new Set<string>();
  /**
   * The user of each session created here until the affinity service has a record of it: a route
   * asked later (the one at creation failed or was skipped) still names the user, so hashing by user
   * does not fall back to the session id.
   */
  private readonly pendingUsers = new Map<string, string>();
  private sub: Subscription | null = null;
  private timer: NodeJS.Timeout | null = null;
  private lastFailureAt = -Infinity;
  /** As the affinity service last said: place a user's sessions by user id. */
  private hashByUser = false;
  private readonly degraded: Gauge<string>;
  /** The answers counter's two children, bound once (no label hashing per answer). */
  private readonly answered: Readonly<Record<PreferenceSource, { inc(): void }>>;

  constructor(
    private readonly nc: NatsConnection,
    private readonly client: AffinityClient,
    private readonly o: AffinityViewOptions,
    private readonly clock: Clock,
    private readonly logger: Logger,
    metrics: Registry,
  ) {
    this.degraded = new Gauge({
      name: 'foresight_edge_affinity_degraded',
      help: '1 while the affinity service does not answer this edge (it routes on its cached view)',
      registers: [metrics],
    });
    const answers = new Counter({
      name: 'foresight_edge_preferred_total',
      help: 'Preferred-edge answers, by source (record or local fallback)',
      labelNames: ['source'],
      registers: [metrics],
    });
    this.answered = { record: answers.labels('record'), fallback: answers.labels('fallback') };
  }

  start(): void {
    this.sub = this.nc.subscribe(affinitySubjects(this.o.namespace).affinityEventsWildcard, { callback: (_e, msg) => this.apply(tryDecode(msg.data)) });
    void this.refresh();
    this.timer = setInterval(() => void this.refresh(), this.o.refreshMs);
    this.timer.unref();
  }

  stop(): void {
    this.sub?.unsubscribe();
    if (this.timer) clearInterval(this.timer);
  }

  /** The edges as last seen. */
  list(): EdgeView[] {
    return [...this.edges.values()];
  }

  get isDegraded(): boolean {
    return this.clock.now() - this.lastFailureAt < this.o.refreshMs * 2;
  }

  /**
   * The URL of the edge the session prefers, answered at once. A missing or stale record is asked
   * for in the background (one request per session at a time, none for a second after a failure).
   */
  preferredEdge(sessionId: string, given: Omit<RouteCommand, 'sessionId'> = {}): { url: string; source: PreferenceSource } {
    const now = this.clock.now();
    const hints = this.withUser(sessionId, given);
    const cached = this.records.get(sessionId);
    const edge = cached && this.edges.get(cached.edgeId);
    if (cached && edge?.healthy) {
      if (now - cached.at > this.o.cacheTtlMs) this.ask(sessionId, hints);
      this.answered.record.inc();
      return { url: edge.url, source: 'record' };
    }
    this.ask(sessionId, hints);
    this.answered.fallback.inc();
    // Keyed as the affinity service keys its placement, so a user's new sessions agree before their records arrive.
    const key = this.hashByUser && hints.userId !== undefined ? `user:${hints.userId}` : sessionId;
    return { url: this.fallback(key), source: 'fallback' };
  }

  /** Forwards an agent's report to the affinity service (weights follow it); a failure only counts as degraded. */
  forwardReport(report: AgentReportBody): void {
    if (this.clock.now() - this.lastFailureAt < 1000) return;
    this.client.call('report', { viaEdgeId: this.o.edgeId, report }).catch((error: unknown) => this.failed(error, 'report'));
  }

  /** Applies one affinity event (anything unreadable is ignored: the cache expires on its own). */
  apply(raw: unknown): void {
    if (envelopeProblem(raw) !== undefined) return;
    const event = raw as AffinityEvent;
    if (event.type === 'affinity.session_routed' && event.version === 1) {
      const d = event.data as Partial<AffinityEvent['data']> & { edgeId?: unknown; recordVersion?: unknown };
      if (typeof d.edgeId !== 'string' || typeof d.recordVersion !== 'number') return;
      const prev = this.records.get(event.sessionId);
      if (prev && prev.recordVersion > d.recordVersion) return;
      this.remember(event.sessionId, d.edgeId, d.recordVersion);
    } else if (event.type === 'affinity.edge_changed' && event.version === 1) {
      const d = event.data as { edgeId?: unknown; url?: unknown; zone?: unknown; status?: unknown };
      if (typeof d.edgeId !== 'string' || typeof d.url !== 'string' || typeof d.zone !== 'string') return;
      const prev = this.edges.get(d.edgeId);
      this.edges.set(d.edgeId, { edgeId: d.edgeId, url: d.url, zone: d.zone, healthy: d.status === 'up', sessions: prev?.sessions ?? 0 });
    }
  }

  /** Re-reads the registry from the affinity service. */
  async refresh(): Promise<void> {
    try {
      const view = await this.client.call('view', {});
      this.edges = new Map(view.edges.map((e) => [e.edgeId, e]));
      this.hashByUser = view.hashByUser;
      this.degraded.set(0);
    } catch (error) {
      this.failed(error, 'view');
    }
  }

  /** Rendezvous of the key (session, or user) over the healthy edges known, else this edge. */
  private fallback(key: string): string {
    const healthy = [...this.edges.values()].filter((e) => e.healthy);
    const chosen = plainRendezvous(
      key,
      healthy.map((e) => e.edgeId),
    );
    return (chosen !== undefined ? this.edges.get(chosen)?.url : undefined) ?? this.o.url;
  }

  private withUser(sessionId: string, hints: Omit<RouteCommand, 'sessionId'>): Omit<RouteCommand, 'sessionId'> {
    if (hints.userId !== undefined) {
      if (!this.records.has(sessionId)) {
        this.pendingUsers.set(sessionId, hints.userId);
        while (this.pendingUsers.size > this.o.maxSessions) this.pendingUsers.delete(this.pendingUsers.keys().next().value!);
      }
      return hints;
    }
    const userId = this.pendingUsers.get(sessionId);
    return userId === undefined ? hints : { ...hints, userId };
  }

  private ask(sessionId: string, hints: Omit<RouteCommand, 'sessionId'>): void {
    if (this.inFlight.has(sessionId) || this.clock.now() - this.lastFailureAt < 1000) return;
    this.inFlight.add(sessionId);
    this.client
      .call('route', { ...hints, sessionId, viaEdgeId: this.o.edgeId })
      .then((r) => {
        const prev = this.records.get(sessionId);
        if (!prev || prev.recordVersion <= r.recordVersion) this.remember(sessionId, r.edgeId, r.recordVersion);
        if (r.url && !this.edges.has(r.edgeId)) void this.refresh();
        this.degraded.set(0);
      })
      .catch((error: unknown) => this.failed(error, 'route'))
      .finally(() => this.inFlight.delete(sessionId));
  }

  private remember(sessionId: string, edgeId: string, recordVersion: number): void {
    this.pendingUsers.delete(sessionId);
    this.records.delete(sessionId);
    this.records.set(sessionId, { edgeId, recordVersion, at: this.clock.now() });
    while (this.records.size > this.o.maxSessions) this.records.delete(this.records.keys().next().value!);
  }

  private failed(error: unknown, op: string): void {
    this.lastFailureAt = this.clock.now();
    this.degraded.set(1);
    this.logger.debug({ err: error, op }, 'affinity service did not answer; routing on the cached view');
  }
}
