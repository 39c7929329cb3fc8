import { KeyPattern } from '@foresight/cache-core';
import type { ForesightConfig } from '@foresight/config';
import { cacheSubjects, InvalidateBody, Validator } from '@foresight/contracts';
import { decode } from '@foresight/messaging';
import type { Logger } from '@foresight/observability';
import type { NatsConnection, Subscription } from 'nats';
import type { CacheNodeService } from './cache-node.service';

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

export interface InvalidationDeps {
  readonly cache: Pick<CacheNodeService, 'invalidate' | 'countInvalidMessage'>;
  readonly nc: NatsConnection;
  readonly config: ForesightConfig;
  readonly logger: Logger;
}

/**
 * Invalidation: every node subscribes to `<ns>.cache.invalidate` without a queue group and
 * drops the announced keys. Garbage is counted and logged, never fatal.
 */
export class InvalidationService {
  private sub: Subscription | null = null;

  constructor(private readonly deps: InvalidationDeps) {}

  start(): void {
    const { cache, nc, config, logger } = this.deps;
    const subject = cacheSubjects(config.nats.namespace).invalidate;
    this.sub = nc.subscribe(subject, {
      callback: (err, msg) => {
        if (err) return;
        let target: ReturnType<typeof parseInvalidation>;
        try {
          target = parseInvalidation(decode(msg.data));
        } catch {
          target = 'not MessagePack';
        }
        if (typeof target === 'string') {
          cache.countInvalidMessage();
          logger.warn({ subject, reason: target }, 'ignored a malformed invalidation message');
          return;
        }
        const dropped = cache.invalidate(target);
        logger.debug({ ...target, dropped }, 'invalidated');
      },
    });
  }

  stop(): void {
    this.sub?.unsubscribe();
    this.sub = null;
  }
}
