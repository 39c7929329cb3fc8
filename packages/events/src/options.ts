import type { ProblemKind } from './decode.js';
import type { EventOf, EventType, StreamKind, UnknownEvent } from './events.js';

/** Where a new consumer starts reading (an existing durable resumes where it stopped). */
export type StartAt = 'all' | 'new' | { readonly sequence: number } | { readonly time: Date | string };

/** What a handler gets beside the event. */
export interface Delivery {
  /** The event's position in its stream. */
  readonly sequence: number;
  readonly subject: string;
  /** 1 on the first delivery; more when an earlier attempt failed or was not acked in time. */
  readonly deliveryCount: number;
}

export type Handler<E> = (event: E, delivery: Delivery) => Promise<void> | void;
export type Handlers = { readonly [K in EventType]?: Handler<EventOf<K>> };

/** What happened to a message that did not reach a handler, or whose handler failed. */
export interface ConsumerProblem {
  readonly kind: ProblemKind | 'handler_failed' | 'consumer_restarted';
  readonly detail: string;
  /** What the consumer did with the message (none for a restart). */
  readonly action: 'ack' | 'term' | 'nak' | 'none';
  readonly sequence?: number;
  readonly subject?: string;
  readonly eventId?: string;
  readonly error?: unknown;
}

export interface SubscribeOptions {
  /** The stream to read. */
  readonly stream: StreamKind;
  /** Subject namespace of the cluster (default `fs`). */
  readonly namespace?: string;
  /**
   * Durable consumer name: the server keeps its position across restarts, and each event is acked
   * once processed. Omitted: an ephemeral consumer the server removes after `inactiveMs`.
   */
  readonly durable?: string;
  /**
   * Only these event types. One type filters on the server; several read the stream and ack the
   * others unhandled (nats-server 2.9 filters a consumer on one subject).
   */
  readonly types?: readonly EventType[];
  /** A raw subject filter inside the stream, instead of `types`. */
  readonly subject?: string;
  /** Where a new consumer starts (default `all`). */
  readonly start?: StartAt;
  readonly handlers: Handlers;
  /**
   * Events of a type or version this package does not know (a publisher newer than the consumer).
   * Resolving acks the event; without it they are reported and handled by `policy.unknown`.
   */
  readonly onUnknown?: Handler<UnknownEvent>;
  /** Every problem, as it happens: counted in `stats()` too. Must not throw (it is caught if it does). */
  readonly onError?: (problem: ConsumerProblem) => void;
  readonly policy?: {
    /** Undecodable, oversized, not an envelope, rejected, exhausted: `term` (default; never redelivered) or `ack`. */
    readonly poison?: 'term' | 'ack';
    /** An unknown type or version with no `onUnknown`: `ack` (default: skip it) or `term`. */
    readonly unknown?: 'ack' | 'term';
  };
  /** Messages pulled ahead of the handlers, at most (default 64): the back-pressure bound. */
  readonly maxInFlight?: number;
  /** Handlers running at once (default 1: in stream order). */
  readonly concurrency?: number;
  /** How long the server waits for an ack before redelivering (default 30 s; the consumer extends it while a handler runs). */
  readonly ackWaitMs?: number;
  /** Deliveries of one message before it counts as exhausted (default 10). */
  readonly maxDeliver?: number;
  /** Larger bodies are not decoded (default 1 MiB, nats-server's default max payload). */
  readonly maxMessageBytes?: number;
  /** An ephemeral consumer is removed this long after its subscriber went away (default 60 s). */
  readonly inactiveMs?: number;
  /** Redelivery delay after a handler failure, doubling per delivery up to `max` (default 500 ms to 30 s). */
  readonly retryDelayMs?: { readonly initial: number; readonly max: number };
  /** Restart delay of the consume loop, doubling up to `max` (default 250 ms to 10 s). */
  readonly restartDelayMs?: { readonly initial: number; readonly max: number };
}

/** Counters since the consumer started. */
export interface ConsumerStats {
  readonly received: number;
  readonly handled: number;
  /** Known events with no handler (or filtered out by `types`), acked. */
  readonly skipped: number;
  readonly retried: number;
  readonly restarts: number;
  readonly problems: Readonly<Record<ProblemKind | 'handler_failed', number>>;
}
