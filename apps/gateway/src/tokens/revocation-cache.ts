import { envelopeProblem, streamDeclarations, tokenSubjects, type TokenRevokedV1 } from '@foresight/contracts';
import { decode, describeError, supervise, useStream, type ConsumerState, type Supervised } from '@foresight/messaging';
import type { Logger } from '@foresight/observability';
import type { Clock } from '@foresight/time';
import { DeliverPolicy, type NatsConnection } from 'nats';
import { RevocationList } from './revocation-list';

export interface RevocationCacheOptions {
  readonly namespace: string;
  readonly replicas: number;
  /** How long a revocation matters: the access-token lifetime plus a margin. */
  readonly retainMs: number;
  readonly clock: Clock;
}

/**
 * The gateway's L1 revocation cache: an ordered JetStream consumer on `token.revoked`, starting
 * `retainMs` in the past, so a gateway that starts (or reconnects) knows every revocation that can
 * still matter, then follows new ones as they are published (milliseconds, well within 1 s).
 * The loop is supervised: if it ends for any reason it starts over from `retainMs` in the past
 * (applying a revocation twice is harmless), and `state()` reports it meanwhile.
 */
export class RevocationCache {
  readonly list: RevocationList;
  private loop: Supervised | null = null;
  private caughtUp = false;
  private readonly listeners: ((familyId: string, event: TokenRevokedV1) => void)[] = [];
  private pruneTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly nc: NatsConnection,
    private readonly opts: RevocationCacheOptions,
    private readonly logger: Pick<Logger, 'warn' | 'info' | 'error'>,
  ) {
    this.list = new RevocationList(opts.retainMs);
  }

  /** True once the revocations already on the stream at start have been applied. */
  get ready(): boolean {
    return this.caughtUp;
  }

  /** The consumer loop: running, or restarting since when and why. */
  state(): ConsumerState {
    return this.loop?.state() ?? { status: 'starting', since: this.opts.clock.now(), restarts: 0, failures: 0 };
  }

  onRevoked(listener: (familyId: string, event: TokenRevokedV1) => void): void {
    this.listeners.push(listener);
  }

  isRevoked(claims: { readonly jti: string }): boolean {
    return this.list.isRevoked(claims);
  }

  async start(): Promise<void> {
    const s = tokenSubjects(this.opts.namespace);
    // Declared by the metadata service, so a gateway starting before the token service can follow it.
    await useStream(this.nc, streamDeclarations(this.opts.namespace).tokens, this.opts.replicas, { logger: this.logger });
    const subject = s.tokenEvent('token.revoked');
    this.loop = supervise(
      async (ctx) => {
        const since = this.opts.clock.now() - this.opts.retainMs;
        // The last revocation already on the stream: ready once it has been applied (at once if there is none to load).
        const last = await (await this.nc.jetstreamManager()).streams.getMessage(s.tokenStream, { last_by_subj: subject }).catch(() => undefined);
        const loadUpTo = last && last.time.getTime() >= since ? last.seq : 0;
        if (loadUpTo === 0) this.caughtUp = true;
        const consumer = await this.nc.jetstream().consumers.get(s.tokenStream, {
          filterSubjects: subject, // a string: filter_subjects (plural) needs nats-server 2.10
          deliver_policy: DeliverPolicy.StartTime,
          opt_start_time: new Date(since).toISOString(),
        });
        const messages = await consumer.consume();
        ctx.onStop(() => messages.stop());
        try {
          if (ctx.stopping) return;
          ctx.running();
          for await (const msg of messages) {
            this.apply(msg.data, msg.seq);
            if (msg.seq >= loadUpTo) this.caughtUp = true;
          }
        } finally {
          messages.stop();
        }
      },
      { name: `${s.tokenStream}/revocations`, logger: this.logger, clock: this.opts.clock, connectionClosed: () => this.nc.isClosed() },
    );
    await this.loop.started;
    this.pruneTimer = setInterval(() => this.list.prune(this.opts.clock.now()), 10_000);
    this.pruneTimer.unref();
  }

  async stop(): Promise<void> {
    if (this.pruneTimer) clearInterval(this.pruneTimer);
    await this.loop?.stop();
  }

  /** Applies one message; nothing it carries can throw out of here. */
  private apply(data: Uint8Array, seq: number): void {
    try {
      const event = decode<unknown>(data);
      const problem = envelopeProblem(event);
      if (problem !== undefined) throw new Error(problem);
      const familyId = this.list.apply(event as TokenRevokedV1);
      if (familyId) for (const l of this.listeners) l(familyId, event as TokenRevokedV1);
    } catch (error) {
      this.logger.warn({ error: describeError(error), seq }, 'ignoring an unusable token.revoked message');
    }
  }
}
