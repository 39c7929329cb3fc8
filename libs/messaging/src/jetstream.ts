import { ErrorCodes, ForesightError, Headers, type Envelope } from '@foresight/contracts';
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
  type NatsConnection,
  type PubAck,
} from 'nats';
import { decode, encode } from './codec';

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
  const h = natsHeaders();
  h.set(Headers.eventType, event.type);
  h.set(Headers.eventVersion, String(event.version));
  h.set(Headers.correlationId, event.correlationId);
  if (event.sessionId) h.set(Headers.sessionId, event.sessionId);
  return js.publish(subject, encode(event), { msgID: event.id, headers: h });
}

/** A failure worth retrying later (nak with delay) rather than a poison message (term). */
export function isTransient(error: unknown): boolean {
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
}

export interface ConsumerLogger {
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface RunningConsumer {
  stop(): Promise<void>;
}

/**
 * Runs a durable pull consumer with explicit acks (STYLE.md §6): `ack()` after `handle` resolved
 * (the work is committed), `nak(delay)` on a transient failure, `term()` on a message that does not
 * decode or that the handler rejects as invalid. Long handlers get `working()` pings.
 */
export async function runPullConsumer<T extends Envelope>(
  nc: NatsConnection,
  spec: ConsumerSpec,
  handle: (event: T, msg: JsMsg) => Promise<void>,
  logger: ConsumerLogger,
): Promise<RunningConsumer> {
  const jsm = await nc.jetstreamManager();
  const ackWaitMs = spec.ackWaitMs ?? 30_000;
  await jsm.consumers.add(spec.stream, {
    durable_name: spec.durable,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: spec.deliverNew ? DeliverPolicy.New : DeliverPolicy.All,
    filter_subject: spec.filterSubject,
    ack_wait: nanos(ackWaitMs),
    max_deliver: spec.maxDeliver ?? 20,
  });
  const consumer = await nc.jetstream().consumers.get(spec.stream, spec.durable);
  const messages: ConsumerMessages = await consumer.consume({ max_messages: 256 });
  const done = (async () => {
    for await (const msg of messages) {
      let event: T;
      try {
        event = decode<T>(msg.data);
      } catch {
        logger.warn({ stream: spec.stream, seq: msg.seq, subject: msg.subject }, 'poison message: does not decode; terminated');
        msg.term();
        continue;
      }
      const ping = setInterval(() => msg.working(), Math.max(1000, ackWaitMs / 3));
      try {
        await handle(event, msg);
        msg.ack();
      } catch (error) {
        if (isTransient(error)) {
          const delay = Math.min(30_000, 500 * 2 ** Math.min(msg.info.redeliveryCount, 6));
          logger.warn({ err: error, stream: spec.stream, seq: msg.seq, delay }, 'transient failure; will retry');
          msg.nak(delay);
        } else {
          logger.error({ err: error, stream: spec.stream, seq: msg.seq, eventId: event.id }, 'rejected message; terminated');
          msg.term();
        }
      } finally {
        clearInterval(ping);
      }
    }
  })();
  return {
    async stop() {
      messages.stop();
      await done.catch(() => undefined);
    },
  };
}
