import { SessionKnn, type SessionKnnOptions } from '@foresight/prediction-core';

/**
 * The session-kNN index learning online: each session's actions are appended as they are learned,
 * under the session's id in the index. The index keeps the most recent `maxSessions` sessions; ids
 * of sessions it evicted are forgotten here too (checked when the map outgrows the index).
 */
export class LiveKnn {
  readonly index: SessionKnn;
  private readonly ids = new Map<string, number>();

  constructor(options: SessionKnnOptions = {}) {
    this.index = new SessionKnn(options);
  }

  /** Learns `action` of `sessionId`; `prior` (its earlier actions) seeds a session the index does not hold. */
  learn(sessionId: string, action: number, prior: readonly number[] = []): void {
    let sid = this.ids.get(sessionId);
    if (sid === undefined || !this.index.isLive(sid)) {
      sid = this.index.open();
      this.ids.set(sessionId, sid);
      for (const a of prior) this.index.append(sid, a);
      if (this.ids.size > 2 * this.index.options.maxSessions) this.forgetEvicted();
    }
    this.index.append(sid, action);
  }

  /** The session's id in the index, or −1 when it holds none (it is then nobody's neighbour to exclude). */
  sidOf(sessionId: string): number {
    const sid = this.ids.get(sessionId);
    return sid !== undefined && this.index.isLive(sid) ? sid : -1;
  }

  private forgetEvicted(): void {
    for (const [id, sid] of this.ids) if (!this.index.isLive(sid)) this.ids.delete(id);
  }
}
