import type { Envelope } from './envelope';

/** Why a session is on its edge. */
export type AffinityRouteReason = 'new' | 'kept' | 'edge-down' | 'low-weight' | 'weight-set';

/**
 * A session's affinity record changed (assigned, moved, or its weight changed). `version` grows by
 * one per change of the record, so a cache keeps the highest it has seen and ignores older ones.
 */
export type SessionRoutedV1 = Envelope<
  'affinity.session_routed',
  1,
  {
    readonly clientId: string | null;
    readonly edgeId: string;
    readonly weight: number;
    readonly recordVersion: number;
    readonly leaseExpiresAt: string;
    readonly reason: AffinityRouteReason;
  }
>;

/** An edge joined, came back, left or was found dead (its lease ran out). `sessionId` is "". */
export type EdgeChangedV1 = Envelope<
  'affinity.edge_changed',
  1,
  {
    readonly edgeId: string;
    readonly url: string;
    readonly zone: string;
    readonly status: 'up' | 'left' | 'dead';
  }
>;

export type AffinityEvent = SessionRoutedV1 | EdgeChangedV1;
export type AffinityEventType = AffinityEvent['type'];
export const AFFINITY_EVENT_TYPES: readonly AffinityEventType[] = ['affinity.session_routed', 'affinity.edge_changed'];
