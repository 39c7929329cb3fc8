/**
 * Every message Foresight puts on the bus travels in this envelope (STYLE.md §4).
 * `type` + `version` identify the schema; consumers switch on them, never on class names.
 */
export interface Envelope<TType extends string = string, TVersion extends number = number, TData = unknown> {
  /** Unique event id (UUID v4). Also the JetStream `Nats-Msg-Id`, so redelivery deduplicates. */
  readonly id: string;
  readonly type: TType;
  readonly version: TVersion;
  /** The session the event belongs to ("" for cluster-level events). */
  readonly sessionId: string;
  /** ISO-8601 instant at which the change was decided. */
  readonly occurredAt: string;
  /** The request that caused this, end to end (enters at the gateway). */
  readonly correlationId: string;
  /** The id of the message that directly caused this one (the command id, or a parent event id). */
  readonly causationId: string;
  readonly data: TData;
}

/** Metadata carried by every command and copied into the events it causes. */
export interface MessageContext {
  readonly correlationId: string;
  readonly causationId: string;
}
