import { Inject, Injectable } from '@nestjs/common';
import { isValidKey, KeyPattern } from '@foresight/cache-core';
import type { ForesightConfig } from '@foresight/config';
import { cacheSubjects, MAX_INVALIDATE_KEYS, type CacheInvalidateV1 } from '@foresight/contracts';
import { decode } from '@foresight/messaging';
import type { Logger } from '@foresight/observability';
import { CONFIG, LOGGER, NATS } from '@foresight/platform';
import type { NatsConnection, Subscription } from 'nats';
import { CacheNodeService } from './cache-node.service';

/** Checks an invalidation message; returns the target or a reason it is refused. */
export function parseInvalidation(raw: unknown): { keys?: string[]; pattern?: string } | string {
  const m = raw as Partial<CacheInvalidateV1> | null;
  if (typeof m !== 'object' || m === null) return 'not a map';
  const hasKeys = m.keys !== undefined;
  const hasPattern = m.pattern !== undefined;
  if (hasKeys === hasPattern) return 'needs exactly one of "keys" or "pattern"';
  if (hasKeys) {
    if (!Array.isArray(m.keys) || m.keys.length === 0 || m.keys.length > MAX_INVALIDATE_KEYS || !m.keys.every(isValidKey)) {
      return `"keys" must be 1-${MAX_INVALIDATE_KEYS} valid keys (1-512 visible ASCII characters, no space or "*")`;
    }
    return { keys: [...m.keys] };
  }
  try {
    new KeyPattern(m.pattern as string);
  } catch {
    return '"pattern" is not a valid key pattern';
  }
  return { pattern: m.pattern };
}

/**
 * Invalidation (P7): every node subscribes to `<ns>.cache.invalidate` without a queue group and
 * drops the announced keys. Garbage is counted and logged, never fatal.
 */
@Injectable()
export class InvalidationService {
  private sub: Subscription | null = null;

  constructor(
    private readonly cache: CacheNodeService,
    @Inject(NATS) private readonly nc: NatsConnection,
    @Inject(CONFIG) private readonly config: ForesightConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  start(): void {
    const subject = cacheSubjects(this.config.nats.namespace).invalidate;
    this.sub = this.nc.subscribe(subject, {
      callback: (err, msg) => {
        if (err) return;
        let target: ReturnType<typeof parseInvalidation>;
        try {
          target = parseInvalidation(decode(msg.data));
        } catch {
          target = 'not MessagePack';
        }
        if (typeof target === 'string') {
          this.cache.counters.invalidMessages++;
          this.logger.warn({ subject, reason: target }, 'ignored a malformed invalidation message');
          return;
        }
        const dropped = this.cache.invalidate(target);
        this.logger.debug({ ...target, dropped }, 'invalidated');
      },
    });
  }

  stop(): void {
    this.sub?.unsubscribe();
    this.sub = null;
  }
}
