/**
 * Input limits at the system's edges, defined once. They are sized for the message bus: every
 * request a client sends travels on as one NATS message, so what the gateway accepts must fit
 * NATS's max_payload (1 MiB unless the server raises it) with room for the RPC envelope.
 */
export const Limits = {
  /** nats-server's default max_payload; NATS_MAX_PAYLOAD_BYTES defaults to it. */
  natsDefaultMaxPayloadBytes: 1024 * 1024,
  /** Room kept for what travels with a body: NATS headers, the command's other fields, MessagePack framing. */
  rpcEnvelopeBytes: 64 * 1024,
  /** JSON nesting (objects and arrays together, the request envelope included); checked before anything recursive runs. */
  jsonMaxDepth: 64,
  /** Members of one JSON object. */
  jsonMaxKeysPerObject: 10_000,
  /** Object members in a whole JSON body. */
  jsonMaxKeysTotal: 100_000,
  /** Session ids on the wire (issued ones are 32 characters). */
  sessionIdLength: 64,
  /** User ids: stored in Postgres text columns and carried in tokens. */
  userIdLength: 256,
  /** State group names. */
  groupNameLength: 32,
  /** Session variable names (the shard's VARIABLE_NAME pattern allows this many). */
  variableNameLength: 128,
  /** Data keys of the predictive cache. */
  dataKeyLength: 512,
  /** Correlation and causation ids: longer ones are replaced, so no caller can bloat every event. */
  correlationIdLength: 128,
} as const;

/**
 * Longest path parameter the HTTP router accepts: the longest documented parameter (a data key)
 * with every character percent-encoded.
 */
export const MAX_PATH_PARAM_LENGTH = 3 * Math.max(Limits.dataKeyLength, Limits.variableNameLength);

const VISIBLE_ASCII = /^[\x21-\x7e]+$/;

/** A correlation or causation id worth keeping: 1–128 visible ASCII characters (no spaces, no control characters). */
export function isTraceId(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= Limits.correlationIdLength && VISIBLE_ASCII.test(value);
}
