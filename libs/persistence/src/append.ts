import type { SessionEvent } from '@foresight/contracts';

/** One append: the events of one decision, for one session, fenced by the shard's epoch. */
export interface AppendRequest {
  readonly sessionId: string;
  readonly shard: number;
  /** Epoch of the shard lease the writer holds; refused if the shard has moved on. */
  readonly epoch: number;
  /** Version the session is at before these events (0 for a new session). */
  readonly expectedVersion: number;
  readonly events: readonly SessionEvent[];
}

/**
 * The outbox row an append's events were recorded in: one per group-commit batch (statement or
 * transaction), named by the batch's lowest position on its partition server.
 */
export interface OutboxBatch {
  /** The partition (shard range) whose server holds the row: positions are per server. */
  readonly partition: string;
  /** The row's key: the lowest position the batch was given. */
  readonly batch: number;
  /** Events in the batch, over all its appends: the row can go once that many are on the stream. */
  readonly events: number;
}

export interface AppendResult {
  /** Global positions of the appended events, in order. */
  readonly positions: readonly number[];
  readonly newVersion: number;
  /** Where the events wait for publication (absent when there were none). */
  readonly outbox?: OutboxBatch;
}
