import type { Envelope } from '@foresight/contracts';
import { createInbox, type Msg, type NatsConnection, type NatsError, type Subscription } from 'nats';
import { encode } from './codec';
import { eventHeaders } from './jetstream';

/** What the stream answered: where it stored the message, and whether it was a duplicate it dropped. */
export interface StreamAck {
  readonly stream: string;
  readonly seq: number;
  readonly duplicate: boolean;
}

/** Why a publication was not acknowledged; the caller leaves the event where its sweep finds it. */
export class StreamPublishError extends Error {
  constructor(
    readonly reason: 'timeout' | 'no_stream' | 'refused' | 'invalid_ack' | 'closed',
    message: string,
  ) {
    super(message);
    this.name = 'StreamPublishError';
  }
}

const utf8 = new TextDecoder();

interface Waiting {
  readonly resolve: (ack: StreamAck) => void;
  readonly reject: (error: StreamPublishError) => void;
  readonly deadline: number;
}

/** The body of a JetStream publish acknowledgement (or of its refusal). */
interface PubAckBody {
  stream?: string;
  seq?: number;
  duplicate?: boolean;
  error?: { code?: number; err_code?: number; description?: string };
}

/**
 * Publishes to JetStream with one reply subscription for all publications instead of a request
 * each. nats.js's `js.publish` is a request: a reply handler, a timer armed and cancelled, and an
 * error object made when it is cancelled, per message; here a publication is one `PUB` with a
 * reply subject `<inbox>.<n>` and a map entry, and one timer per publisher expires the ones left
 * unanswered. What the stream does is the same: `Nats-Msg-Id` = the event id (a republication
 * inside the duplicate window is dropped), the same headers, and a publication counts only once the
 * stream's acknowledgement came back.
 */
export class StreamPublisher {
  private readonly prefix: string;
  private readonly sub: Subscription;
  private readonly waiting = new Map<string, Waiting>();
  private readonly sweeper: NodeJS.Timeout;
  private next = 0;
  private closed = false;

  constructor(
    private readonly nc: NatsConnection,
    /** How long an acknowledgement may take before the publication counts as failed (nats.js's default for JetStream). */
    private readonly timeoutMs = 5000,
    private readonly now: () => number = Date.now,
  ) {
    // Under the connection's own inbox prefix: a user may subscribe only to its own inbox (ADR 5).
    const inboxPrefix = (nc as unknown as { options?: { inboxPrefix?: string } }).options?.inboxPrefix;
    this.prefix = `${createInbox(inboxPrefix)}.`;
    this.sub = nc.subscribe(`${this.prefix}*`, { callback: (err, msg) => this.onReply(err, msg) });
    this.sweeper = setInterval(() => this.expire(), Math.max(50, Math.min(1000, Math.floor(timeoutMs / 4))));
    this.sweeper.unref();
  }

  /** Publications sent and not yet answered. */
  get pending(): number {
    return this.waiting.size;
  }

  /** Publishes an event as `publishEvent` does (same subject, headers and message id); resolves with the stream's acknowledgement. */
  publish(subject: string, event: Envelope): Promise<StreamAck> {
    if (this.closed || this.nc.isClosed()) return Promise.reject(new StreamPublishError('closed', 'the publisher is closed'));
    const h = eventHeaders(event);
    h.set('Nats-Msg-Id', event.id);
    const token = (this.next++).toString(36);
    return new Promise<StreamAck>((resolve, reject) => {
      this.waiting.set(token, { resolve, reject, deadline: this.now() + this.timeoutMs });
      try {
        this.nc.publish(subject, encode(event), { reply: this.prefix + token, headers: h });
      } catch (error) {
        this.waiting.delete(token);
        reject(new StreamPublishError('closed', `could not publish: ${(error as Error).message}`));
      }
    });
  }

  /** Stops taking publications; those still unanswered fail (their events stay in the outbox). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.sweeper);
    try {
      this.sub.unsubscribe();
    } catch {
      /* the connection is closed already */
    }
    this.failAll(new StreamPublishError('closed', 'the publisher closed before the stream answered'));
  }

  private onReply(err: NatsError | null, msg: Msg): void {
    if (err) {
      // The subscription ended (connection closed, permission refused): nothing will be answered.
      this.failAll(new StreamPublishError('closed', `the reply subscription ended: ${err.message}`));
      return;
    }
    const token = msg.subject.slice(this.prefix.length);
    const w = this.waiting.get(token);
    if (!w) return; // expired already, or not ours
    this.waiting.delete(token);
    if (msg.headers?.hasError) {
      const code = msg.headers.code;
      w.reject(
        code === 503
          ? new StreamPublishError('no_stream', 'no stream listens on the subject (503 no responders)')
          : new StreamPublishError('refused', `the server answered ${code} ${msg.headers.description}`),
      );
      return;
    }
    let body: PubAckBody;
    try {
      body = JSON.parse(utf8.decode(msg.data)) as PubAckBody;
    } catch {
      w.reject(new StreamPublishError('invalid_ack', 'the acknowledgement is not JSON'));
      return;
    }
    if (body.error) {
      w.reject(new StreamPublishError('refused', `the stream refused the message: ${body.error.description ?? body.error.code ?? 'unknown error'}`));
    } else if (typeof body.stream !== 'string' || body.stream === '' || typeof body.seq !== 'number') {
      w.reject(new StreamPublishError('invalid_ack', 'the acknowledgement names no stream'));
    } else {
      w.resolve({ stream: body.stream, seq: body.seq, duplicate: body.duplicate === true });
    }
  }

  private expire(): void {
    if (this.waiting.size === 0) return;
    const now = this.now();
    for (const [token, w] of this.waiting) {
      // Entries are in publication order, and every deadline is publication time + the same timeout.
      if (w.deadline > now) break;
      this.waiting.delete(token);
      w.reject(new StreamPublishError('timeout', `no acknowledgement from the stream within ${this.timeoutMs} ms`));
    }
  }

  private failAll(error: StreamPublishError): void {
    const all = [...this.waiting.values()];
    this.waiting.clear();
    for (const w of all) w.reject(error);
  }
}
