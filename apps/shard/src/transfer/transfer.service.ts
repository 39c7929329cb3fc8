import { ErrorCodes, ForesightError, Headers, subjects, type AssignmentView, type RpcReply, type Subjects } from '@foresight/contracts';
import type { ForesightConfig } from '@foresight/config';
import { shardOf } from '@foresight/hashing';
import { callRpc, encode, tryDecode } from '@foresight/messaging';
import { counter, gauge, histogram, type Logger } from '@foresight/observability';
import type { EventStore } from '@foresight/persistence';
import { isIssuedSessionId, type SessionState } from '@foresight/session-domain';
import type { Clock } from '@foresight/time';
import { headers as natsHeaders, type Msg, type NatsConnection, type Subscription } from 'nats';
import { randomUUID } from 'node:crypto';
import type { Registry } from 'prom-client';
import type { MembershipService } from '../membership/membership.service';
import { NextAccessModel } from './next-access-model';
import type { LoadedGroups } from './partial-state';
import { StateProfiler, type AccessKind } from './state-profiler';
import {
  checkSession,
  coreBytes,
  coreOf,
  FETCH_OP,
  isFetchRequest,
  isTransferProposal,
  isTransferRelease,
  RELEASE_OP,
  stateOf,
  TRANSFER_OP,
  verifiedFetch,
  type FetchReply,
  type RefusalReason,
  type TransferProposal,
  type TransferredSession,
  type TransferReply,
} from './transfer-message';
import { bytesByGroup, planTransfer, type PlanCandidate, type SessionPlan } from './transfer-planner';

/** A session this node held when it lost its shard. */
export interface MovingSession {
  readonly state: SessionState;
  /** The groups it held (undefined: all). */
  readonly groups: LoadedGroups;
}

/** A session received from its old owner, kept until its first access here. */
interface Received {
  readonly state: SessionState;
  readonly groups: ReadonlySet<string>;
  readonly epoch: number;
  readonly bytes: number;
  readonly at: number;
  /** The old owner's node id (it may still hold the lazy groups). */
  readonly from: string;
}

/** A session this node handed over, kept for its new owner to fetch lazy groups from. */
interface Retained {
  readonly state: SessionState;
  readonly groups: LoadedGroups;
  /** The new owner: the only node this answers for it. */
  readonly to: string;
  readonly bytes: number;
  readonly at: number;
  /** Its lazy groups (with values) the new owner has not fetched yet: none left, it is dropped. */
  readonly unfetched: Set<string>;
}

/** Where a session claimed here came from, for its lazy groups: the old owner and the version it pushed. */
export interface LazySource {
  readonly peer: string;
  readonly version: number;
}

export interface TransferDeps {
  readonly nc: NatsConnection;
  readonly config: ForesightConfig;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly metrics: Registry;
  readonly store: Pick<EventStore, 'headVersion'>;
  readonly membership: Pick<MembershipService, 'nodeId' | 'ownedEpoch' | 'refresh' | 'releasedByPreviousOwner'>;
}

/** Most bytes of session data in one proposal (a move is sent in as many as it takes). */
const MAX_PROPOSAL_BYTES = 512 * 1024;
/** A received session not used for this long is dropped (it would load from Postgres). */
const RECEIVED_TTL_MS = 10 * 60_000;

/**
 * Moves the state that matters with a shard. Both sides of a move:
 *
 * - **Old owner.** It profiles how every session's groups are used. When it loses shards, it plans
 *   each of their sessions (immediate, lazy, reconstructable, under a byte budget), and before it
 *   releases the shards proposes the plan to the new owner on `<ns>.ctl.transfer.<to>.<from>`,
 *   carrying each session's core and its immediate groups by value from memory. No answer within
 *   `TRANSFER_TIMEOUT_MS`: the shards are released anyway and the sessions load from Postgres.
 * - **New owner.** It checks the proposal (schema, that it owns the shard at the plan's epoch, each
 *   session's consistency, its memory budget), keeps what it accepts and answers per session. On a
 *   session's first access it serves the pushed copy only if the copy is at the head of the
 *   session's event log (one index lookup), so it never serves a version older than an
 *   acknowledged write; otherwise, and for lazy groups, Postgres.
 */
export class TransferService {
  readonly profiler: StateProfiler;
  readonly model: NextAccessModel;
  private readonly received = new Map<string, Received>();
  private receivedBytes = 0;
  private readonly answered = new Map<string, TransferReply>();
  private readonly retained = new Map<string, Retained>();
  private retainedBytes = 0;
  private readonly subjects: Subjects;
  private sub: Subscription | null = null;
  private readonly metrics;

  constructor(private readonly deps: TransferDeps) {
    const t = deps.config.transfer;
    this.subjects = subjects(deps.config.nats.namespace);
    this.model = new NextAccessModel(t.horizonMs);
    this.profiler = new StateProfiler({
      groups: deps.config.session.groups,
      maxSessions: t.profileMaxSessions,
      halfLifeMs: t.profileHalfLifeMs,
      model: this.model,
    });
    const m = deps.metrics;
    this.metrics = {
      proposals: counter(m, 'foresight_transfer_proposals_total', 'Transfer proposals, by side (sent, received) and outcome', ['side', 'outcome']),
      sessions: counter(m, 'foresight_transfer_sessions_total', 'Sessions of transfer proposals, by side and outcome (accepted, rejected, timeout)', [
        'side',
        'outcome',
      ]),
      refused: counter(m, 'foresight_transfer_refused_total', 'Transfer proposals or sessions refused by this node, by reason', ['reason']),
      groups: counter(m, 'foresight_transfer_groups_total', 'Groups of moving sessions, by planned mode and reason', ['mode', 'reason']),
      bytes: counter(m, 'foresight_transfer_bytes_total', 'Bytes of moving sessions: pushed eagerly (immediate) and what a full copy would be (full)', [
        'kind',
      ]),
      firstAccess: counter(
        m,
        'foresight_transfer_first_access_total',
        'First accesses to a received session: served from the push (pushed) or loaded from Postgres (stale)',
        ['outcome'],
      ),
      seconds: histogram(m, 'foresight_transfer_handover_seconds', 'Time from losing shards to the new owners answering (or the timeout)'),
      held: gauge(m, 'foresight_transfer_received_bytes', 'Bytes of received sessions held until their first access'),
      profiled: gauge(m, 'foresight_profiler_sessions', 'Sessions the state profiler follows'),
      lazy: counter(
        m,
        'foresight_transfer_lazy_fetches_total',
        'Lazy groups of received sessions fetched on first use, by source (peer: the old owner; postgres)',
        ['source'],
      ),
      lazySeconds: histogram(m, 'foresight_transfer_lazy_fetch_seconds', 'Time to fetch the lazy groups of a received session, by source', ['source']),
      fetches: counter(m, 'foresight_transfer_fetches_served_total', 'Lazy fetches answered by this node as an old owner, by outcome', ['outcome']),
      retained: gauge(m, 'foresight_transfer_retained_bytes', 'Bytes of handed-over sessions kept for their new owners to fetch lazy groups from'),
      releases: counter(m, 'foresight_transfer_releases_sent_total', 'Shards handed over whose new owner this node told directly that it serves them no more'),
    };
  }

  start(): void {
    if (!this.deps.config.transfer.enabled) return;
    // Not serveRpc: a body that does not decode must be counted too.
    this.sub = this.deps.nc.subscribe(this.subjects.transferInbox(this.deps.membership.nodeId), {
      callback: (err, msg) => {
        if (err) {
          this.deps.logger.error({ err }, 'transfer subscription error');
          return;
        }
        void this.answer(msg);
      },
    });
  }

  private async answer(msg: Msg): Promise<void> {
    let reply: RpcReply<TransferReply>;
    try {
      const op = msg.headers?.get(Headers.op);
      if (op === FETCH_OP) return this.serveFetch(msg);
      if (op === RELEASE_OP) return this.released(msg);
      if (op !== TRANSFER_OP) {
        this.refuse('malformed');
        throw new ForesightError(
          ErrorCodes.UNKNOWN_OPERATION,
          `The transfer control subject answers only "${TRANSFER_OP}", "${FETCH_OP}" and "${RELEASE_OP}".`,
        );
      }
      reply = { ok: true, result: await this.receive(tryDecode(msg.data), msg.subject) };
    } catch (error) {
      if (!(error instanceof ForesightError)) this.deps.logger.error({ err: error }, 'transfer proposal failed');
      const body = error instanceof ForesightError ? error.toJSON() : { code: ErrorCodes.INTERNAL, message: 'An internal error occurred; it has been logged.' };
      reply = { ok: false, error: body };
    }
    respond(msg, reply, this.deps.logger);
  }

  /** The old owner of shards moving here says it handed them over and serves them no more. */
  private released(msg: Msg): void {
    const from = this.subjects.transferSender(msg.subject, this.deps.membership.nodeId);
    const raw = tryDecode(msg.data);
    if (!isTransferRelease(raw) || from === undefined) {
      this.refuse('malformed');
      if (msg.reply) {
        const error = new ForesightError(ErrorCodes.MALFORMED_MESSAGE, 'A transfer release names the shards released, each with the epoch it moved here at.');
        respond(msg, { ok: false, error: error.toJSON() }, this.deps.logger);
      }
      return;
    }
    this.deps.membership.releasedByPreviousOwner(from, raw.released);
    if (msg.reply) respond(msg, { ok: true, result: { released: raw.released.length } }, this.deps.logger);
  }

  /**
   * After its handover, tells each new owner of `lost` at once that this node serves those shards
   * no more (it applied the assignment that moved them before planning), so they serve without
   * waiting for the metadata service to record the release from the next heartbeat. Fire and forget:
   * the heartbeat releases them anyway.
   */
  release(lost: readonly number[], view: AssignmentView): void {
    if (!this.deps.config.transfer.enabled || lost.length === 0) return;
    const lostSet = new Set(lost);
    const byOwner = new Map<string, { shard: number; epoch: number }[]>();
    for (const s of view.shards) {
      if (!lostSet.has(s.shard) || !s.nodeId || s.nodeId === this.deps.membership.nodeId) continue;
      byOwner.set(s.nodeId, [...(byOwner.get(s.nodeId) ?? []), { shard: s.shard, epoch: s.epoch }]);
    }
    for (const [owner, released] of byOwner) {
      try {
        const h = natsHeaders();
        h.set(Headers.op, RELEASE_OP);
        this.deps.nc.publish(this.subjects.transfer(owner, this.deps.membership.nodeId), encode({ released }), { headers: h });
        this.metrics.releases.inc(released.length);
      } catch (error) {
        this.deps.logger.debug({ err: error, owner }, 'could not tell the new owner its shards are released; the heartbeat will');
      }
    }
  }

  /** A new owner's request for lazy groups of a session this node handed over to it. */
  private serveFetch(msg: Msg): void {
    let reply: RpcReply<FetchReply>;
    try {
      reply = { ok: true, result: this.fetched(tryDecode(msg.data), msg.subject) };
    } catch (error) {
      if (!(error instanceof ForesightError)) this.deps.logger.error({ err: error }, 'transfer fetch failed');
      const body = error instanceof ForesightError ? error.toJSON() : { code: ErrorCodes.INTERNAL, message: 'An internal error occurred; it has been logged.' };
      reply = { ok: false, error: body };
    }
    respond(msg, reply, this.deps.logger);
  }

  /**
   * The groups asked for that this node holds of a session it handed over to the sender, at the
   * version it pushed, and only if that is at or below the head the sender knows: this node wrote
   * nothing since, so those values are the log's at that version.
   */
  private fetched(raw: unknown, subject: string): FetchReply {
    const from = this.subjects.transferSender(subject, this.deps.membership.nodeId);
    if (!isFetchRequest(raw) || from === undefined) {
      this.refuse('malformed');
      this.metrics.fetches.inc({ outcome: 'malformed' });
      throw new ForesightError(
        ErrorCodes.MALFORMED_MESSAGE,
        'A lazy fetch needs a sessionId, the pushed version, the head the asker knows and the groups; this one does not match.',
      );
    }
    this.sweepRetained(this.deps.clock.now());
    const kept = this.retained.get(raw.sessionId);
    if (kept === undefined || kept.to !== from) {
      this.metrics.fetches.inc({ outcome: 'not_held' });
      throw new ForesightError(
        ErrorCodes.SESSION_NOT_FOUND,
        `Node ${this.deps.membership.nodeId} keeps no copy of this session for ${from}; read it from Postgres.`,
        {
          sessionId: raw.sessionId.slice(0, 256),
        },
      );
    }
    if (kept.state.version !== raw.version || kept.state.version > raw.head) {
      this.refuse('stale_fetch');
      this.metrics.fetches.inc({ outcome: 'stale' });
      throw new ForesightError(
        ErrorCodes.SESSION_VERSION_CONFLICT,
        `This node handed the session over at version ${kept.state.version}, not ${raw.version} at or below head ${raw.head}; read it from Postgres.`,
        { sessionId: raw.sessionId, version: kept.state.version },
      );
    }
    const values: Record<string, Record<string, unknown>> = {};
    for (const g of raw.groups) if (kept.groups === undefined || kept.groups.has(g)) values[g] = { ...(kept.state.groups[g] ?? {}) };
    this.metrics.fetches.inc({ outcome: Object.keys(values).length > 0 ? 'served' : 'not_held' });
    // The new owner keeps what it fetched (it writes a group only once loaded): never asked again.
    for (const g of raw.groups) kept.unfetched.delete(g);
    if (kept.unfetched.size === 0) this.dropRetained(raw.sessionId);
    return { version: kept.state.version, values };
  }

  stop(): void {
    this.sub?.unsubscribe();
    this.sub = null;
  }

  /** An access to a session here (reads: the groups asked for, undefined for all; writes: the group changed). */
  record(sessionId: string, groups: readonly string[] | undefined, kind: AccessKind): void {
    this.profiler.record(sessionId, groups, kind, this.deps.clock.now());
  }

  ended(sessionId: string): void {
    this.profiler.forget(sessionId, this.deps.clock.now());
  }

  // ---- old owner ----

  /** Plans the move of `moving` (sessions of `lost` shards) and proposes it to the new owners in `view`; bounded by the timeout. */
  async handOver(moving: readonly MovingSession[], lost: readonly number[], view: AssignmentView): Promise<void> {
    if (!this.deps.config.transfer.enabled || moving.length === 0) return;
    const stop = this.metrics.seconds.startTimer();
    const now = this.deps.clock.now();
    const t = this.deps.config.transfer;
    const lostSet = new Set(lost);
    const target = new Map(view.shards.filter((s) => lostSet.has(s.shard) && s.nodeId).map((s) => [s.shard, { nodeId: s.nodeId!, epoch: s.epoch }]));
    const bySession = new Map(moving.map((m) => [m.state.id, m]));
    // A full copy of each session: its core and every group, held here or not (a partial load, or a
    // push that carried only some groups, holds less than what a full copy would move).
    let fullBytes = 0;
    const candidates: PlanCandidate[] = moving
      .filter((m) => target.has(m.state.shard) && target.get(m.state.shard)!.nodeId !== this.deps.membership.nodeId)
      .map((m) => {
        const all = bytesByGroup(m.state.sizes, this.deps.config.session.groups);
        fullBytes += coreBytes(m.state) + Object.values(all).reduce((n, b) => n + b, 0);
        return {
          sessionId: m.state.id,
          shard: m.state.shard,
          version: m.state.version,
          coreBytes: coreBytes(m.state),
          // Groups it did not hold (a partial load) cannot be pushed: offered as empty, so planned lazy.
          groupBytes: m.groups === undefined ? all : Object.fromEntries(Object.entries(all).map(([g, b]) => [g, m.groups!.has(g) ? b : 0])),
          profile: this.profiler.profile(m.state.id, now),
        };
      });
    const plan = planTransfer(
      candidates,
      {
        alwaysImmediate: t.immediateGroups,
        reconstructable: t.rebuiltGroups,
        budgetBytes: t.budgetBytes,
        largeBytes: t.largeGroupBytes,
        rareBelow: t.rareChance,
        minChance: t.minChance,
      },
      (profile) => (profile ? this.model.predict(profile) : 0),
    );
    this.metrics.bytes.inc({ kind: 'immediate' }, plan.immediateBytes);
    this.metrics.bytes.inc({ kind: 'full' }, fullBytes);
    for (const s of plan.sessions) for (const g of Object.values(s.groups)) this.metrics.groups.inc({ mode: g.mode, reason: g.reason });
    for (const m of moving) this.profiler.forget(m.state.id);
    this.retain(plan.sessions, bySession, target, now);
    // One proposal (or several, by size) per new owner.
    const byOwner = new Map<string, SessionPlan[]>();
    for (const s of plan.sessions) {
      const owner = target.get(s.shard)!.nodeId;
      byOwner.set(owner, [...(byOwner.get(owner) ?? []), s]);
    }
    const deadline = now + t.timeoutMs;
    await Promise.all(
      [...byOwner].flatMap(([owner, plans]) =>
        chunks(plans, (p) => p.immediateBytes, MAX_PROPOSAL_BYTES).map((part) => this.propose(owner, part, bySession, target, deadline)),
      ),
    );
    stop();
    this.deps.logger.info(
      { sessions: plan.sessions.length, immediateBytes: plan.immediateBytes, fullBytes, owners: byOwner.size },
      'handed sessions over with their shards',
    );
  }

  private async propose(
    owner: string,
    plans: readonly SessionPlan[],
    bySession: ReadonlyMap<string, MovingSession>,
    target: ReadonlyMap<number, { epoch: number }>,
    deadline: number,
  ): Promise<void> {
    const sessions: TransferredSession[] = plans.map((p) => {
      const state = bySession.get(p.sessionId)!.state;
      const values: Record<string, Record<string, unknown>> = {};
      for (const [group, g] of Object.entries(p.groups)) if (g.mode === 'immediate') values[group] = { ...(state.groups[group] ?? {}) };
      return { core: coreOf(state), plan: p.groups as TransferredSession['plan'], values };
    });
    const shards = [...new Set(plans.map((p) => p.shard))].map((shard) => ({ shard, epoch: target.get(shard)!.epoch }));
    const proposal: TransferProposal = { planId: randomUUID(), shards, sessions };
    try {
      const reply = await callRpc<TransferReply>(this.deps.nc, this.subjects.transfer(owner, this.deps.membership.nodeId), TRANSFER_OP, proposal, {
        timeoutMs: Math.max(10, deadline - this.deps.clock.now()),
      });
      this.metrics.proposals.inc({ side: 'sent', outcome: reply.rejected.length === 0 ? 'accepted' : reply.accepted.length === 0 ? 'rejected' : 'partial' });
      this.metrics.sessions.inc({ side: 'sent', outcome: 'accepted' }, reply.accepted.length);
      this.metrics.sessions.inc({ side: 'sent', outcome: 'rejected' }, reply.rejected.length);
      // A refused session loads from Postgres there: nothing will be fetched from here.
      for (const r of reply.rejected) if (this.retained.get(r.sessionId)?.to === owner) this.dropRetained(r.sessionId);
      if (reply.rejected.length > 0) {
        const reasons: Record<string, number> = {};
        for (const r of reply.rejected) reasons[r.reason] = (reasons[r.reason] ?? 0) + 1;
        this.deps.logger.info({ owner, accepted: reply.accepted.length, rejected: reasons }, 'the new owner refused some sessions; they load from Postgres');
      }
    } catch (error) {
      const timeout = error instanceof ForesightError && error.code === ErrorCodes.TIMEOUT;
      this.metrics.proposals.inc({ side: 'sent', outcome: timeout ? 'timeout' : 'error' });
      this.metrics.sessions.inc({ side: 'sent', outcome: timeout ? 'timeout' : 'error' }, sessions.length);
      this.deps.logger.warn({ err: error, owner, sessions: sessions.length }, 'transfer proposal not answered; the sessions load from Postgres');
    }
  }

  /** Keeps the sessions with lazy groups this node holds, for their new owners to fetch (bounded by time and bytes). */
  private retain(
    plans: readonly SessionPlan[],
    bySession: ReadonlyMap<string, MovingSession>,
    target: ReadonlyMap<number, { nodeId: string }>,
    now: number,
  ): void {
    const t = this.deps.config.transfer;
    if (t.retainMs <= 0) return;
    this.sweepRetained(now);
    for (const p of plans) {
      const lazy = Object.entries(p.groups)
        .filter(([, g]) => g.mode !== 'immediate' && g.bytes > 0)
        .map(([group]) => group);
      const moving = bySession.get(p.sessionId);
      if (lazy.length === 0 || !moving) continue;
      const bytes = 256 + moving.state.totalBytes;
      if (this.retainedBytes + bytes > t.retainBytes) break;
      const previous = this.retained.get(p.sessionId);
      if (previous) {
        this.retainedBytes -= previous.bytes;
        this.retained.delete(p.sessionId);
      }
      this.retained.set(p.sessionId, { state: moving.state, groups: moving.groups, to: target.get(p.shard)!.nodeId, bytes, at: now, unfetched: new Set(lazy) });
      this.retainedBytes += bytes;
    }
    this.metrics.retained.set(this.retainedBytes);
  }

  private sweepRetained(now: number): void {
    for (const [id, entry] of this.retained) {
      if (now - entry.at <= this.deps.config.transfer.retainMs) break;
      this.retained.delete(id);
      this.retainedBytes -= entry.bytes;
    }
    this.metrics.retained.set(this.retainedBytes);
  }

  private dropRetained(sessionId: string): void {
    const entry = this.retained.get(sessionId);
    if (entry === undefined) return;
    this.retained.delete(sessionId);
    this.retainedBytes -= entry.bytes;
    this.metrics.retained.set(this.retainedBytes);
  }

  /** Whether this node keeps a handed-over session for its new owner to fetch lazy groups from. */
  retains(sessionId: string): boolean {
    return this.retained.has(sessionId);
  }

  /** Sessions kept for their new owners to fetch lazy groups from. */
  get retainedCount(): number {
    return this.retained.size;
  }

  /**
   * A leaving node: answers its new owners' lazy fetches until none is left to answer (each kept
   * session fetched whole, or past `TRANSFER_RETAIN_MS`) or `deadline`, whichever comes first.
   */
  async serveRetained(deadline: number): Promise<void> {
    const started = this.deps.clock.now();
    const kept = this.retained.size;
    while (this.deps.clock.now() < deadline) {
      this.sweepRetained(this.deps.clock.now());
      if (this.retained.size === 0) break;
      await new Promise((r) => setTimeout(r, Math.min(100, Math.max(1, deadline - this.deps.clock.now()))));
    }
    if (kept > 0) {
      this.deps.logger.info(
        { kept, left: this.retained.size, ms: this.deps.clock.now() - started },
        'served lazy fetches of the handed-over sessions before leaving',
      );
    }
  }

  // ---- new owner ----

  /** A proposal from the node named in the subject. */
  private async receive(raw: unknown, subject: string): Promise<TransferReply> {
    const from = this.subjects.transferSender(subject, this.deps.membership.nodeId);
    if (!isTransferProposal(raw) || from === undefined) {
      this.refuse('malformed');
      throw new ForesightError(
        ErrorCodes.MALFORMED_MESSAGE,
        'A transfer proposal needs a planId, the shards with their epochs and the sessions (core, plan, values); this one does not match.',
      );
    }
    const done = this.answered.get(`${from}/${raw.planId}`);
    if (done) return done;
    // The proposer may have read the assignment before this node did: read it once more if needed.
    if (raw.shards.some((s) => this.deps.membership.ownedEpoch(s.shard) !== s.epoch)) await this.deps.membership.refresh().catch(() => undefined);
    const shardState = new Map<number, RefusalReason | null>();
    for (const s of raw.shards) {
      const epoch = this.deps.membership.ownedEpoch(s.shard);
      shardState.set(s.shard, epoch === undefined ? 'not_moving' : epoch !== s.epoch ? 'stale_plan' : null);
    }
    if ([...shardState.values()].every((r) => r !== null)) {
      const reason = [...shardState.values()][0]!;
      this.refuse(reason);
      this.metrics.proposals.inc({ side: 'received', outcome: 'refused' });
      throw reason === 'stale_plan'
        ? new ForesightError(ErrorCodes.STALE_EPOCH, 'The plan was made for an epoch of the shard that is no longer current; nothing was kept.', { from })
        : new ForesightError(ErrorCodes.NOT_OWNER, `Node ${this.deps.membership.nodeId} does not own the shards of this plan; nothing was kept.`, { from });
    }
    const accepted: string[] = [];
    const rejected: { sessionId: string; reason: RefusalReason }[] = [];
    const now = this.deps.clock.now();
    this.sweep(now);
    for (const entry of raw.sessions) {
      const id = entry.core.id;
      const reason = this.check(entry, shardState);
      if (reason !== null) {
        this.refuse(reason);
        rejected.push({ sessionId: id.slice(0, 256), reason });
        continue;
      }
      const bytes = Object.entries(entry.values).reduce((n, [, vars]) => n + Object.keys(vars).length * 16, 256) + sumValues(entry);
      const previous = this.received.get(id);
      if (previous && previous.state.version >= entry.core.version) {
        accepted.push(id);
        continue;
      }
      if (this.receivedBytes - (previous?.bytes ?? 0) + bytes > this.deps.config.transfer.maxInboxBytes) {
        this.refuse('memory_pressure');
        rejected.push({ sessionId: id, reason: 'memory_pressure' });
        continue;
      }
      if (previous) {
        this.receivedBytes -= previous.bytes;
        this.received.delete(id);
      }
      const groups = new Set(
        Object.entries(entry.plan)
          .filter(([, g]) => g.mode === 'immediate')
          .map(([g]) => g),
      );
      this.received.set(id, { state: stateOf(entry), groups, epoch: this.deps.membership.ownedEpoch(entry.core.shard)!, bytes, at: now, from });
      this.receivedBytes += bytes;
      accepted.push(id);
    }
    this.metrics.held.set(this.receivedBytes);
    const reply: TransferReply = { accepted, rejected };
    this.metrics.proposals.inc({ side: 'received', outcome: rejected.length === 0 ? 'accepted' : accepted.length === 0 ? 'rejected' : 'partial' });
    this.metrics.sessions.inc({ side: 'received', outcome: 'accepted' }, accepted.length);
    this.metrics.sessions.inc({ side: 'received', outcome: 'rejected' }, rejected.length);
    this.answered.set(`${from}/${raw.planId}`, reply);
    if (this.answered.size > 1024) this.answered.delete(this.answered.keys().next().value as string);
    this.deps.logger.info({ from, accepted: accepted.length, rejected: rejected.length }, 'received sessions of moved shards');
    return reply;
  }

  private check(entry: TransferredSession, shardState: ReadonlyMap<number, RefusalReason | null>): RefusalReason | null {
    const { config } = this.deps;
    const id = entry.core.id;
    if (!isIssuedSessionId(id, config.session.idSecret) || shardOf(id, config.cluster.shardCount) !== entry.core.shard) return 'bad_session';
    const shard = shardState.get(entry.core.shard);
    if (shard === undefined) return 'bad_session';
    if (shard !== null) return shard;
    if (!checkSession(entry)) return 'bad_session';
    return null;
  }

  /**
   * The pushed copy of a session on its first access under `epoch`, if it is at the head of the
   * event log (else undefined: load from Postgres). Taken once.
   */
  async claim(sessionId: string, epoch: number): Promise<{ state: SessionState; groups: ReadonlySet<string>; from: LazySource } | undefined> {
    const entry = this.received.get(sessionId);
    if (entry === undefined) return undefined;
    this.received.delete(sessionId);
    this.receivedBytes -= entry.bytes;
    this.metrics.held.set(this.receivedBytes);
    if (entry.epoch !== epoch) {
      this.metrics.firstAccess.inc({ outcome: 'stale' });
      return undefined;
    }
    const head = await this.deps.store.headVersion(sessionId);
    if (head !== entry.state.version) {
      this.metrics.firstAccess.inc({ outcome: 'stale' });
      this.deps.logger.warn({ sessionId, pushed: entry.state.version, head }, 'a pushed session is not at the head of its log; loading it from Postgres');
      return undefined;
    }
    this.metrics.firstAccess.inc({ outcome: 'pushed' });
    return { state: entry.state, groups: entry.groups, from: { peer: entry.from, version: entry.state.version } };
  }

  /**
   * Lazy groups of a session claimed here, from its old owner's memory: asks for `groups` at the
   * version it pushed, telling it `state`'s version (the head this node knows: it is the only writer
   * since), and keeps only an answer at that version whose groups are exactly what `state`'s core
   * records. Since this node loads a group before it writes it, a group it still lacks is unchanged
   * since the push. No answer in `TRANSFER_FETCH_TIMEOUT_MS`, a refusal or a mismatch: {} (Postgres).
   */
  async fetchLazy(sessionId: string, source: LazySource, state: SessionState, groups: readonly string[]): Promise<Record<string, Record<string, unknown>>> {
    if (groups.length === 0 || source.version > state.version) return {};
    const stop = this.metrics.lazySeconds.startTimer({ source: 'peer' });
    try {
      const asked = { sessionId, version: source.version, head: state.version, groups: [...groups] };
      const reply = await callRpc<FetchReply>(this.deps.nc, this.subjects.transfer(source.peer, this.deps.membership.nodeId), FETCH_OP, asked, {
        timeoutMs: this.deps.config.transfer.fetchTimeoutMs,
      });
      const values = verifiedFetch(reply, asked, state.sizes);
      if (values === undefined) {
        this.refuse('bad_fetch');
        this.deps.logger.warn(
          { sessionId, peer: source.peer, version: source.version },
          'the old owner answered a lazy fetch with values that do not match; reading Postgres',
        );
        return {};
      }
      if (Object.keys(values).length > 0) {
        stop();
        this.metrics.lazy.inc({ source: 'peer' });
      }
      return values;
    } catch (error) {
      if (!(error instanceof ForesightError)) this.deps.logger.warn({ err: error, sessionId }, 'lazy fetch from the old owner failed');
      return {};
    }
  }

  /** A lazy fetch of a received session that went to Postgres, and how long it took. */
  lazyFromPostgres(seconds: number): void {
    this.metrics.lazy.inc({ source: 'postgres' });
    this.metrics.lazySeconds.observe({ source: 'postgres' }, seconds);
  }

  /**
   * Drops received sessions of shards this node lost, and returns them: not used here yet, they go
   * on to the next owner with what this node was pushed (a shard moved twice in a row, or a node
   * leaving soon after it joined). Their next owner serves them only at the log's head, as any push.
   */
  dropShards(shards: ReadonlySet<number>): MovingSession[] {
    const out: MovingSession[] = [];
    for (const [id, entry] of this.received) {
      if (shards.has(entry.state.shard)) {
        this.received.delete(id);
        this.receivedBytes -= entry.bytes;
        out.push({ state: entry.state, groups: entry.groups });
      }
    }
    this.metrics.held.set(this.receivedBytes);
    return out;
  }

  /** Received sessions held. */
  get held(): number {
    return this.received.size;
  }

  private sweep(now: number): void {
    for (const [id, entry] of this.received) {
      if (now - entry.at <= RECEIVED_TTL_MS) break;
      this.received.delete(id);
      this.receivedBytes -= entry.bytes;
    }
    this.metrics.profiled.set(this.profiler.size);
  }

  private refuse(reason: RefusalReason): void {
    this.metrics.refused.inc({ reason });
  }
}

function respond(msg: Msg, reply: RpcReply<unknown>, logger: Logger): void {
  if (!msg.reply) return;
  try {
    msg.respond(encode(reply));
  } catch (error) {
    logger.warn({ err: error }, 'could not answer on the transfer control subject');
  }
}

function sumValues(entry: TransferredSession): number {
  let n = 0;
  for (const [group, vars] of Object.entries(entry.values)) for (const name of Object.keys(vars)) n += entry.core.sizes[`${group}/${name}`] ?? 0;
  return n;
}

/** `items` in consecutive parts of at most `max` by `size` (an item larger than `max` alone). */
function chunks<T>(items: readonly T[], size: (t: T) => number, max: number): T[][] {
  const out: T[][] = [];
  let part: T[] = [];
  let bytes = 0;
  for (const item of items) {
    const s = size(item);
    if (part.length > 0 && bytes + s > max) {
      out.push(part);
      part = [];
      bytes = 0;
    }
    part.push(item);
    bytes += s;
  }
  if (part.length > 0) out.push(part);
  return out;
}
