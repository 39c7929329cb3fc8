import { Inject, Injectable } from '@nestjs/common';
import { KeyPattern } from '@foresight/cache-core';
import type { ForesightConfig } from '@foresight/config';
import { cacheSubjects, InvalidateBody, Validator } from '@foresight/contracts';
import { decode } from '@foresight/messaging';
import type { Logger } from '@foresight/observability';
import { CONFIG, LOGGER, NATS } from '@foresight/platform';
import type { NatsConnection, Subscription } from 'nats';
import { CacheNodeService } from './cache-node.service';

const targets = new Validator(InvalidateBody, 'The message');

/** Checks an invalidation message; returns the target or a reason it is refused. */
export function parseInvalidation(raw: unknown): { keys?: string[]; pattern?: string } | string {
  const problem = targets.problem(raw);
  if (problem) return problem.message;
  const m = raw as InvalidateBody;
  if (m.keys !== undefined) return { keys: [...m.keys] };
  try {
    new KeyPattern(m.pattern!);
  } catch {
    return '"pattern" is not a valid key pattern';
  }
  return { pattern: m.pattern };
}

/**
 * Invalidation: every node subscribes to `<ns>.cache.invalidate` without a queue group and
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
