import type { LearnedShapeEvidence } from '@foresight/cache-core';
import type { ForesightConfig } from '@foresight/config';
import type { Logger } from '@foresight/observability';
import type { CacheNodeService } from '../cache-node.service';
import type { LearnedRepository } from './learned.repository';

export interface LearnedPersistenceDeps {
  readonly cache: Pick<CacheNodeService, 'importLearned' | 'exportLearned'>;
  readonly repo: LearnedRepository;
  readonly config: ForesightConfig;
  readonly logger: Logger;
}

/**
 * Keeps learned requirements across restarts: a node saves its evidence every
 * `CACHE_LEARNED_SAVE_MS` and at shutdown. At start, a node that saved before continues from its
 * own evidence; a node that never did starts from every other node's (merged), so a new node
 * prefetches for undeclared actions from its first request. A node does not import others' evidence
 * again later (that would count the same reads twice).
 */
export class LearnedPersistenceService {
  private timer: NodeJS.Timeout | null = null;
  private saving: Promise<void> = Promise.resolve();
  private readonly cache: LearnedPersistenceDeps['cache'];
  private readonly repo: LearnedRepository;
  private readonly config: ForesightConfig;
  private readonly logger: Logger;

  constructor({ cache, repo, config, logger }: LearnedPersistenceDeps) {
    this.cache = cache;
    this.repo = repo;
    this.config = config;
    this.logger = logger;
  }

  async start(): Promise<void> {
    const nodeId = this.config.cluster.nodeId;
    try {
      const rows = await this.repo.all();
      const own = rows.find((r) => r.nodeId === nodeId);
      const sources = own ? [own] : rows;
      let shapes = 0;
      for (const row of sources) {
        shapes += Array.isArray(row.evidence) ? this.cache.importLearned(row.evidence as LearnedShapeEvidence[]) : 0;
      }
      if (shapes > 0) this.logger.info({ shapes, from: own ? 'own' : sources.map((r) => r.nodeId) }, 'learned requirements restored');
    } catch (error) {
      this.logger.warn({ err: error }, 'could not load learned requirements; learning from scratch');
    }
    const every = this.config.cache.learnedSaveMs;
    if (every > 0) {
      this.timer = setInterval(() => void this.save(), every);
      this.timer.unref();
    }
  }

  /** Stops the timer and saves once more. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (this.config.cache.learnedSaveMs > 0) await this.save();
  }

  private save(): Promise<void> {
    this.saving = this.saving.then(async () => {
      const evidence = this.cache.exportLearned();
      if (evidence.length === 0) return;
      try {
        await this.repo.save(this.config.cluster.nodeId, evidence);
      } catch (error) {
        this.logger.warn({ err: error }, 'could not save learned requirements; will retry');
      }
    });
    return this.saving;
  }
}
