import { ErrorCodes, ForesightError, Headers, subjects, type AssignmentView, type RpcReply, type Subjects } from '@foresight/contracts';
import type { ForesightConfig } from '@foresight/config';
import { shardOf } from '@foresight/hashing';
import { callRpc, encode, tryDecode } from '@foresight/messaging';
import { counter, gauge, histogram, type Logger } from '@foresight/observability';
import type { EventStore } from '@foresight/persistence';
import { isIssuedSessionId, type SessionState } from '@foresight/session-domain';
import type { Clock } from '@foresight/time';
import type { Msg, NatsConnection, Subscription } from 'nats';
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
  isTransferProposal,
  stateOf,
  TRANSFER_OP,
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
}

export interface TransferDeps {
  readonly nc: NatsConnection;
  readonly config: ForesightConfig;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly metrics: Registry;
  readonly store: Pick<EventStore, 'headVersion'>;
  readonly membership: Pick<MembershipService, 'nodeId' | 'ownedEpoch' | 'refresh'>;
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
      if (msg.headers?.get(Headers.op) !== TRANSFER_OP) {
        this.refuse('malformed');
        throw new ForesightError(ErrorCodes.UNKNOWN_OPERATION, `The transfer control subject answers only "${TRANSFER_OP}".`);
      }
      reply = { ok: true, result: await this.receive(tryDecode(msg.data), msg.subject) };
    } catch (error) {
      if (!(error instanceof ForesightError)) this.deps.logger.error({ err: error }, 'transfer proposal failed');
      const body = error instanceof ForesightError ? error.toJSON() : { code: ErrorCodes.INTERNAL, message: 'An internal error occurred; it has been logged.' };
      reply = { ok: false, error: body };
    }
    if (!msg.reply) return;
    try {
      msg.respond(encode(reply));
    } catch (error) {
      this.deps.logger.warn({ err: error }, 'could not answer a transfer proposal');
    }
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
    const candidates: PlanCandidate[] = moving
      .filter((m) => target.has(m.state.shard) && target.get(m.state.shard)!.nodeId !== this.deps.membership.nodeId)
      .map((m) => {
        const all = bytesByGroup(m.state.sizes, this.deps.config.session.groups);
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
    this.metrics.bytes.inc({ kind: 'full' }, plan.fullBytes);
    for (const s of plan.sessions) for (const g of Object.values(s.groups)) this.metrics.groups.inc({ mode: g.mode, reason: g.reason });
    for (const m of moving) this.profiler.forget(m.state.id);
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
      { sessions: plan.sessions.length, immediateBytes: plan.immediateBytes, fullBytes: plan.fullBytes, owners: byOwner.size },
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
      this.received.set(id, { state: stateOf(entry), groups, epoch: this.deps.membership.ownedEpoch(entry.core.shard)!, bytes, at: now });
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
  async claim(sessionId: string, epoch: number): Promise<{ state: SessionState; groups: ReadonlySet<string> } | undefined> {
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
    return { state: entry.state, groups: entry.groups };
  }

  /** Drops received sessions of shards this node lost. */
  dropShards(shards: ReadonlySet<number>): void {
    for (const [id, entry] of this.received) {
      if (shards.has(entry.state.shard)) {
        this.received.delete(id);
        this.receivedBytes -= entry.bytes;
      }
    }
    this.metrics.held.set(this.receivedBytes);
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
