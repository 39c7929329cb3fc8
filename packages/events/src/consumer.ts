import { randomUUID } from 'node:crypto';
import { AckPolicy, DeliverPolicy, nanos, type ConsumerConfig, type ConsumerMessages, type JsMsg, type NatsConnection } from 'nats';
import { decodeEvent, type ProblemKind } from './decode.js';
import { EVENT_CATALOG, eventSubject, streamName, streamSubjects, type ForesightEvent, type UnknownEvent } from './events.js';
import type { ConsumerProblem, ConsumerStats, Delivery, Handler, StartAt, SubscribeOptions } from './options.js';

/** Thrown by a handler: the event can never be processed, so it is terminated at once (counted as `rejected`). */
export class RejectEvent extends Error {
  override readonly name = 'RejectEvent';
}

/** Internal: give the event back to the server now, without counting a failure (an iteration that ended). */
export class GiveBack extends Error {
  override readonly name = 'GiveBack';
}

export interface Subscription {
  /** The consumer's name on the server (the durable name, or the generated ephemeral one). */
  readonly name: string;
  readonly stream: string;
  stats(): ConsumerStats;
  /** Stops pulling; messages already pulled but not handled go back to the server at once. */
  stop(): Promise<void>;
}

const PROBLEMS: readonly (ProblemKind | 'handler_failed')[] = [
  'oversized',
  'undecodable',
  'not_an_envelope',
  'unknown_type',
  'unknown_version',
  'rejected',
  'exhausted',
  'handler_failed',
];

function deliverPolicy(start: StartAt | undefined): Partial<ConsumerConfig> {
  if (start === undefined || start === 'all') return { deliver_policy: DeliverPolicy.All };
  if (start === 'new') return { deliver_policy: DeliverPolicy.New };
  if ('sequence' in start) {
    if (!Number.isSafeInteger(start.sequence) || start.sequence < 1) throw new Error('start.sequence must be a positive integer');
    return { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: start.sequence };
  }
  const at = new Date(start.time);
  if (Number.isNaN(at.getTime())) throw new Error('start.time must be a date');
  return { deliver_policy: DeliverPolicy.StartTime, opt_start_time: at.toISOString() };
}

/** Acks, naks, terms and hooks must never throw into the loop (a closed connection, a caller's bug). */
function settle(action: () => unknown): void {
  try {
    action();
  } catch {
    /* an unsettled message is redelivered after ack_wait */
  }
}

const backoff = (attempt: number, initial: number, max: number) => Math.min(max, initial * 2 ** Math.min(attempt, 30)) * (0.5 + Math.random() / 2);

/**
 * Reads one stream with a pull consumer and explicit acks. Each decoded event of a known type and
 * version goes to its handler; the event is acked when the handler resolves, redelivered with
 * back-off when it throws, and terminated after `maxDeliver` attempts or at once on {@link RejectEvent}.
 * Anything that is not such an event is counted, reported to `onError` and acked or terminated per
 * `policy`; the consumer keeps running. The loop restarts with back-off if it ends for any reason
 * other than `stop()` (a deleted consumer, a lost connection).
 */
export async function subscribe(nc: NatsConnection, options: SubscribeOptions): Promise<Subscription> {
  const namespace = options.namespace ?? 'fs';
  const stream = streamName(namespace, options.stream);
  const name = options.durable ?? `eph-${randomUUID()}`;
  const maxInFlight = options.maxInFlight ?? 64;
  const concurrency = Math.max(1, Math.min(options.concurrency ?? 1, maxInFlight));
  const ackWaitMs = options.ackWaitMs ?? 30_000;
  const maxDeliver = options.maxDeliver ?? 10;
  const maxBytes = options.maxMessageBytes ?? 1024 * 1024;
  const poisonAction = options.policy?.poison ?? 'term';
  const unknownAction = options.policy?.unknown ?? 'ack';
  const retry = options.retryDelayMs ?? { initial: 500, max: 30_000 };
  const restart = options.restartDelayMs ?? { initial: 250, max: 10_000 };
  const types = options.types ? new Set<string>(options.types) : undefined;
  for (const t of options.types ?? []) {
    if (EVENT_CATALOG[t]?.stream !== options.stream) throw new Error(`${t} is not an event of the ${options.stream} stream`);
  }
  const filter = options.subject ?? (options.types?.length === 1 ? eventSubject(namespace, options.types[0]!) : streamSubjects(namespace, options.stream));

  const counts = { received: 0, handled: 0, skipped: 0, retried: 0, restarts: 0 };
  const problems = Object.fromEntries(PROBLEMS.map((p) => [p, 0])) as Record<ProblemKind | 'handler_failed', number>;
  const report = (problem: ConsumerProblem) => {
    if (problem.kind !== 'consumer_restarted') problems[problem.kind]++;
    if (options.onError) settle(() => options.onError!(problem));
  };
  const finish = (msg: JsMsg, action: 'ack' | 'term') => settle(() => (action === 'ack' ? msg.ack() : msg.term()));

  const deliveryOf = (msg: JsMsg): Delivery => {
    let deliveryCount = 1;
    try {
      deliveryCount = msg.info.deliveryCount;
    } catch {
      /* a message without JetStream info counts as a first delivery */
    }
    return { sequence: msg.seq, subject: msg.subject, deliveryCount };
  };

  /** Runs a handler with ack extension; resolves how the message was settled. Never rejects. */
  const runHandler = async <E extends ForesightEvent | UnknownEvent>(msg: JsMsg, event: E, handler: Handler<E>): Promise<void> => {
    const delivery = deliveryOf(msg);
    const ping = setInterval(() => settle(() => msg.working()), Math.max(1000, ackWaitMs / 3));
    try {
      await handler(event, delivery);
      counts.handled++;
      finish(msg, 'ack');
    } catch (error) {
      const where = { sequence: msg.seq, subject: msg.subject, eventId: event.id, error };
      const detail = error instanceof Error ? error.message : String(error);
      if (error instanceof GiveBack) {
        settle(() => msg.nak());
      } else if (error instanceof RejectEvent) {
        report({ kind: 'rejected', detail, action: poisonAction, ...where });
        finish(msg, poisonAction);
      } else if (delivery.deliveryCount >= maxDeliver) {
        report({ kind: 'exhausted', detail: `still failing after ${delivery.deliveryCount} deliveries: ${detail}`, action: poisonAction, ...where });
        finish(msg, poisonAction);
      } else {
        counts.retried++;
        report({ kind: 'handler_failed', detail, action: 'nak', ...where });
        settle(() => msg.nak(Math.round(backoff(delivery.deliveryCount - 1, retry.initial, retry.max))));
      }
    } finally {
      clearInterval(ping);
    }
  };

  const processMessage = async (msg: JsMsg): Promise<void> => {
    counts.received++;
    const decoded = decodeEvent(msg.data, maxBytes);
    const where = { sequence: msg.seq, subject: msg.subject };
    if (decoded.kind === 'event') {
      const handler = options.handlers[decoded.event.type] as Handler<ForesightEvent> | undefined;
      if (!handler || (types && !types.has(decoded.event.type))) {
        counts.skipped++;
        return finish(msg, 'ack');
      }
      return runHandler(msg, decoded.event, handler);
    }
    if (decoded.kind === 'unknown_type' || decoded.kind === 'unknown_version') {
      if (options.onUnknown && (!types || types.has(decoded.event.type))) {
        report({ kind: decoded.kind, detail: decoded.detail, action: 'none', eventId: decoded.event.id, ...where });
        return runHandler(msg, decoded.event, options.onUnknown);
      }
      report({ kind: decoded.kind, detail: decoded.detail, action: unknownAction, eventId: decoded.event.id, ...where });
      return finish(msg, unknownAction);
    }
    report({ kind: decoded.kind, detail: decoded.detail, action: poisonAction, ...where });
    finish(msg, poisonAction);
  };

  const jsm = await nc.jetstreamManager();
  const config: Partial<ConsumerConfig> = {
    ack_policy: AckPolicy.Explicit,
    ...deliverPolicy(options.start),
    filter_subject: filter,
    ack_wait: nanos(ackWaitMs),
    max_deliver: maxDeliver,
    // Back-pressure at the server too: no more unacked messages than the client holds.
    max_ack_pending: maxInFlight,
    ...(options.durable ? { durable_name: name } : { name, inactive_threshold: nanos(options.inactiveMs ?? 60_000) }),
  };

  /** An existing durable keeps its position (and its configuration): the server is the source of truth. */
  const ensureConsumer = async () => {
    if (options.durable) {
      try {
        await jsm.consumers.info(stream, name);
        return;
      } catch (error) {
        if (!/consumer not found/i.test(String((error as Error).message))) throw error;
      }
    }
    await jsm.consumers.add(stream, config);
  };

  let stopping = false;
  let current: ConsumerMessages | undefined;
  let wake: (() => void) | undefined;
  const inFlight = new Set<Promise<void>>();

  const consumeOnce = async () => {
    await ensureConsumer();
    const consumer = await nc.jetstream().consumers.get(stream, name);
    // A deleted consumer or stream ends the iterator (instead of a silent wait), so the loop recreates it.
    const messages = await consumer.consume({ max_messages: maxInFlight, abort_on_missing_resource: true });
    current = messages;
    if (stopping) return messages.stop();
    attempt = 0;
    for await (const msg of messages) {
      if (stopping) {
        settle(() => msg.nak());
        continue;
      }
      const task = processMessage(msg).catch((error: unknown) => {
        report({ kind: 'handler_failed', detail: String(error), action: 'nak', sequence: msg.seq, subject: msg.subject, error });
        settle(() => msg.nak());
      });
      inFlight.add(task);
      void task.finally(() => inFlight.delete(task));
      if (inFlight.size >= concurrency) await Promise.race(inFlight);
    }
  };

  // Creating the consumer is checked once up front: wrong options or missing rights reject here.
  await ensureConsumer();
  let attempt = 0;
  const loop = (async () => {
    while (!stopping) {
      try {
        await consumeOnce();
      } catch (error) {
        if (!stopping) report({ kind: 'consumer_restarted', detail: error instanceof Error ? error.message : String(error), action: 'none', error });
      }
      await Promise.allSettled([...inFlight]);
      if (stopping || nc.isClosed()) return;
      counts.restarts++;
      const delay = backoff(attempt++, restart.initial, restart.max);
      await new Promise<void>((r) => {
        const t = setTimeout(r, delay);
        wake = () => {
          clearTimeout(t);
          r();
        };
      });
    }
  })();

  return {
    name,
    stream,
    stats: () => ({ ...counts, problems: { ...problems } }),
    async stop() {
      stopping = true;
      wake?.();
      settle(() => current?.stop());
      await loop;
      await Promise.allSettled([...inFlight]);
    },
  };
}
