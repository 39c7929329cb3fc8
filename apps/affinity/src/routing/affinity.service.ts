import {
  alternativeCostMs,
  DEFAULT_PREDICTIVE,
  expectedRttMs,
  freshStickiness,
  initialWeight,
  observe,
  predictiveWeight,
  route,
  ruleWeight,
  type ClientHints,
  type EdgeState,
} from '@foresight/affinity-core';
import type { ForesightConfig } from '@foresight/config';
import {
  ErrorCodes,
  ForesightError,
  type AffinityRecord,
  type AffinityRouteReason,
  type AffinityViewReply,
  type AgentReportBody,
  type MessageContext,
  type RouteCommand,
} from '@foresight/contracts';
import type { Logger } from '@foresight/observability';
import type { Clock } from '@foresight/time';
import type { Counter } from 'prom-client';
import type { EdgeRow, EdgesRepository } from '../edges/edges.repository';
import type { AffinityRepository, AffinityRow } from './affinity.repository';
import type { AffinityEventsPublisher } from './affinity-events.publisher';
import { normaliseUrl, type EdgeStats } from './edge-stats';
import type { SessionUsers } from './session-users';

export interface AffinityServiceDeps {
  readonly edges: EdgesRepository;
  readonly records: AffinityRepository;
  readonly events: AffinityEventsPublisher;
  readonly stats: EdgeStats;
  /** The user of a session the route request does not name (placing by user); absent: none is looked up. */
  readonly users?: Pick<SessionUsers, 'of'>;
  readonly config: ForesightConfig['edges'];
  readonly clock: Clock;
  readonly logger: Logger;
  /** Routing decisions by reason. */
  readonly decisions?: Counter<string>;
}

/** Most sessions of one client a report updates. */
const MAX_SESSIONS_PER_REPORT = 64;
/** Most sessions of dead edges re-routed per sweep. */
const REROUTE_BATCH = 500;

/**
 * The Session Affinity Manager: the edge registry, each session's record (edge, weight, lease), the
 * weights (from client hints, then agent reports by the configured policy) and the routing
 * decisions (weighted rendezvous over edge scores). Plain class; the RPC controller and the sweeper adapt it.
 */
export class AffinityService {
  private edgeCache: { at: number; rows: EdgeRow[]; counts: Map<string, number> } | undefined;
  /** Until then an edge whose lease ran out is not declared dead (see {@link startGrace}). */
  private graceUntil = -Infinity;

  constructor(private readonly deps: AffinityServiceDeps) {}

  /**
   * Starts the start-up grace: for one EDGE_LEASE_MS no edge is declared dead, and an active edge
   * whose lease ran out still counts as healthy and may heartbeat. Leases that ran out while no
   * affinity instance was answering say nothing about the edges; a live edge heartbeats (or
   * re-registers) within the grace, and one that is really gone is declared dead at its end.
   */
  startGrace(): void {
    this.graceUntil = this.deps.clock.now() + this.deps.config.leaseMs;
  }

  private get inGrace(): boolean {
    return this.deps.clock.now() < this.graceUntil;
  }

  /** Active with a live lease, or with a lease that ran out during the start-up grace. */
  private isHealthy(e: EdgeRow): boolean {
    return e.status === 'active' || (e.status === 'suspect' && this.inGrace);
  }

  /**
   * The lease written at each heartbeat: three quarters of EDGE_LEASE_MS, so that with the sweeper
   * running every quarter lease a silent edge is found dead within EDGE_LEASE_MS of its last heartbeat.
   */
  private get grantMs(): number {
    return Math.floor(this.deps.config.leaseMs * 0.75);
  }

  // ---- registry ----

  async register(edgeId: string, incarnation: string, url: string, zone: string): Promise<{ leaseMs: number }> {
    const r = await this.deps.edges.register(edgeId, incarnation, normaliseUrl(url), zone, this.grantMs);
    if (r.refused)
      throw new ForesightError(
        ErrorCodes.EDGE_INCARNATION_CONFLICT,
        `Edge ${edgeId} is live under another incarnation; use another EDGE_ID or wait ${r.leaseLeftMs} ms for its lease to run out.`,
        { leaseLeftMs: r.leaseLeftMs },
      );
    this.edgeCache = undefined;
    if (r.changed) await this.deps.events.edgeChanged({ edgeId, url: normaliseUrl(url), zone }, 'up');
    return { leaseMs: this.deps.config.leaseMs };
  }

  async heartbeat(edgeId: string, incarnation: string): Promise<{ leaseMs: number }> {
    if (!(await this.deps.edges.heartbeat(edgeId, incarnation, this.grantMs, this.inGrace)))
      throw new ForesightError(ErrorCodes.EDGE_NOT_FOUND, `Edge ${edgeId} (this incarnation) is not registered or its lease ran out; register again.`);
    return { leaseMs: this.deps.config.leaseMs };
  }

  async leave(edgeId: string, incarnation: string): Promise<{ leaseMs: number }> {
    const left = await this.deps.edges.leave(edgeId, incarnation);
    if (!left) throw new ForesightError(ErrorCodes.EDGE_NOT_FOUND, `Edge ${edgeId} (this incarnation) is not registered.`);
    this.edgeCache = undefined;
    await this.deps.events.edgeChanged(left, 'left');
    await this.rerouteFrom([edgeId]);
    return { leaseMs: 0 };
  }

  /**
   * Marks edges whose lease ran out as dead, announces them and re-routes (a batch of) their
   * sessions to healthy edges; drops expired records.
   */
  async sweep(): Promise<{ dead: string[]; rerouted: number }> {
    const dead = this.inGrace ? [] : await this.deps.edges.expireLeases();
    if (dead.length > 0) this.edgeCache = undefined;
    for (const e of dead) {
      this.deps.logger.warn({ edgeId: e.edgeId }, 'edge lease ran out: edge is dead');
      await this.deps.events.edgeChanged(e, 'dead');
    }
    const unhealthy = (await this.edgeRows()).rows.filter((e) => !this.isHealthy(e)).map((e) => e.edgeId);
    const rerouted = await this.rerouteFrom(unhealthy);
    await this.deps.records.deleteExpired(1000);
    return { dead: dead.map((e) => e.edgeId), rerouted };
  }

  async view(): Promise<AffinityViewReply> {
    const { rows, counts } = await this.edgeRows();
    return {
      edges: rows.map((e) => ({
        edgeId: e.edgeId,
        url: e.url,
        zone: e.zone,
        healthy: this.isHealthy(e),
        sessions: counts.get(e.edgeId) ?? 0,
        status: e.status,
        ...(e.lastHeartbeatAt ? { lastHeartbeatAt: e.lastHeartbeatAt.toISOString() } : {}),
        ...(e.leaseExpiresAt ? { leaseExpiresAt: e.leaseExpiresAt.toISOString() } : {}),
      })),
      threshold: this.deps.config.threshold,
      hashByUser: this.deps.config.hashByUser,
    };
  }

  // ---- routing ----

  /** The session's edge: kept while its edge is healthy and its weight high enough, else (re)assigned. */
  async route(cmd: RouteCommand, ctx?: MessageContext): Promise<AffinityRecord> {
    for (let attempt = 0; ; attempt++) {
      const current = await this.deps.records.get(cmd.sessionId);
      const result = await this.decide(cmd, current, current?.weight, ctx);
      if (result) return result;
      if (attempt >= 3) throw new ForesightError(ErrorCodes.UNAVAILABLE, 'The session affinity record changed under contention; retry.');
    }
  }

  /** A session's live record as stored (never assigns an edge). */
  async record(sessionId: string): Promise<AffinityRecord> {
    const current = await this.deps.records.get(sessionId);
    if (!current)
      throw new ForesightError(
        ErrorCodes.SESSION_NOT_FOUND,
        `Session ${sessionId} has no affinity record: it is unknown, ended, or no request for it has been routed yet.`,
      );
    return this.toRecord(current, await this.edgeRows());
  }

  /** An operator (or a test) sets a session's weight; the session moves at its next route if it is below the threshold. */
  async setWeight(sessionId: string, weight: number, ctx?: MessageContext): Promise<AffinityRecord> {
    const current = await this.deps.records.get(sessionId);
    if (!current) throw new ForesightError(ErrorCodes.SESSION_NOT_FOUND, `Session ${sessionId} has no affinity record; route a request for it first.`);
    const row = await this.deps.records.write({ ...current, weight }, current.recordVersion, this.deps.config.recordLeaseMs);
    if (!row) throw new ForesightError(ErrorCodes.SESSION_VERSION_CONFLICT, 'The affinity record changed meanwhile; read it and try again.');
    await this.deps.events.sessionRouted(row, 'weight-set', ctx);
    return this.toRecord(row, await this.edgeRows());
  }

  /**
   * An agent's report, forwarded by the edge that received it: every live session of the client gets
   * a new weight from the measurements of its edge, by the configured policy; a session whose weight
   * falls below the threshold is re-routed at once.
   */
  async report(viaEdgeId: string, report: AgentReportBody): Promise<{ sessionsUpdated: number }> {
    const view = await this.edgeRows();
    if (!view.rows.some((e) => e.edgeId === viaEdgeId)) throw new ForesightError(ErrorCodes.EDGE_NOT_FOUND, `Edge ${viaEdgeId} is not registered.`);
    const urlToEdge = new Map(view.rows.map((e) => [e.url, e.edgeId]));
    const sessions = await this.deps.records.byClient(report.clientId, MAX_SESSIONS_PER_REPORT);
    this.deps.stats.fold(report, sessions.find((s) => s.clientZone !== null)?.clientZone ?? undefined, urlToEdge);
    const states = this.edgeStates(view);
    let updated = 0;
    for (const s of sessions) {
      const edge = view.rows.find((e) => e.edgeId === s.edgeId);
      const g = edge && report.gateways.find((x) => normaliseUrl(x.gateway) === edge.url);
      if (!g || g.requests === 0) continue;
      const obs = { rttMs: g.rttMs.mean, requests: g.requests, errors: g.errors, requestRatePerSecond: g.throughputRps };
      let weight: number;
      let stickiness = s.stickiness;
      if (this.deps.config.policy === 'rules') {
        weight = ruleWeight(obs);
      } else {
        const zone = s.clientZone ?? undefined;
        const base =
          stickiness ??
          freshStickiness(
            expectedRttMs(
              states.find((e) => e.edgeId === s.edgeId)!,
              zone,
            ),
            this.deps.clock.now(),
          );
        stickiness = observe(base, obs, this.deps.clock.now(), DEFAULT_PREDICTIVE);
        weight = predictiveWeight(stickiness, alternativeCostMs(stickiness, s.edgeId, states, zone, DEFAULT_PREDICTIVE), DEFAULT_PREDICTIVE);
      }
      if (weight === s.weight && stickiness === s.stickiness) continue;
      const written = await this.deps.records.write({ ...s, weight, stickiness }, s.recordVersion, this.deps.config.recordLeaseMs);
      if (!written) continue; // a concurrent change wins; the next report applies to it
      updated++;
      if (weight < this.deps.config.threshold) await this.decide({ sessionId: s.sessionId }, written, weight);
      else if (weight !== s.weight) await this.deps.events.sessionRouted(written, 'kept');
    }
    return { sessionsUpdated: updated };
  }

  // ---- internals ----

  /** One routing decision against the record read; undefined when the record changed meanwhile. */
  private async decide(
    cmd: RouteCommand,
    current: AffinityRow | undefined,
    weightNow: number | undefined,
    ctx?: MessageContext,
  ): Promise<AffinityRecord | undefined> {
    const view = await this.edgeRows();
    const states = this.edgeStates(view);
    const hints: ClientHints = cmd.hints ?? {};
    const zone = hints.zone ?? current?.clientZone ?? undefined;
    const userId = cmd.userId ?? current?.userId ?? (current === undefined ? await this.userOf(cmd.sessionId) : null);
    const key = this.deps.config.hashByUser && userId !== null ? `user:${userId}` : cmd.sessionId;
    const d = route({
      key,
      current: current?.edgeId,
      weight: weightNow ?? 50,
      threshold: this.deps.config.threshold,
      clientZone: zone,
      edges: states,
      // The predictive policy places on what every session of the zone taught: only edges within a move's cost of the best.
      ...(this.deps.config.policy === 'predictive'
        ? { forecast: { marginMs: DEFAULT_PREDICTIVE.moveCostMs, failureCostMs: DEFAULT_PREDICTIVE.failureCostMs } }
        : {}),
    });
    if (d.edgeId === undefined) throw new ForesightError(ErrorCodes.AFFINITY_NO_EDGE, 'No edge is healthy; the gateway routes on its own view meanwhile.');
    this.deps.decisions?.inc({ reason: d.reason });
    if (current && !d.moved) {
      // Kept: extend the lease at most once per half lease, without a new version.
      if (current.leaseExpiresAt.getTime() - this.deps.clock.now() < this.deps.config.recordLeaseMs / 2)
        await this.deps.records.touch(current.sessionId, this.deps.config.recordLeaseMs);
      return this.toRecord(current, view);
    }
    const edge = states.find((e) => e.edgeId === d.edgeId)!;
    const written = await this.deps.records.write(
      {
        sessionId: cmd.sessionId,
        clientId: cmd.clientId ?? current?.clientId ?? null,
        userId,
        clientZone: zone ?? null,
        edgeId: d.edgeId,
        weight: initialWeight(hints, edge.zone),
        stickiness: freshStickiness(expectedRttMs(edge, zone), this.deps.clock.now()),
      },
      current?.recordVersion ?? 0,
      this.deps.config.recordLeaseMs,
    );
    if (!written) return undefined;
    const reason: AffinityRouteReason = d.reason;
    await this.deps.events.sessionRouted(written, reason, ctx);
    return this.toRecord(written, view);
  }

  /**
   * Placing by user, the user of a session that has no record yet and whose route request does not
   * name it (the edge that created it could not reach this service then, and the session now comes
   * through another edge), from the session index. Null when not placing by user, or not found.
   */
  private async userOf(sessionId: string): Promise<string | null> {
    if (!this.deps.config.hashByUser || !this.deps.users) return null;
    try {
      return await this.deps.users.of(sessionId);
    } catch (error) {
      this.deps.logger.warn({ err: error, sessionId }, 'could not read the session index; placing the session by its id');
      return null;
    }
  }

  private async rerouteFrom(edgeIds: readonly string[]): Promise<number> {
    let n = 0;
    for (const s of await this.deps.records.onEdges(edgeIds, REROUTE_BATCH)) {
      try {
        if (await this.decide({ sessionId: s.sessionId }, s, s.weight)) n++;
      } catch (error) {
        if (error instanceof ForesightError && error.code === ErrorCodes.AFFINITY_NO_EDGE) break;
        throw error;
      }
    }
    return n;
  }

  private toRecord(row: AffinityRow, view: { rows: EdgeRow[] }): AffinityRecord {
    return {
      sessionId: row.sessionId,
      clientId: row.clientId,
      edgeId: row.edgeId,
      url: view.rows.find((e) => e.edgeId === row.edgeId)?.url ?? '',
      weight: row.weight,
      recordVersion: row.recordVersion,
      leaseExpiresAt: row.leaseExpiresAt.toISOString(),
    };
  }

  /** The registry and session counts, re-read at most every quarter lease. */
  private async edgeRows(): Promise<{ rows: EdgeRow[]; counts: Map<string, number> }> {
    const now = this.deps.clock.now();
    if (this.edgeCache && now - this.edgeCache.at < Math.min(1000, this.deps.config.leaseMs / 4)) return this.edgeCache;
    const [rows, counts] = await Promise.all([this.deps.edges.all(), this.deps.records.countsByEdge()]);
    this.edgeCache = { at: now, rows, counts };
    return this.edgeCache;
  }

  private edgeStates(view: { rows: EdgeRow[]; counts: Map<string, number> }): EdgeState[] {
    const healthy = view.rows.filter((e) => this.isHealthy(e));
    const total = [...view.counts.values()].reduce((a, b) => a + b, 0);
    const capacity = Math.max(100, Math.ceil((1.5 * total) / Math.max(1, healthy.length)));
    return view.rows.map((e) => ({
      edgeId: e.edgeId,
      zone: e.zone,
      healthy: this.isHealthy(e),
      sessions: view.counts.get(e.edgeId) ?? 0,
      capacity,
      rttMsByZone: this.deps.stats.rttByZone(e.edgeId),
      errorRate: this.deps.stats.errorRate(e.edgeId),
    }));
  }
}
