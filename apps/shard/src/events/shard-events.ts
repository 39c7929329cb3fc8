import type { AssignmentView, SessionEvent } from '@foresight/contracts';
import type { SessionState } from '@foresight/session-domain';
import type { OutboxBatch } from '@foresight/persistence';
import { TypedEmitter, type EmitterLogger } from './typed-emitter';

/**
 * What happens in a shard node that other features react to, by name. The sessions feature emits
 * the session events, membership emits `shards.lost` and `assignment.applied`; the runtime wires the listeners (publishing,
 * the predictive cache, the sessions held in memory).
 */
export interface ShardEvents {
  /** A live session rebuilt from the store on this node (first use here, takeover, back from idle). */
  'session.loaded': { readonly sessionId: string; readonly userId: string | null; readonly recentActions: readonly string[] };
  /** Events committed for a session, with their log positions; `firstVersion` is the first event's stream version. */
  'session.committed': {
    readonly sessionId: string;
    readonly events: readonly SessionEvent[];
    readonly positions: readonly number[];
    readonly firstVersion: number;
    /** The outbox row (batch) the events wait in until they are on the stream. */
    readonly outbox?: OutboxBatch;
    /** The session's state once they are applied (immutable: safe to keep). */
    readonly state: SessionState;
    /** When the commit was acknowledged by the store (ms since the epoch). */
    readonly committedAt: number;
  };
  /** An action recorded and committed (a retry recognised by its request id commits nothing, so emits nothing). */
  'action.recorded': { readonly sessionId: string; readonly action: string; readonly userId: string | null };
  /** A session's end committed (client, idle or absolute timeout). */
  'session.ended': { readonly sessionId: string };
  /** Shards this node no longer owns (moved away, lease lapsed, left the cluster). */
  'shards.lost': { readonly shards: readonly number[] };
  /** An assignment read from the metadata service and applied (every owner, every node's status). */
  'assignment.applied': { readonly view: AssignmentView };
}

/** The shard node's one in-process event bus. */
export class ShardEventBus extends TypedEmitter<ShardEvents> {
  constructor(logger: EmitterLogger) {
    super(logger);
  }
}
