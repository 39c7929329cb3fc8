import type { Static } from '@sinclair/typebox';
import { CacheInvalidateMessage, RequirementDeclaration, RequirementsListReply, RequirementsPutReply } from './schemas/cache';
import { EmptyRequest } from './schemas/fields';
import type { CommandTypes } from './shard-commands';

/**
 * Subjects and messages of the predictive cache. All are core NATS (no stream): the
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

/**
 * "These keys changed": published by an origin, a back end or the gateway (`POST /v1/invalidate`)
 * on `<ns>.cache.invalidate`, MessagePack. Either `keys` (exact keys) or `pattern` (a key pattern,
 * `*` matches one or more characters, e.g. `product:*`).
 */
export type CacheInvalidateV1 = Static<typeof CacheInvalidateMessage>;

/** A declaration was stored (or, with `keys` empty, removed); every node applies it. */
export interface RequirementsChangedV1 {
  readonly type: 'cache.requirements_changed';
  readonly version: 1;
  readonly declaration: RequirementDeclaration;
  readonly correlationId?: string;
}

/** Requests on `<ns>.rpc.cache.requirements`. */
export const CacheRequirementsCommandSchemas = {
  /** Stores a declaration (replacing the pattern's previous one) and broadcasts it; empty `keys` removes it. */
  put: { request: RequirementDeclaration, reply: RequirementsPutReply },
  /** Every stored declaration. */
  list: { request: EmptyRequest, reply: RequirementsListReply },
} as const;

export type CacheRequirementsCommands = CommandTypes<typeof CacheRequirementsCommandSchemas>;
