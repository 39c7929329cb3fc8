import { Inject, Injectable } from '@nestjs/common';
import type { ForesightConfig } from '@foresight/config';
import { CACHE_REQUIREMENTS_QUEUE, cacheSubjects, type CacheRequirementsCommands, type RequirementDeclaration, type RequirementsChangedV1 } from '@foresight/contracts';
import { decode, encode, serveRpc, type RpcHandler } from '@foresight/messaging';
import type { Logger } from '@foresight/observability';
import { CONFIG, LOGGER, NATS } from '@foresight/platform';
import type { NatsConnection, Subscription } from 'nats';
import { CacheNodeService } from '../cache-node.service';
import { parseDeclaration } from './declaration';
import { RequirementsRepository } from './requirements.repository';

/**
 * Declared data requirements (P6) shared by every node: those of the configuration, then those
 * stored in Postgres (loaded at start), then changes broadcast on `<ns>.cache.requirements`. Any one
 * node answers `put`/`list` on `<ns>.rpc.cache.requirements` (queue group), stores the change and
 * broadcasts it.
 */
@Injectable()
export class RequirementsService {
  private subs: Subscription[] = [];

  constructor(
    private readonly cache: CacheNodeService,
    private readonly repo: RequirementsRepository,
    @Inject(NATS) private readonly nc: NatsConnection,
    @Inject(CONFIG) private readonly config: ForesightConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    const s = cacheSubjects(this.config.nats.namespace);
    // Subscribe first, so no change broadcast while loading is missed (applying one twice is harmless).
    this.subs.push(
      this.nc.subscribe(s.requirementsChanged, {
        callback: (err, msg) => {
          if (err) return;
          try {
            const event = decode<RequirementsChangedV1>(msg.data);
            this.apply(parseDeclaration(event.declaration));
          } catch (error) {
            this.logger.warn({ err: error, subject: s.requirementsChanged }, 'ignored a malformed requirements message');
          }
        },
      }),
    );
    for (const d of await this.repo.all()) {
      try {
        this.apply(parseDeclaration(d));
      } catch (error) {
        this.logger.warn({ err: error, pattern: d.pattern }, 'skipped a stored requirement that no longer validates');
      }
    }
    const put: RpcHandler = async (raw, meta): Promise<CacheRequirementsCommands['put']['reply']> => {
      const d = parseDeclaration(raw);
      const removed = d.keys.length === 0 ? await this.repo.remove(d.pattern) : (await this.repo.put(d), false);
      this.apply(d);
      const event: RequirementsChangedV1 = { type: 'cache.requirements_changed', version: 1, declaration: d, correlationId: meta.correlationId };
      this.nc.publish(s.requirementsChanged, encode(event));
      this.logger.info({ pattern: d.pattern, keys: d.keys, correlationId: meta.correlationId }, 'data requirement declared');
      return { declaration: d, removed };
    };
    const list: RpcHandler = async (): Promise<CacheRequirementsCommands['list']['reply']> => ({ declarations: this.cache.declared.list().map((r) => ({ pattern: r.actionPattern, keys: r.keyTemplates })) });
    this.subs.push(serveRpc(this.nc, s.requirementsRpc, { put, list }, { queue: CACHE_REQUIREMENTS_QUEUE, logger: this.logger }));
  }

  async stop(): Promise<void> {
    await Promise.all(this.subs.map((sub) => sub.drain().catch(() => undefined)));
    this.subs = [];
  }

  private apply(d: RequirementDeclaration): void {
    if (d.keys.length === 0) this.cache.declared.remove(d.pattern);
    else this.cache.declared.declare(d.pattern, d.keys);
  }
}
