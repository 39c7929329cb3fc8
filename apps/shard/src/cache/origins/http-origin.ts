import { CacheError, type OriginFetch } from '@foresight/cache-core';
import type { OriginSpec } from '@foresight/config';
import { fillUrl, type OriginKeyPattern } from './key-template';

/**
 * Fetch function of an HTTP origin: GET the filled URL template (Node's fetch, keep-alive), 5xx and
 * connection errors are `ORIGIN.FAILED` (retried by ResilientOrigin), 404/410 `DATA.NOT_FOUND` (not a
 * failure: no retry, the breaker stays closed), other non-2xx statuses, bodies
 * over `maxValueBytes` and bodies that are not JSON are `ORIGIN.BAD_RESPONSE` (not retried). The
 * value is the parsed JSON, its size the body's bytes.
 */
export function httpOriginFetch(spec: OriginSpec, pattern: OriginKeyPattern, maxValueBytes: number): OriginFetch<unknown> {
  const template = spec.url!;
  return async (key, signal) => {
    const url = fillUrl(template, pattern, key);
    if (url === undefined) throw new CacheError('ORIGIN.BAD_RESPONSE', `Key "${key}" does not fit origin "${spec.id}"'s pattern ${spec.pattern}.`);
    let res: Response;
    try {
      res = await fetch(url, { signal, headers: { accept: 'application/json' } });
    } catch (error) {
      if (signal.aborted) throw error;
      throw new CacheError('ORIGIN.FAILED', `Origin "${spec.id}" could not be reached for "${key}": ${(error as Error).message}.`, { cause: error });
    }
    if (res.status >= 500) {
      await res.body?.cancel().catch(() => undefined);
      throw new CacheError('ORIGIN.FAILED', `Origin "${spec.id}" answered HTTP ${res.status} for "${key}".`);
    }
    if (res.status === 404 || res.status === 410) {
      await res.body?.cancel().catch(() => undefined);
      throw new CacheError('DATA.NOT_FOUND', `Origin "${spec.id}" has no "${key}" (HTTP ${res.status}).`);
    }
    if (res.status < 200 || res.status >= 300) {
      await res.body?.cancel().catch(() => undefined);
      throw new CacheError('ORIGIN.BAD_RESPONSE', `Origin "${spec.id}" answered HTTP ${res.status} for "${key}".`);
    }
    const declared = Number(res.headers.get('content-length') ?? '0');
    if (declared > maxValueBytes) {
      await res.body?.cancel().catch(() => undefined);
      throw tooLarge(spec.id, key, maxValueBytes);
    }
    const bytes = await readLimited(res, maxValueBytes, spec.id, key);
    try {
      return { value: JSON.parse(bytes.toString('utf8')) as unknown, size: bytes.length };
    } catch {
      throw new CacheError('ORIGIN.BAD_RESPONSE', `Origin "${spec.id}" sent a body that is not JSON for "${key}".`);
    }
  };
}

function tooLarge(id: string, key: string, max: number): CacheError {
  return new CacheError('ORIGIN.BAD_RESPONSE', `Origin "${id}" sent more than CACHE_MAX_VALUE_BYTES (${max}) for "${key}".`);
}

async function readLimited(res: Response, max: number, id: string, key: string): Promise<Buffer> {
  if (!res.body) return Buffer.alloc(0);
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = res.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > max) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge(id, key, max);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks, size);
}
