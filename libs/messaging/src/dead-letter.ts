import { Headers } from '@foresight/contracts';
import { headers as natsHeaders, type JsMsg, type NatsConnection } from 'nats';
import { Counter, Gauge, type Registry } from 'prom-client';

/**
 * Why a consumer terminated a message: it does not decode, it is not an envelope, the handler
 * rejected it (a non-transient error, e.g. `data` of the wrong shape), or it still failed on its
 * last allowed delivery.
 */
export type PoisonReason = 'undecodable' | 'not_an_envelope' | 'rejected' | 'exhausted';

/** Room left for the dead-letter headers when the copied body is cut to fit the max payload. */
const HEADER_ROOM = 8 * 1024;

/** Printable ASCII, cut short: what a header value may carry, whatever the message said. */
export function headerSafe(text: string, max = 200): string {
  return text.replace(/[^\x20-\x7e]/g, '?').slice(0, max);
}

export interface DeadLetter {
  readonly reason: PoisonReason;
  readonly detail: string;
  readonly stream: string;
  readonly durable: string;
}

/**
 * Copies a terminated message to `subject` (core NATS, outside every stream) with headers saying
 * where it was and why it was dropped. Best effort: returns false instead of throwing.
 */
export function publishDeadLetter(nc: NatsConnection, subject: string, msg: JsMsg, letter: DeadLetter): boolean {
  try {
    const h = natsHeaders();
    h.set(Headers.deadLetterSubject, headerSafe(msg.subject, 1000));
    h.set(Headers.deadLetterStream, headerSafe(letter.stream));
    h.set(Headers.deadLetterSequence, String(msg.seq));
    h.set(Headers.deadLetterConsumer, headerSafe(letter.durable));
    h.set(Headers.deadLetterReason, letter.reason);
    h.set(Headers.deadLetterDetail, headerSafe(letter.detail) || '-');
    let body = msg.data;
    const max = nc.info?.max_payload ?? 1024 * 1024;
    if (body.length > max - HEADER_ROOM) {
      h.set(Headers.deadLetterTruncated, String(body.length));
      body = body.subarray(0, Math.max(0, max - HEADER_ROOM));
    }
    nc.publish(subject, body, { headers: h });
    return true;
  } catch {
    return false;
  }
}

export interface ConsumerMetrics {
  poison(reason: PoisonReason): void;
  restarted(): void;
  up(running: boolean): void;
}

function metric<T extends Counter<string> | Gauge<string>>(registry: Registry, name: string, create: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? create();
}

/**
 * Per-consumer Prometheus series, shared by every consumer of the registry:
 * `foresight_consumer_poison_total{stream,durable,reason}`, `foresight_consumer_restarts_total{stream,durable}`
 * and `foresight_consumer_up{stream,durable}` (1 while the loop consumes).
 */
export function consumerMetrics(registry: Registry | undefined, stream: string, durable: string): ConsumerMetrics {
  if (!registry) return { poison: () => undefined, restarted: () => undefined, up: () => undefined };
  const labelNames = ['stream', 'durable'];
  const poison = metric(
    registry,
    'foresight_consumer_poison_total',
    () =>
      new Counter({
        name: 'foresight_consumer_poison_total',
        help: 'Messages a durable consumer terminated as poison and copied to its dead-letter subject, by reason',
        labelNames: [...labelNames, 'reason'],
        registers: [registry],
      }),
  );
  const restarts = metric(
    registry,
    'foresight_consumer_restarts_total',
    () =>
      new Counter({
        name: 'foresight_consumer_restarts_total',
        help: 'Times a consumer loop ended or failed to start and was started again',
        labelNames,
        registers: [registry],
      }),
  );
  const up = metric(
    registry,
    'foresight_consumer_up',
    () => new Gauge({ name: 'foresight_consumer_up', help: '1 while the consumer loop is consuming', labelNames, registers: [registry] }),
  );
  const labels = { stream, durable };
  return {
    poison: (reason) => poison.inc({ ...labels, reason }),
    restarted: () => restarts.inc(labels),
    up: (running) => up.set(labels, running ? 1 : 0),
  };
}
