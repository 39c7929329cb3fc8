import { CacheError, type OriginFetch } from '@foresight/cache-core';
import type { OriginSpec } from '@foresight/config';
import { decode, encode } from '@foresight/messaging';
import type { NatsConnection } from 'nats';

/**
 * Fetch function of a NATS origin: request `{ key }` (MessagePack) on the origin's subject; the reply
 * is `{ value }` or `{ error: { code, message } }`. No responders and error replies are
 * `ORIGIN.FAILED` (retried); undecodable, shapeless or oversized replies `ORIGIN.BAD_RESPONSE`.
 * ResilientOrigin's own timeout bounds the wait (the request's is a little longer).
 */
export function natsOriginFetch(spec: OriginSpec, nc: NatsConnection, maxValueBytes: number): OriginFetch<unknown> {
  const subject = spec.subject!;
  return async (key) => {
    let data: Uint8Array;
    try {
      data = (await nc.request(subject, encode({ key }), { timeout: spec.timeoutMs + 100 })).data;
    } catch (error) {
      const code = (error as { code?: string }).code;
      const why = code === '503' ? `nobody answers on ${subject}` : (error as Error).message;
      throw new CacheError('ORIGIN.FAILED', `Origin "${spec.id}" failed for "${key}": ${why}.`, { cause: error });
    }
    if (data.length > maxValueBytes)
      throw new CacheError('ORIGIN.BAD_RESPONSE', `Origin "${spec.id}" sent more than CACHE_MAX_VALUE_BYTES (${maxValueBytes}) for "${key}".`);
    let reply: { value?: unknown; error?: { code?: unknown; message?: unknown } } | null;
    try {
      reply = decode(data);
    } catch {
      throw new CacheError('ORIGIN.BAD_RESPONSE', `Origin "${spec.id}" sent a reply that is not MessagePack for "${key}".`);
    }
    if (reply && typeof reply === 'object' && reply.error?.code === 'NOT_FOUND') {
      throw new CacheError('DATA.NOT_FOUND', `Origin "${spec.id}" has no "${key}".`);
    }
    if (reply && typeof reply === 'object' && reply.error !== undefined) {
      throw new CacheError('ORIGIN.FAILED', `Origin "${spec.id}" answered an error for "${key}": ${String(reply.error?.message ?? 'no message')}.`);
    }
    if (!reply || typeof reply !== 'object' || !('value' in reply)) {
      throw new CacheError('ORIGIN.BAD_RESPONSE', `Origin "${spec.id}" sent a reply without "value" for "${key}".`);
    }
    return { value: reply.value, size: data.length };
  };
}
