import { Type, type Static } from '@sinclair/typebox';
import { ActionName, DataKey, ERROR_MESSAGE, SessionIdString } from './fields';
import { JsonValueSchema } from './json-value';

/** Most keys in one invalidation message. */
export const MAX_INVALIDATE_KEYS = 1000;
/** Most key templates in one requirement declaration. */
export const MAX_TEMPLATES = 64;
/** Most names in a prefetch context. */
export const MAX_CONTEXT_NAMES = 32;

/** Values for key-template placeholders (`cart:{userId}`): a flat map of short strings or numbers. */
export const PrefetchContext = Type.Record(Type.String({ pattern: '^[A-Za-z0-9_.]{1,64}$' }), Type.Union([Type.String({ maxLength: 256 }), Type.Number()]), {
  maxProperties: MAX_CONTEXT_NAMES,
  additionalProperties: false,
  description: 'Values for key-template placeholders the action does not bind (flat map)',
  example: { userId: 'u7' },
  [ERROR_MESSAGE]: `a map of at most ${MAX_CONTEXT_NAMES} names (1–64 letters, digits, _ and .) to strings of at most 256 characters or numbers`,
});

/** A data key as a path parameter. */
export const DataKeyParam = Type.String({ ...DataKey, [ERROR_MESSAGE]: `${DataKey[ERROR_MESSAGE] as string} (URL-encode "/" and "?")` });

// ---- REST bodies ----

/** `POST /v1/sessions/:id/prefetch`. */
export const PrefetchBody = Type.Object({ action: ActionName, context: Type.Optional(PrefetchContext) });

/** `PUT /v1/requirements`: what an action pattern needs; `keys: []` removes the declaration. */
export const RequirementDeclaration = Type.Object(
  {
    pattern: Type.String({
      minLength: 1,
      maxLength: 512,
      description: 'Action pattern; {name} matches one segment (no ":" or "/")',
      example: 'view_product:{id}',
    }),
    keys: Type.Array(Type.String({ minLength: 1, maxLength: 512 }), {
      maxItems: MAX_TEMPLATES,
      description: 'Key templates filled from the pattern and the session context; [] removes the declaration',
      example: ['product:{id}', 'reviews:{id}'],
      [ERROR_MESSAGE]: `a list of at most ${MAX_TEMPLATES} key templates`,
    }),
  },
  { [ERROR_MESSAGE]: 'a map {"pattern": "view_product:{id}", "keys": ["product:{id}", "reviews:{id}"]} (an empty "keys" removes the declaration)' },
);

const InvalidateKeys = Type.Array(DataKey, {
  minItems: 1,
  maxItems: MAX_INVALIDATE_KEYS,
  description: `Keys that changed (1–${MAX_INVALIDATE_KEYS})`,
  example: ['product:42'],
});
const InvalidatePattern = Type.String({
  minLength: 1,
  maxLength: 512,
  description: 'Or a key pattern ("*" matches one or more characters)',
  example: 'product:*',
});

/** `POST /v1/invalidate`: exactly one of `keys` and `pattern`. */
export const InvalidateBody = Type.Union(
  [Type.Object({ keys: InvalidateKeys, pattern: Type.Optional(Type.Never()) }), Type.Object({ pattern: InvalidatePattern, keys: Type.Optional(Type.Never()) })],
  { [ERROR_MESSAGE]: 'either {"keys": ["product:42", ...]} or {"pattern": "product:*"}, not both' },
);

/** The broadcast on `<ns>.cache.invalidate` (MessagePack). */
export const CacheInvalidateMessage = Type.Intersect([
  Type.Object({ type: Type.Literal('cache.invalidate'), version: Type.Literal(1), correlationId: Type.Optional(Type.String()) }),
  InvalidateBody,
]);

// ---- Shard commands (NATS) ----

export const DataGetCommand = Type.Object({ sessionId: SessionIdString, key: DataKey });
export const DataPrefetchCommand = Type.Object({ sessionId: SessionIdString, action: ActionName, context: Type.Optional(PrefetchContext) });
export const DataStatsCommand = Type.Object({ sessionId: SessionIdString });

// ---- Replies ----

export const DataGetReply = Type.Object({
  key: Type.String(),
  value: JsonValueSchema(),
  source: Type.Union([Type.Literal('cache'), Type.Literal('prefetched'), Type.Literal('inflight'), Type.Literal('origin')], {
    description: 'cache: read before; prefetched: first read of a prefetched value; inflight: joined a load already running; origin: loaded on demand',
  }),
  waitedMs: Type.Number({ description: 'Time this read waited for the origin, ms' }),
  servedMs: Type.Number({ description: 'Time the node spent on the request, ms' }),
  sizeBytes: Type.Integer(),
});

export const DataPrefetchReply = Type.Object({
  action: Type.String(),
  planned: Type.Array(Type.Object({ key: Type.String(), p: Type.Number() }), {
    description: 'Keys the action needs, with their weight (declared 1, learned: the confidence)',
  }),
  queued: Type.Array(Type.String(), { description: 'Keys sent to the prefetch queue (not cached, not already loading)' }),
  skipped: Type.Array(Type.Object({ template: Type.String(), reason: Type.String() }), { description: 'Templates that could not be filled, with the reason' }),
});

export const SessionCacheStats = Type.Object({
  sessionId: Type.String(),
  nodeId: Type.String(),
  live: Type.Boolean({ description: "False when the node has not seen the session's actions or reads since it started" }),
  requests: Type.Integer(),
  hits: Type.Integer(),
  joined: Type.Integer(),
  misses: Type.Integer(),
  prefetchUsed: Type.Integer(),
  prefetchRequested: Type.Integer(),
  historyLength: Type.Integer({ description: 'Recent actions the node predicts from' }),
});

const Count = Type.Integer({ minimum: 0 });

export const NodeCacheStats = Type.Object({
  nodeId: Type.String(),
  policy: Type.Union([Type.Literal('lru'), Type.Literal('lfu'), Type.Literal('foresight')]),
  prefetch: Type.Boolean(),
  budgetBytes: Count,
  usedBytes: Count,
  entries: Count,
  hits: Count,
  misses: Count,
  evictions: Count,
  expirations: Count,
  prefetchIssued: Count,
  prefetchCompleted: Count,
  prefetchUsed: Count,
  prefetchWasted: Count,
  prefetchFailed: Count,
  originLoads: Type.Integer({ minimum: 0, description: 'Loads started against origins (demand and prefetch; retries not counted)' }),
  invalidations: Count,
  invalidMessages: Count,
  liveSessions: Count,
  sessionsInMemory: Type.Optional(
    Type.Integer({ minimum: 0, description: 'Live sessions the node owns and holds in memory (loaded since it took their shard)' }),
  ),
  declaredRequirements: Count,
  learnedShapes: Count,
  modelVersion: Type.Union([Type.String(), Type.Null()], { description: 'Version of the local model copy, or null while the node has none' }),
  origins: Type.Array(
    Type.Object({
      id: Type.String(),
      pattern: Type.String(),
      kind: Type.Union([Type.Literal('http'), Type.Literal('nats')]),
      latencyEwmaMs: Type.Number(),
      breaker: Type.Union([Type.Literal('closed'), Type.Literal('open'), Type.Literal('half-open')]),
      errors: Type.Record(Type.String(), Type.Integer()),
    }),
  ),
});

/** `GET /v1/cache/stats`: each live node's counters, or why it did not answer. */
export const ClusterCacheStats = Type.Object({
  nodes: Type.Array(Type.Union([NodeCacheStats, Type.Object({ nodeId: Type.String(), error: Type.Object({ code: Type.String(), message: Type.String() }) })])),
});

export const RequirementsPutReply = Type.Object({ declaration: RequirementDeclaration, removed: Type.Boolean() });
export const RequirementsListReply = Type.Object({ declarations: Type.Array(RequirementDeclaration) });

/** `POST /v1/invalidate` (202): what was broadcast. */
export const InvalidateAccepted = Type.Object({
  accepted: Type.Literal(true),
  keys: Type.Optional(Type.Array(Type.String())),
  pattern: Type.Optional(Type.String()),
});

export type PrefetchContext = Static<typeof PrefetchContext>;
export type PrefetchBody = Static<typeof PrefetchBody>;
export type RequirementDeclaration = Static<typeof RequirementDeclaration>;
export type InvalidateBody = Static<typeof InvalidateBody>;
export type DataGetReply = Static<typeof DataGetReply>;
export type DataPrefetchReply = Static<typeof DataPrefetchReply>;
export type SessionCacheStats = Static<typeof SessionCacheStats>;
export type NodeCacheStats = Static<typeof NodeCacheStats>;
export type ClusterCacheStats = Static<typeof ClusterCacheStats>;
export type RequirementsPutReply = Static<typeof RequirementsPutReply>;
export type RequirementsListReply = Static<typeof RequirementsListReply>;
export type InvalidateAccepted = Static<typeof InvalidateAccepted>;
