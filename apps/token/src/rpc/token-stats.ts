import type { TokenStatsReply } from '@foresight/contracts';
import type { ServiceLoad } from '../schedule/service-load';

/** The `stats` op's answer: this instance's load history, the lifetime bounds and the scheduler's decisions. */
export class TokenStats {
  constructor(
    private readonly load: ServiceLoad,
    private readonly decisions: { readonly refreshed: number; readonly letExpire: number },
  ) {}

  read(): TokenStatsReply {
    const h = this.load.history();
    return {
      bucketMs: this.load.bucketMs,
      baseTtlMs: h.baseTtlMs,
      maxTtlMs: h.maxTtlMs,
      peakPredicted: h.peakPredicted,
      extendedTokens: h.extendedTokens,
      scheduler: { refreshed: this.decisions.refreshed, letExpire: this.decisions.letExpire },
      points: h.points.map((p) => ({ ...p, at: Math.max(0, Math.round(p.at)) })),
    };
  }
}
