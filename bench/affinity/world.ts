import { fmix32, fnv1a32 } from '@foresight/hashing';
import type { Rng } from '@foresight/random';

/** Something that happens to one edge during the replay. */
export interface EdgeEvent {
  readonly kind: 'kill' | 'degrade';
  readonly edge: number;
  readonly start: number;
  readonly end: number;
}

export interface WorldOptions {
  readonly edges: number;
  readonly zones: number;
  readonly sameZoneRttMs: number;
  readonly otherZoneRttMs: number;
  readonly kills: number;
  readonly degradations: number;
  /** Degradation: RTT multiplier reached and error rate reached, and how long the ramp takes (share of the event). */
  readonly degradeRttFactor: number;
  readonly degradeErrorRate: number;
  /** Failure rate of a healthy edge. */
  readonly baseErrorRate: number;
}

export const WORLD_DEFAULTS = { degradeRttFactor: 4, degradeErrorRate: 0.08, baseErrorRate: 0.002 } as const;

/** A deterministic number in (0, 1) from two strings (a client and an edge). */
function unit(a: string, b: string): number {
  return (fmix32(fnv1a32(a) ^ fmix32(fnv1a32(b) + 0x9e3779b9)) + 0.5) / 4294967296;
}

/** A standard normal deviate, fixed per pair of strings (Box–Muller over two hashed uniforms). */
function normal(a: string, b: string): number {
  return Math.sqrt(-2 * Math.log(unit(a, b))) * Math.cos(2 * Math.PI * unit(b, a));
}

/**
 * The simulated network: edges spread over zones in turn, each client in a zone, a client's base RTT
 * to an edge log-normal around the same-zone or other-zone median (fixed per client and edge), and
 * the events placed over the trace's span: kills (the edge is gone until the event ends) and
 * degradations (RTT ramps up to ×factor and errors to the configured rate over the first half, then
 * stays until the end).
 */
export class World {
  readonly edgeZones: string[];
  readonly events: EdgeEvent[];
  private readonly zoneShares: number[];

  constructor(
    readonly o: WorldOptions,
    span: { readonly start: number; readonly end: number },
    rng: Rng,
  ) {
    this.edgeZones = Array.from({ length: o.edges }, (_, i) => `z${i % o.zones}`);
    // Zones are unequal, as real traffic is: shares ∝ 1, 1/2, 1/3 …
    const raw = Array.from({ length: o.zones }, (_, i) => 1 / (i + 1));
    const sum = raw.reduce((a, b) => a + b, 0);
    this.zoneShares = raw.map((x) => x / sum);
    const order = Array.from({ length: o.edges }, (_, i) => i);
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(rng() * (i + 1));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    const len = span.end - span.start;
    this.events = [];
    for (let k = 0; k < o.kills; k++) {
      const start = span.start + Math.round(len * ((k + 1) / (o.kills + 1)) * 0.9);
      this.events.push({ kind: 'kill', edge: order[k]!, start, end: start + Math.round(len * 0.15) });
    }
    for (let k = 0; k < o.degradations; k++) {
      const start = span.start + Math.round(len * ((k + 0.5) / (o.degradations + 1)));
      this.events.push({ kind: 'degrade', edge: order[o.kills + k]!, start, end: start + Math.round(len * 0.25) });
    }
  }

  /** The zone of a client, stable per client key. */
  clientZone(clientKey: string): string {
    let u = unit(clientKey, 'zone');
    for (let z = 0; z < this.zoneShares.length; z++) {
      u -= this.zoneShares[z]!;
      if (u <= 0) return `z${z}`;
    }
    return `z${this.zoneShares.length - 1}`;
  }

  alive(edge: number, t: number): boolean {
    for (const e of this.events) if (e.kind === 'kill' && e.edge === edge && t >= e.start && t < e.end) return false;
    return true;
  }

  /** When the edge died, if it is dead at `t`. */
  diedAt(edge: number, t: number): number | undefined {
    for (const e of this.events) if (e.kind === 'kill' && e.edge === edge && t >= e.start && t < e.end) return e.start;
    return undefined;
  }

  /** How far into its degradation an edge is at `t`: 0 (healthy) to 1 (fully degraded). */
  private degradation(edge: number, t: number): number {
    let d = 0;
    for (const e of this.events) {
      if (e.kind !== 'degrade' || e.edge !== edge || t < e.start || t >= e.end) continue;
      const ramp = (e.end - e.start) / 2;
      d = Math.max(d, Math.min(1, (t - e.start) / ramp));
    }
    return d;
  }

  /**
   * The client's RTT to the edge at `t` without jitter, ms: its last mile (log-normal per client,
   * 40 % of the same-zone median, the same whichever edge it talks to) plus the path to the edge
   * (log-normal per client and edge around the rest of the zone's median), times the edge's degradation.
   */
  rttMs(clientKey: string, clientZone: string, edge: number, t: number): number {
    const lastMileMedian = 0.4 * this.o.sameZoneRttMs;
    const median = clientZone === this.edgeZones[edge] ? this.o.sameZoneRttMs : this.o.otherZoneRttMs;
    const lastMile = lastMileMedian * Math.exp(0.8 * normal(clientKey, 'last-mile'));
    const path = Math.max(0, median - lastMileMedian) * Math.exp(0.2 * normal(clientKey, `e${edge}`));
    return (lastMile + path) * (1 + (this.o.degradeRttFactor - 1) * this.degradation(edge, t));
  }

  errorRate(edge: number, t: number): number {
    return this.o.baseErrorRate + (this.o.degradeErrorRate - this.o.baseErrorRate) * this.degradation(edge, t);
  }
}
