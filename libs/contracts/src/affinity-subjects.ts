/**
 * Subjects and the stream of the affinity service. Request subjects (`<ns>.rpc.affinity.…`) never
 * overlap stream subjects (`<ns>.evt.affinity.…`). An edge's membership requests carry its edge id in
 * the subject (`<ns>.rpc.affinity.edge.<edgeId>.<op>`), as a shard node's do.
 */
export interface AffinitySubjects {
  /** Affinity events: `<ns>.evt.affinity.<kind>`, for `type` = `affinity.<kind>`. */
  affinityEvent(type: string): string;
  readonly affinityEventsWildcard: string;
  /** Requests any affinity instance answers (queue group `affinity`). */
  affinityRpc(op: AffinityOp): string;
  /** An edge's membership request. */
  edgeRpc(edgeId: string, op: EdgeMembershipOp): string;
  edgeRpcWildcard(op: EdgeMembershipOp): string;
  /** The edge id of a membership subject, or undefined when `subject` is not one for `op`. */
  edgeIdOfMembership(subject: string, op: EdgeMembershipOp): string | undefined;
  /** Stream `<NS>_AFFINITY`. */
  readonly affinityStream: string;
}

/**
 * `route`: the session's edge (assigning one when needed); `report`: an agent report forwarded by an
 * edge; `weight`: set a weight; `view`: edges and settings; `record`: read a session's record (never assigns).
 */
export type AffinityOp = 'route' | 'report' | 'weight' | 'view' | 'record';
export const AFFINITY_OPS: readonly AffinityOp[] = ['route', 'report', 'weight', 'view', 'record'];
export type EdgeMembershipOp = 'register' | 'heartbeat' | 'leave';
export const EDGE_MEMBERSHIP_OPS: readonly EdgeMembershipOp[] = ['register', 'heartbeat', 'leave'];

export const AFFINITY_STREAM_MAX_AGE_MS = 86_400_000;
export const AFFINITY_STREAM_DUPLICATE_WINDOW_MS = 120_000;

const NAME = /^[A-Za-z0-9_-]+$/;

export function affinitySubjects(namespace = 'fs'): AffinitySubjects {
  if (!NAME.test(namespace)) throw new Error(`invalid subject namespace "${namespace}"`);
  const membership = `${namespace}.rpc.affinity.edge.`;
  return {
    affinityEvent: (type) => `${namespace}.evt.${type}`,
    affinityEventsWildcard: `${namespace}.evt.affinity.>`,
    affinityRpc: (op) => `${namespace}.rpc.affinity.${op}`,
    edgeRpc: (edgeId, op) => {
      if (!NAME.test(edgeId) || edgeId.length > 64) throw new Error(`invalid edge id "${edgeId}"`);
      return `${membership}${edgeId}.${op}`;
    },
    edgeRpcWildcard: (op) => `${membership}*.${op}`,
    edgeIdOfMembership: (subject, op) => {
      const suffix = `.${op}`;
      if (!subject.startsWith(membership) || !subject.endsWith(suffix)) return undefined;
      const edgeId = subject.slice(membership.length, subject.length - suffix.length);
      return NAME.test(edgeId) && edgeId.length <= 64 ? edgeId : undefined;
    },
    affinityStream: `${namespace.toUpperCase().replace(/-/g, '_')}_AFFINITY`,
  };
}
