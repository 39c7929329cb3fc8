import Redis from 'ioredis';
import type { BlobStore } from './blob-store';
import type { SessionBlob } from './session-blob';

/**
 * `connect-redis`-style store: the session is one JSON string under `sess:<id>`, written with
 * `SET ... EX ttl` on every save.
 */
export class RedisBlobStore implements BlobStore {
  private readonly redis: Redis;

  constructor(url: string) {
    this.redis = new Redis(url, { lazyConnect: false, maxRetriesPerRequest: 1 });
  }

  async get(sid: string): Promise<SessionBlob | undefined> {
    const raw = await this.redis.get(`sess:${sid}`);
    return raw === null ? undefined : (JSON.parse(raw) as SessionBlob);
  }

  async set(sid: string, blob: SessionBlob, ttlS: number): Promise<void> {
    await this.redis.set(`sess:${sid}`, JSON.stringify(blob), 'EX', ttlS);
  }

  async close(): Promise<void> {
    await this.redis.quit();
  }
}
