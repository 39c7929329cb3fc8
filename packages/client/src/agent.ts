import type { AgentReportBody } from './generated/contract.js';

export type AgentGatewayStats = AgentReportBody['gateways'][number];

/** RTT histogram: bucket i holds [FIRST·GROWTH^(i-1), FIRST·GROWTH^i) ms; 0 holds less than FIRST. */
const BUCKETS = 64;
const FIRST_MS = 0.05;
const GROWTH = 1.2;
const LOG_GROWTH = Math.log(GROWTH);

function bucketOf(ms: number): number {
  if (!(ms >= FIRST_MS)) return 0;
  return Math.min(BUCKETS - 1, 1 + Math.floor(Math.log(ms / FIRST_MS) / LOG_GROWTH));
}

/** A representative value of a bucket: the geometric middle of its bounds. */
function bucketValue(i: number): number {
  if (i === 0) return FIRST_MS / 2;
  return FIRST_MS * GROWTH ** (i - 0.5);
}

interface Slot {
  /** Which slot period this slot currently holds (floor(now / slotMs)). */
  period: number;
  requests: number;
  errors: number;
  answered: number;
  sumMs: number;
  readonly histogram: Uint32Array;
}

export interface AgentOptions {
  /** The rolling window: `slots` slots of `slotMs`. Memory is fixed: slots × 64 counters per gateway. */
  readonly slotMs: number;
  readonly slots: number;
  /** Most gateways measured; further ones are not recorded. */
  readonly maxGateways: number;
  readonly now: () => number;
}

export const DEFAULT_AGENT_OPTIONS: Omit<AgentOptions, 'now'> = { slotMs: 5000, slots: 12, maxGateways: 16 };

/**
 * Measures, per gateway, the round-trip time of each attempt, the share that failed (no
 * connection, a timeout, a 5xx) and the attempts per second, over a rolling window of fixed memory.
 */
export class AgentMeter {
  private readonly options: AgentOptions;
  private readonly gateways = new Map<string, Slot[]>();
  private readonly startedAt: number;

  constructor(options: Partial<AgentOptions> = {}) {
    const given = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as Partial<AgentOptions>;
    this.options = { ...DEFAULT_AGENT_OPTIONS, now: () => Date.now(), ...given };
    this.startedAt = this.options.now();
  }

  get windowMs(): number {
    return this.options.slotMs * this.options.slots;
  }

  /** One attempt to `gateway`: `rttMs` until its answer (or failure), and whether it failed. */
  record(gateway: string, rttMs: number, failed: boolean): void {
    let slots = this.gateways.get(gateway);
    if (!slots) {
      if (this.gateways.size >= this.options.maxGateways) return;
      slots = Array.from({ length: this.options.slots }, () => ({
        period: -1,
        requests: 0,
        errors: 0,
        answered: 0,
        sumMs: 0,
        histogram: new Uint32Array(BUCKETS),
      }));
      this.gateways.set(gateway, slots);
    }
    const period = Math.floor(this.options.now() / this.options.slotMs);
    const slot = slots[period % this.options.slots]!;
    if (slot.period !== period) {
      slot.period = period;
      slot.requests = slot.errors = slot.answered = slot.sumMs = 0;
      slot.histogram.fill(0);
    }
    slot.requests += 1;
    if (failed) {
      slot.errors += 1;
      return;
    }
    slot.answered += 1;
    slot.sumMs += rttMs;
    slot.histogram[bucketOf(rttMs)]! += 1;
  }

  /** What the window holds for each gateway. */
  snapshot(): AgentGatewayStats[] {
    const now = this.options.now();
    const current = Math.floor(now / this.options.slotMs);
    const covered = Math.max(1, Math.min(this.windowMs, now - this.startedAt));
    const out: AgentGatewayStats[] = [];
    for (const [gateway, slots] of this.gateways) {
      const histogram = new Array<number>(BUCKETS).fill(0);
      let requests = 0;
      let errors = 0;
      let answered = 0;
      let sumMs = 0;
      for (const s of slots) {
        if (s.period < 0 || current - s.period >= this.options.slots) continue;
        requests += s.requests;
        errors += s.errors;
        answered += s.answered;
        sumMs += s.sumMs;
        for (let i = 0; i < BUCKETS; i++) histogram[i]! += s.histogram[i]!;
      }
      const quantile = (q: number): number => {
        if (answered === 0) return 0;
        const rank = Math.ceil(q * answered);
        let seen = 0;
        for (let i = 0; i < BUCKETS; i++) {
          seen += histogram[i]!;
          if (seen >= rank) return round(bucketValue(i));
        }
        return round(bucketValue(BUCKETS - 1));
      };
      out.push({
        gateway,
        requests,
        errors,
        throughputRps: round((requests * 1000) / covered),
        rttMs: { mean: answered > 0 ? round(sumMs / answered) : 0, p50: quantile(0.5), p90: quantile(0.9), p99: quantile(0.99) },
      });
    }
    return out;
  }

  /** The body of `POST /v1/agent/reports`. */
  report(clientId: string, sdk: string): AgentReportBody {
    return { clientId, sdk, windowMs: this.windowMs, gateways: this.snapshot() };
  }
}

const round = (v: number) => Math.min(3_600_000, Math.round(v * 1000) / 1000);
