import type { ForesightConfig } from '@foresight/config';
import { cacheSubjects, type CacheRequirementsCommands, type RequirementsChangedV1 } from '@foresight/contracts';
import { decode, encode, type RpcMeta } from '@foresight/messaging';
import type { Logger } from '@foresight/observability';
import type { NatsConnection, Subscription } from 'nats';
import type { CacheNodeService } from '../cache-node.service';
import { parseDeclaration } from './declaration';
import type { RequirementsRepository } from './requirements.repository';

type Reply<K extends keyof CacheRequirementsCommands> = CacheRequirementsCommands[K]['reply'];

export interface RequirementsDeps {
  readonly cache: Pick<CacheNodeService, 'declare' | 'declarations'>;
  readonly repo: RequirementsRepository;
  readonly nc: NatsConnection;
  readonly config: ForesightConfig;
  readonly logger: Logger;
}

/**
 * Declared data requirements shared by every node: those of the configuration, then those stored in
 * Postgres (loaded at start), then changes broadcast on `<ns>.cache.requirements`. Any one node
 * answers `put`/`list` on `<ns>.rpc.cache.requirements` (queue group; the handlers are
 * `RequirementsController`'s): it stores the change, applies it and broadcasts it.
 */
export class RequirementsService {
  private sub: Subscription | null = null;

  constructor(private readonly deps: RequirementsDeps) {}

  async start(): Promise<void> {
    const { nc, config, logger, repo } = this.deps;
    const subject = cacheSubjects(config.nats.namespace).requirementsChanged;
    // Subscribe first, so no change broadcast while loading is missed (applying one twice is harmless).
    this.sub = nc.subscribe(subject, {
      callback: (err, msg) => {
        if (err) return;
        try {
          const event = decode<RequirementsChangedV1>(msg.data);
          this.deps.cache.declare(parseDeclaration(event.declaration));
        } catch (error) {
          logger.warn({ err: error, subject }, 'ignored a malformed requirements message');
        }
      },
    });
    for (const d of await repo.all()) {
      try {
        this.deps.cache.declare(parseDeclaration(d));
      } catch (error) {
        logger.warn({ err: error, pattern: d.pattern }, 'skipped a stored requirement that no longer validates');
      }
    }
  }

  /** `put`: stores a declaration (no keys: removes it), applies it here and tells every node. */
  async put(raw: unknown, meta: RpcMeta): Promise<Reply<'put'>> {
    const { nc, config, logger, repo, cache } = this.deps;
    const d = parseDeclaration(raw);
    const removed = d.keys.length === 0 ? await repo.remove(d.pattern) : (await repo.put(d), false);
    cache.declare(d);
    const event: RequirementsChangedV1 = { type: 'cache.requirements_changed', version: 1, declaration: d, correlationId: meta.correlationId };
    nc.publish(cacheSubjects(config.nats.namespace).requirementsChanged, encode(event));
    logger.info({ pattern: d.pattern, keys: d.keys, correlationId: meta.correlationId }, 'data requirement declared');
    return { declaration: d, removed };
  }

  /** `list`: the declarations this node applies. */
  list(): Reply<'list'> {
    return { declarations: this.deps.cache.declarations() };
  }

  stop(): void {
    this.sub?.unsubscribe();
    this.sub = null;
  }
}
