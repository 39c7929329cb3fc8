import { envelopeProblem, ErrorCodes, ForesightError, Headers, type Envelope } from '@foresight/contracts';
import { backoffDelay, type BackoffOptions, type Clock } from '@foresight/time';
import {
  AckPolicy,
  DeliverPolicy,
  headers as natsHeaders,
  nanos,
  RetentionPolicy,
  StorageType,
  type ConsumerMessages,
  type JetStreamClient,
  type JsMsg,
  type MsgHdrs,
  type NatsConnection,
  type PubAck,
} from 'nats';
import type { Registry } from 'prom-client';
import { decode, encode } from './codec';
import { describeError, supervise, type ConsumerState, type SupervisorLogger } from './consumer-supervisor';
import { consumerMetrics, publishDeadLetter, type PoisonReason } from './dead-letter';

export interface StreamSpec {
  readonly name: string;
  readonly subjects: readonly string[];
  readonly replicas: number;
  /** How long events stay on the stream (Postgres keeps them for ever). */
  readonly maxAgeMs: number;
  /** Window in which a repeated Nats-Msg-Id is dropped as a duplicate. */
  readonly duplicateWindowMs: number;
}

/** Creates the stream, or updates it to match the spec: declared in code, idempotent. */
export async function ensureStream(nc: NatsConnection, spec: StreamSpec): Promise<void> {
  const jsm = await nc.jetstreamManager();
  const config = {
    name: spec.name,
    subjects: [...spec.subjects],
    num_replicas: spec.replicas,
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    max_age: nanos(spec.maxAgeMs),
    duplicate_window: nanos(spec.duplicateWindowMs),
  };
  try {
    await jsm.streams.info(spec.name);
    await jsm.streams.update(spec.name, config);
  } catch (error) {
    if ((error as { code?: string }).code === '404' || /stream not found/i.test(String((error as Error).message))) {
      await jsm.streams.add(config);
    } else {
      throw error;
    }
  }
}

/**
 * Publishes a committed event with Nats-Msg-Id = event id: a republish after a crash or a
 * retry is dropped by the stream's duplicate window, so consumers see each event once.
 */
export async function publishEvent(js: JetStreamClient, subject: string, event: Envelope): Promise<PubAck> {
  return js.publish(subject, encode(event), { msgID: event.id, headers: eventHeaders(event) });
}

/** The headers every published event carries (type, version, correlation and session ids); the message id is set by the publisher. */
export function eventHeaders(event: Envelope): MsgHdrs {
  const h = natsHeaders();
  h.set(Headers.eventType, event.type);
  h.set(Headers.eventVersion, String(event.version));
  h.set(Headers.correlationId, event.correlationId);
  if (event.sessionId) h.set(Headers.sessionId, event.sessionId);
  return h;
}

/** A failure worth retrying later (nak with delay) rather than a poison message (term). */
function isTransient(error: unknown): boolean {
  if (error instanceof ForesightError) {
    return error.code === ErrorCodes.UNAVAILABLE || error.code === ErrorCodes.TIMEOUT || error.code === ErrorCodes.INTERNAL;
  }
  return true;
}

export interface ConsumerSpec {
  readonly stream: string;
  readonly durable: string;
  readonly filterSubject?: string;
  readonly ackWaitMs?: number;
  readonly maxDeliver?: number;
  readonly deliverNew?: boolean;
  /** Where terminated messages are copied: `subjects(ns).deadLetter(durable)`, outside every stream. */
  readonly deadLetterSubject: string;
}

export type ConsumerLogger = SupervisorLogger;

export interface RunningConsumer {
  /** Running, or starting/restarting since when and why; feed it to `consumerHealthProbe`. */
  state(): ConsumerState;
  stop(): Promise<void>;
}

export interface PullConsumerOptions {
  /** Registry for the poison, restart and up series (see `consumerMetrics`). */
  readonly metrics?: Registry;
  /** Restart backoff: first delay and cap, in ms (default 250 ms, 10 s; with jitter). */
  readonly restartDelayMs?: { readonly initial: number; readonly max: number };
  /** Stamps the consumer's state (default the system clock). */
  readonly clock?: Clock;
}

/** Redelivery delay of a transient failure, by delivery: 0.5 s doubling to 30 s, jittered so a burst of failures does not come back at once. */
const NAK_BACKOFF: BackoffOptions = { baseMs: 500, maxMs: 30_000, jitter: 'equal' };

/**
 * Runs a durable pull consumer with explicit acks: `ack()` after `handle` resolved
 * (the work is committed), `nak(delay)` on a transient failure. The handler only ever sees a
 * decoded {@link Envelope}; anything else, and anything the handler rejects (or that still fails on
 * its last delivery), is poison: `term()`, counted, logged and copied to the dead-letter subject.
 * The loop is supervised: if it ends for any reason it is started again with backoff, and
 * `state()` says so until it runs. Resolves once the first attempt consumes or has failed; a
 * consumer whose stream does not exist yet keeps trying in the background.
 */
export async function runPullConsumer<T extends Envelope>(
  nc: NatsConnection,
  spec: ConsumerSpec,
  handle: (event: T, msg: JsMsg) => Promise<void>,
  logger: ConsumerLogger,
  options: PullConsumerOptions = {},
): Promise<RunningConsumer> {
  const ackWaitMs = spec.ackWaitMs ?? 30_000;
  const maxDeliver = spec.maxDeliver ?? 20;
  const metrics = consumerMetrics(options.metrics, spec.stream, spec.durable);
  metrics.up(false);
  const where = { stream: spec.stream, durable: spec.durable };
  const say = (level: 'warn' | 'error', obj: object, text: string) => {
    try {
      logger[level]({ ...where, ...obj }, text);
    } catch {
      /* a logger failure must not end the loop */
    }
  };

  const poison = (msg: JsMsg, reason: PoisonReason, detail: string, eventId?: string) => {
    settle(() => msg.term());
    settle(() => metrics.poison(reason));
    settle(() =>
      say('warn', { seq: msg.seq, subject: msg.subject, reason, detail, ...(eventId ? { eventId } : {}) }, 'poison message terminated and dead-lettered'),
    );
    if (!publishDeadLetter(nc, spec.deadLetterSubject, msg, { reason, detail, ...where })) {
      settle(() => say('warn', { seq: msg.seq, deadLetterSubject: spec.deadLetterSubject }, 'could not copy a poison message to the dead-letter subject'));
    }
  };

  // Never rejects: every failure a message can cause ends in ack, nak or term.
  const processMessage = async (msg: JsMsg): Promise<void> => {
    let value: unknown;
    try {
      value = decode<unknown>(msg.data);
    } catch (error) {
      return poison(msg, 'undecodable', describeError(error));
    }
    let problem: string | undefined;
    try {
      problem = envelopeProblem(value);
    } catch (error) {
      problem = describeError(error);
    }
    if (problem !== undefined) return poison(msg, 'not_an_envelope', problem);
    const event = value as T;
    const ping = setInterval(() => settle(() => msg.working()), Math.max(1000, ackWaitMs / 3));
    try {
      await handle(event, msg);
      settle(() => msg.ack());
    } catch (error) {
      const detail = describeError(error);
      const deliveries = deliveryCount(msg);
      if (!isTransient(error)) {
        poison(msg, 'rejected', detail, event.id);
      } else if (deliveries >= maxDeliver) {
        poison(msg, 'exhausted', `still failing after ${deliveries} deliveries: ${detail}`, event.id);
      } else {
        const delay = Math.round(backoffDelay(Math.max(0, deliveries - 1), NAK_BACKOFF, Math.random));
        say('warn', { err: error, seq: msg.seq, eventId: event.id, delay }, 'transient failure; will retry');
        settle(() => msg.nak(delay));
      }
    } finally {
      clearInterval(ping);
    }
  };

  const supervised = supervise(
    async (ctx) => {
      const jsm = await nc.jetstreamManager();
      await jsm.consumers.add(spec.stream, {
        durable_name: spec.durable,
        ack_policy: AckPolicy.Explicit,
        deliver_policy: spec.deliverNew ? DeliverPolicy.New : DeliverPolicy.All,
        filter_subject: spec.filterSubject,
        ack_wait: nanos(ackWaitMs),
        max_deliver: maxDeliver,
      });
      const consumer = await nc.jetstream().consumers.get(spec.stream, spec.durable);
      // A deleted consumer or stream ends the iterator (instead of a silent wait), so the supervisor recreates it.
      const messages: ConsumerMessages = await consumer.consume({ max_messages: 256, abort_on_missing_resource: true });
      ctx.onStop(() => messages.stop());
      try {
        if (ctx.stopping) return;
        ctx.running();
        for await (const msg of messages) {
          // Stopping: what is already buffered goes back at once, for another instance to take.
          if (ctx.stopping) settle(() => msg.nak());
          else await processMessage(msg).catch((error: unknown) => poison(msg, 'rejected', describeError(error)));
        }
      } finally {
        settle(() => messages.stop());
      }
    },
    {
      name: `${spec.stream}/${spec.durable}`,
      logger,
      initialDelayMs: options.restartDelayMs?.initial,
      maxDelayMs: options.restartDelayMs?.max,
      connectionClosed: () => nc.isClosed(),
      clock: options.clock,
      onRestart: () => metrics.restarted(),
      onStatus: (state) => metrics.up(state.status === 'running'),
    },
  );
  await supervised.started;
  return { state: () => supervised.state(), stop: () => supervised.stop() };
}

/** Acks, naks, pings, counts and logs: none of them may throw into the loop (a closed connection, a bug). */
function settle(action: () => void): void {
  try {
    action();
  } catch {
    /* an unsettled message is redelivered after ack_wait */
  }
}

function deliveryCount(msg: JsMsg): number {
  try {
    return msg.info.deliveryCount;
  } catch {
    return 1;
  }
}
