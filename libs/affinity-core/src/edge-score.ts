/** What the affinity service knows of one edge, from the registry and the agents' reports. */
export interface EdgeState {
  readonly edgeId: string;
  readonly zone: string;
  /** Registered with a live lease. */
  readonly healthy: boolean;
  /** Sessions currently assigned to it. */
  readonly sessions: number;
  /** Sessions it is meant to carry at most before its score drops steeply (≥ 1). */
  readonly capacity: number;
  /** Agents' round-trip time to it, ms (request-weighted), by client zone; absent when unknown. */
  readonly rttMsByZone?: Readonly<Record<string, number>>;
  /** Share of agents' attempts that failed, 0–1. */
  readonly errorRate?: number;
}

export interface EdgeScoreOptions {
  /** RTT assumed when no agent has reported for the client's zone: same zone, other zone, ms. */
  readonly sameZoneRttMs: number;
  readonly otherZoneRttMs: number;
  /** RTT scale: an edge this many ms slower scores about e⁻¹ as much. */
  readonly rttScaleMs: number;
}

export const DEFAULT_EDGE_SCORE: EdgeScoreOptions = { sameZoneRttMs: 20, otherZoneRttMs: 100, rttScaleMs: 15 };

/** Expected RTT from a client in `clientZone` to the edge: measured when agents reported, else from zones. */
export function expectedRttMs(edge: EdgeState, clientZone: string | undefined, o: EdgeScoreOptions = DEFAULT_EDGE_SCORE): number {
  const measured = clientZone !== undefined ? edge.rttMsByZone?.[clientZone] : undefined;
  if (measured !== undefined) return measured;
  if (clientZone === undefined) return (o.sameZoneRttMs + o.otherZoneRttMs) / 2;
  return clientZone === edge.zone ? o.sameZoneRttMs : o.otherZoneRttMs;
}

/**
 * Score of an edge for a client (> 0, or 0 when it must not be chosen): fast edges score high
 * (exponential in RTT), loaded edges lower (one minus the squared load, floored), failing edges lower
 * still. Used as the weight of weighted rendezvous, so among similar edges the load spreads.
 */
export function edgeScore(edge: EdgeState, clientZone: string | undefined, o: EdgeScoreOptions = DEFAULT_EDGE_SCORE): number {
  if (!edge.healthy) return 0;
  const rtt = expectedRttMs(edge, clientZone, o);
  const load = Math.min(1, edge.sessions / Math.max(1, edge.capacity));
  const loadFactor = Math.max(0.05, 1 - load * load);
  const errorFactor = Math.max(0.01, 1 - 5 * (edge.errorRate ?? 0));
  return Math.exp(-rtt / o.rttScaleMs) * loadFactor * errorFactor;
}
