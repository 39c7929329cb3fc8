import { Type, type Static } from '@sinclair/typebox';
import { ERROR_MESSAGE, Instant, SessionIdString, StorableText } from './fields';

/** Lock tokens: `lk_` and 22 base64url characters (128 random bits), issued by the session's owner node. */
export const LOCK_TOKEN_PATTERN = '^lk_[A-Za-z0-9_-]{22}$';
export const LockToken = Type.String({
  pattern: LOCK_TOKEN_PATTERN,
  description: 'The token a lock acquisition returned (lk_ and 22 base64url characters)',
  example: 'lk_3q2-7wAAAAAAAAAAAAAAAA',
  [ERROR_MESSAGE]: 'a lock token as returned by POST /v1/sessions/{id}/locks (lk_ and 22 base64url characters)',
});

export const LockMode = Type.Union([Type.Literal('shared'), Type.Literal('exclusive')], {
  description: 'shared: any number of holders, no writes by anyone; exclusive: one holder, and only writes carrying its token',
  [ERROR_MESSAGE]: '"shared" or "exclusive"',
});

export const LockStateName = Type.Union([Type.Literal('unlocked'), Type.Literal('shared'), Type.Literal('exclusive')]);

/** Lease length asked for; the owner caps it at LOCK_MAX_LEASE_MS. */
export const LeaseMs = Type.Integer({
  minimum: 100,
  maximum: 3_600_000,
  description: 'Lease length in ms (default LOCK_DEFAULT_LEASE_MS, capped at LOCK_MAX_LEASE_MS)',
  [ERROR_MESSAGE]: 'an integer number of milliseconds between 100 and 3600000',
});

/** Who holds a lock: a label for operators (not an identity; the token is the proof). */
export const LockHolder = StorableText(128, { description: 'A label naming the holder, shown in lock status (e.g. a worker id)' });

// ---- REST bodies ----

/** `POST /v1/sessions/:id/locks`. */
export const AcquireLockBody = Type.Object({ mode: LockMode, leaseMs: Type.Optional(LeaseMs), holder: Type.Optional(LockHolder) });
/** `POST /v1/sessions/:id/locks/renew`. */
export const RenewLockBody = Type.Object({ token: LockToken, leaseMs: Type.Optional(LeaseMs) });
/** `POST /v1/sessions/:id/locks/release`. */
export const ReleaseLockBody = Type.Object({ token: LockToken });

// ---- Shard commands (NATS) ----

export const LockAcquireCommand = Type.Composite([Type.Object({ sessionId: SessionIdString }), AcquireLockBody]);
export const LockReleaseCommand = Type.Composite([Type.Object({ sessionId: SessionIdString }), ReleaseLockBody]);
export const LockStatusCommand = Type.Object({ sessionId: SessionIdString });

/** Most renewals in one `locks.renew` batch. */
export const MAX_RENEW_BATCH = 5000;
export const LockRenewal = Type.Composite([Type.Object({ sessionId: SessionIdString }), RenewLockBody]);
export const LocksRenewCommand = Type.Object({
  renewals: Type.Array(LockRenewal, {
    minItems: 1,
    maxItems: MAX_RENEW_BATCH,
    [ERROR_MESSAGE]: `a list of 1 to ${MAX_RENEW_BATCH.toLocaleString('en-US')} renewals`,
  }),
});

// ---- Replies ----

/** A lock held: returned by acquire and renew (the token only to its holder). */
export const LockGrantView = Type.Object({
  sessionId: Type.String(),
  token: Type.String(),
  mode: LockMode,
  leaseMs: Type.Integer({ minimum: 1, description: 'The lease granted (after the cap)' }),
  expiresAt: Instant,
  /** The session's lock state after this call. */
  state: LockStateName,
});

export const LockReleaseReply = Type.Object({ released: Type.Boolean(), state: LockStateName });

/** `GET /v1/sessions/:id/locks`: the state and its holders, without tokens. */
export const LockStatusView = Type.Object({
  sessionId: Type.String(),
  state: LockStateName,
  holders: Type.Array(Type.Object({ mode: LockMode, holder: Type.Union([Type.String(), Type.Null()]), expiresAt: Instant })),
});

/** One renewal's outcome in a batch: the lock, or the error that renewal got. */
export const LockRenewOutcome = Type.Union([
  Type.Object({ ok: Type.Literal(true), lock: LockGrantView }),
  Type.Object({ ok: Type.Literal(false), error: Type.Object({ code: Type.String(), message: Type.String() }) }),
]);
export const LocksRenewReply = Type.Object({ results: Type.Array(LockRenewOutcome) });

export type LockMode = Static<typeof LockMode>;
export type LockStateName = Static<typeof LockStateName>;
export type AcquireLockBody = Static<typeof AcquireLockBody>;
export type RenewLockBody = Static<typeof RenewLockBody>;
export type ReleaseLockBody = Static<typeof ReleaseLockBody>;
export type LockRenewal = Static<typeof LockRenewal>;
export type LockGrantView = Static<typeof LockGrantView>;
export type LockReleaseReply = Static<typeof LockReleaseReply>;
export type LockStatusView = Static<typeof LockStatusView>;
export type LockRenewOutcome = Static<typeof LockRenewOutcome>;
export type LocksRenewReply = Static<typeof LocksRenewReply>;
