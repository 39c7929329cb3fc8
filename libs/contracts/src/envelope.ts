/**
 * Every message Foresight puts on the bus travels in this envelope.
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

// Outside this range an instant is a forgery or a bug, and Postgres could not store some of it anyway.
const EARLIEST_EVENT = Date.UTC(1970, 0, 1);
const LATEST_EVENT = Date.UTC(9999, 11, 31);
const HEADER_FIELDS = ['id', 'type', 'sessionId', 'correlationId', 'causationId'] as const;

/**
 * Why a decoded message is not an {@link Envelope}, or undefined when it is one. Checks what every
 * consumer relies on before it looks at `data`: an object with non-empty `id` and `type`, a positive
 * integer `version`, string `sessionId`, `correlationId` and `causationId` (no NUL: Postgres text
 * cannot hold it), an ISO `occurredAt` between 1970 and 9999, and an object `data`. The answer never
 * quotes the message, so it is safe to log and to put in a header.
 */
export function envelopeProblem(value: unknown): string | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return `the body is ${describeKind(value)}, not an object`;
  const e = value as Record<string, unknown>;
  for (const field of HEADER_FIELDS) {
    const v = e[field];
    if (typeof v !== 'string') return `${field} is ${describeKind(v)}, not a string`;
    if (v.includes('\u0000')) return `${field} contains a NUL character`;
  }
  if ((e.id as string).length === 0) return 'id is empty';
  if ((e.type as string).length === 0) return 'type is empty';
  if (typeof e.version !== 'number' || !Number.isSafeInteger(e.version) || e.version < 1) return 'version is not a positive integer';
  const at = typeof e.occurredAt === 'string' ? Date.parse(e.occurredAt) : Number.NaN;
  if (!Number.isFinite(at) || at < EARLIEST_EVENT || at > LATEST_EVENT) return 'occurredAt is not an ISO-8601 instant between 1970 and 9999';
  if (e.data === null || typeof e.data !== 'object' || Array.isArray(e.data)) return `data is ${describeKind(e.data)}, not an object`;
  return undefined;
}

function describeKind(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (v instanceof Uint8Array) return 'binary';
  const t = typeof v;
  return t === 'undefined' ? 'missing' : t === 'object' ? 'an object' : `a ${t}`;
}
