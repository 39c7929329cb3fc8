import {
  DEFAULT_PREDICTIVE,
  alternativeCostMs,
  expectedRttMs,
  freshStickiness,
  initialWeight,
  observe,
  plainRendezvous,
  predictiveWeight,
  route,
  ruleWeight,
  type EdgeObservation,
  type EdgeScoreOptions,
  type EdgeState,
  type StickinessState,
} from '@foresight/affinity-core';

/** What a policy knows of a session. */
export interface SessionView {
  readonly id: string;
  readonly zone: string;
}

/** What every policy sees of the edges: the registry (edges not yet noticed dead) and the agents' reports. */
export interface EdgeView {
  /** Edges in the routing view at `t` (a dead one stays until its lease runs out). */
  listed(t: number): number[];
  /** The affinity service's picture of each edge for weighted routing. */
  states(t: number): EdgeState[];
}

/** A routing policy under test. */
export interface Policy {
  readonly name: string;
  /** The edge the session's next request goes to. */
  target(s: SessionView, t: number, view: EdgeView): number;
  /** The edge the client tries after `excluded` failed it (undefined: none left). */
  fallback(s: SessionView, excluded: ReadonlySet<number>, t: number, view: EdgeView): number | undefined;
  /**
   * The request was answered by `edge`; `currentDead` when the session's edge refused the connection
   * first (the client then keeps to the edge that answered, and avoids the dead one).
   */
  served(s: SessionView, edge: number, t: number, currentDead: boolean): void;
  /** An agent's report of the session's current edge: may change the edge of its next requests. */
  report(s: SessionView, edge: number, o: EdgeObservation, t: number, view: EdgeView): void;
  /** The session ended: its state can go. */
  ended(s: SessionView): void;
}

const edgeId = (i: number) => `e${i}`;
const edgeIndex = (id: string) => Number(id.slice(1));

/** Plain round-robin over the listed edges, one counter for all requests (a load balancer's default). */
export function roundRobin(): Policy {
  let next = 0;
  return {
    name: 'round-robin',
    target: (_s, t, view) => {
      const listed = view.listed(t);
      return listed[next++ % listed.length]!;
    },
    fallback: (_s, excluded, t, view) => {
      const listed = view.listed(t).filter((e) => !excluded.has(e));
      return listed.length > 0 ? listed[next++ % listed.length] : undefined;
    },
    served: () => {},
    report: () => {},
    ended: () => {},
  };
}

/** Plain consistent hashing (rendezvous) of the session id over the listed edges. */
export function consistentHash(): Policy {
  const pick = (s: SessionView, edges: number[]) => {
    const id = plainRendezvous(s.id, edges.map(edgeId));
    return id === undefined ? undefined : edgeIndex(id);
  };
  return {
    name: 'consistent-hash',
    target: (s, t, view) => pick(s, view.listed(t))!,
    fallback: (s, excluded, t, view) =>
      pick(
        s,
        view.listed(t).filter((e) => !excluded.has(e)),
      ),
    served: () => {},
    report: () => {},
    ended: () => {},
  };
}

interface Sticky {
  edge: number;
  weight: number;
  predictive: StickinessState;
}

export interface AffinityPolicyOptions {
  readonly threshold: number;
  readonly score: EdgeScoreOptions;
}

/**
 * Foresight's weighted routing with one of two weight functions: the baseline rules (each report
 * replaces the weight) or the predictive policy (a forecast of the session's cost on its edge against
 * the best alternative). Placement, failure handling and the edge view are the same for both.
 */
export function affinityPolicy(kind: 'rules' | 'predictive', o: AffinityPolicyOptions): Policy {
  const sessions = new Map<string, Sticky>();
  const place = (s: SessionView, t: number, states: EdgeState[], current: Sticky | undefined, weight: number): Sticky | undefined => {
    const d = route({
      key: s.id,
      current: current ? edgeId(current.edge) : undefined,
      weight,
      threshold: o.threshold,
      clientZone: s.zone,
      edges: states,
      scoreOptions: o.score,
      ...(kind === 'predictive' ? { forecast: { marginMs: DEFAULT_PREDICTIVE.moveCostMs, failureCostMs: DEFAULT_PREDICTIVE.failureCostMs } } : {}),
    });
    if (d.edgeId === undefined) return current;
    if (current && !d.moved) return current;
    const e = states.find((x) => x.edgeId === d.edgeId)!;
    return {
      edge: edgeIndex(d.edgeId),
      weight: initialWeight({ zone: s.zone }, e.zone),
      predictive: freshStickiness(expectedRttMs(e, s.zone, o.score), t),
    };
  };
  return {
    name: kind,
    target: (s, t, view) => {
      const current = sessions.get(s.id);
      const next = place(s, t, view.states(t), current, current?.weight ?? 50)!;
      sessions.set(s.id, next);
      return next.edge;
    },
    fallback: (s, excluded, t, view) => {
      const states = view.states(t).map((e) => (excluded.has(edgeIndex(e.edgeId)) ? { ...e, healthy: false } : e));
      const next = place(s, t, states, sessions.get(s.id), 0);
      return next && !excluded.has(next.edge) ? next.edge : undefined;
    },
    served: (s, edge, t, currentDead) => {
      // A dead edge: the client stays with the edge that answered, which now holds the session. An
      // error (5xx) on a live edge was a retry elsewhere for this request only.
      const cur = sessions.get(s.id);
      if (currentDead && cur && cur.edge !== edge) sessions.set(s.id, { edge, weight: 50, predictive: freshStickiness(cur.predictive.rttLevel, t) });
    },
    report: (s, edge, obs, t, view) => {
      const cur = sessions.get(s.id);
      if (!cur || cur.edge !== edge) return;
      if (kind === 'rules') {
        cur.weight = ruleWeight(obs);
      } else {
        cur.predictive = observe(cur.predictive, obs, t, DEFAULT_PREDICTIVE);
        const alternative = alternativeCostMs(cur.predictive, edgeId(edge), view.states(t), s.zone, DEFAULT_PREDICTIVE, o.score);
        cur.weight = predictiveWeight(cur.predictive, alternative, DEFAULT_PREDICTIVE);
      }
    },
    ended: (s) => void sessions.delete(s.id),
  };
}
