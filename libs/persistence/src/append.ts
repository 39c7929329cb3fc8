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

export interface AppendResult {
  /** Global positions of the appended events, in order. */
  readonly positions: readonly number[];
  readonly newVersion: number;
}
