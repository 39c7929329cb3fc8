import type { NodeFailureSignal } from '@foresight/contracts';

/** What one probe of a node's serving subject found. */
export type ProbeOutcome =
  /** The registered incarnation answered. */
  | 'answered'
  /** NATS said nobody is subscribed to the node's subject: the node cannot receive a request. */
  | 'no_responders'
  /** No answer in time, or another incarnation answered: the registered one may still be alive. */
  | 'silent'
  /** The probe proves nothing either way (this instance's own connection failed). */
  | 'inconclusive';

/** Try to declare the node dead if it has not heartbeated for `silentMs`. */
export interface Verdict {
  readonly signal: NodeFailureSignal;
  readonly silentMs: number;
}

interface Suspicion {
  /** When the first failed probe of the current run of failures was sent. */
  readonly since: number;
  /** Consecutive "no responders" answers, and when the one before the latest was sent. */
  noResponders: number;
  previousNoResponders: number;
  lastNoResponders: number;
}

/**
 * Turns probe outcomes into verdicts; pure, so the rules are tested without a cluster.
 *
 * - Twice "no responders" in a row: the node is not subscribed to the subject it serves on, so it
 *   can serve nothing. It may be declared dead if it has not heartbeated since the first of the two
 *   probes was sent (a node resubscribes when it reconnects, and serves again only after a heartbeat
 *   sent since, which would show),
 *   nor for `minSilenceMs` — a heartbeat missed — so a node shutting down, which closes its subject
 *   first and heartbeats until it leaves, keeps its shards until it hands them over.
 * - No answer for `suspectAfterMs`: a frozen or cut-off node. It may be declared dead if it has not
 *   heartbeated for `suspectAfterMs` either; a node stops serving that long after its last
 *   acknowledged heartbeat, so by then it has stopped by itself.
 *
 * A node that still heartbeats is never declared dead here, whatever its probes say.
 */
export class SuspicionTracker {
  private readonly suspects = new Map<string, Suspicion>();

  constructor(
    private readonly suspectAfterMs: number,
    private readonly minSilenceMs: number,
  ) {}

  /** A probe sent at `sentAt` came back with `outcome` at `now`. */
  record(node: string, outcome: ProbeOutcome, sentAt: number, now: number): Verdict | null {
    if (outcome === 'inconclusive') return null;
    if (outcome === 'answered') {
      this.suspects.delete(node);
      return null;
    }
    let s = this.suspects.get(node);
    if (!s) {
      s = { since: sentAt, noResponders: 0, previousNoResponders: sentAt, lastNoResponders: sentAt };
      this.suspects.set(node, s);
    }
    if (outcome === 'no_responders') {
      s.previousNoResponders = s.noResponders === 0 ? sentAt : s.lastNoResponders;
      s.lastNoResponders = sentAt;
      s.noResponders++;
    } else {
      s.noResponders = 0;
    }
    const failingFor = now - s.since;
    if (s.noResponders >= 2) return { signal: 'no_responders', silentMs: Math.max(this.minSilenceMs, now - s.previousNoResponders) };
    if (failingFor >= this.suspectAfterMs) return { signal: 'silent', silentMs: this.suspectAfterMs };
    return null;
  }

  /** How many consecutive "no responders" answers `node` has given (0 when it is not suspected). */
  noRespondersOf(node: string): number {
    return this.suspects.get(node)?.noResponders ?? 0;
  }

  /** Forgets every node not in `live` (declared dead, left, or re-registered under another incarnation). */
  keepOnly(live: ReadonlySet<string>): void {
    for (const node of this.suspects.keys()) if (!live.has(node)) this.suspects.delete(node);
  }

  clear(): void {
    this.suspects.clear();
  }

  get size(): number {
    return this.suspects.size;
  }
}
