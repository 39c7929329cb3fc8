/**
 * Subjects and messages of the predictive cache (issue 4). All are core NATS (no stream): the
 * broadcasts go to every shard node (no queue group), request subjects to any one node. None of
 * them overlaps the stream subjects (`<ns>.evt.…`).
 */
export interface CacheSubjects {
  /** Broadcast {@link CacheInvalidateV1}: every shard node drops the keys (no queue group). */
  readonly invalidate: string;
  /** Broadcast {@link RequirementsChangedV1} after a declaration was stored in Postgres. */
  readonly requirementsChanged: string;
  /** Request/reply to any one shard node (queue group `cache-requirements`): op in `Fs-Op`. */
  readonly requirementsRpc: string;
}

export function cacheSubjects(namespace = 'fs'): CacheSubjects {
  if (!/^[A-Za-z0-9_-]+$/.test(namespace)) throw new Error(`invalid subject namespace "${namespace}"`);
  return {
    invalidate: `${namespace}.cache.invalidate`,
    requirementsChanged: `${namespace}.cache.requirements`,
    requirementsRpc: `${namespace}.rpc.cache.requirements`,
  };
}

/** Queue group of the requirements request subject. */
export const CACHE_REQUIREMENTS_QUEUE = 'cache-requirements';

/** Most keys in one invalidation message. */
export const MAX_INVALIDATE_KEYS = 1000;

/**
 * "These keys changed": published by an origin, a back end or the gateway (`POST /v1/invalidate`)
 * on `<ns>.cache.invalidate`, MessagePack. Either `keys` (exact keys) or `pattern` (a key pattern,
 * `*` matches one or more characters, e.g. `product:*`).
 */
export interface CacheInvalidateV1 {
  readonly type: 'cache.invalidate';
  readonly version: 1;
  readonly keys?: readonly string[];
  readonly pattern?: string;
  readonly correlationId?: string;
}

/** One declared data requirement (P6): what an action pattern needs. */
export interface RequirementDeclaration {
  /** Action pattern, e.g. `view_product:{id}` (`{name}` matches one segment without `:` or `/`). */
  readonly pattern: string;
  /** Key templates filled from the action's placeholders and the session context, e.g. `product:{id}`. */
  readonly keys: readonly string[];
}

/** A declaration was stored (or, with `keys` empty, removed); every node applies it. */
export interface RequirementsChangedV1 {
  readonly type: 'cache.requirements_changed';
  readonly version: 1;
  readonly declaration: RequirementDeclaration;
  readonly correlationId?: string;
}

/** Requests on `<ns>.rpc.cache.requirements`. */
export interface CacheRequirementsCommands {
  /** Stores a declaration (replacing the pattern's previous one) and broadcasts it; empty `keys` removes it. */
  put: { readonly request: RequirementDeclaration; readonly reply: { readonly declaration: RequirementDeclaration; readonly removed: boolean } };
  /** Every stored declaration. */
  list: { readonly request: Record<string, never>; readonly reply: { readonly declarations: readonly RequirementDeclaration[] } };
}
