import type { SessionBlob } from './session-blob';

/**
 * The two calls every `express-session` store implements: load the whole blob, save the whole blob.
 * (`touch` is left out on purpose: without it a read is one round trip, which favours the peers.)
 */
export interface BlobStore {
  /** The blob, or `undefined` when the session does not exist or has expired. */
  get(sid: string): Promise<SessionBlob | undefined>;
  /** Writes the whole blob, replacing what was there, with a fresh expiry. */
  set(sid: string, blob: SessionBlob, ttlS: number): Promise<void>;
  close(): Promise<void>;
}

/** An in-process store for unit tests of the peer routes. */
export class MemoryBlobStore implements BlobStore {
  readonly blobs = new Map<string, string>();

  async get(sid: string): Promise<SessionBlob | undefined> {
    const raw = this.blobs.get(sid);
    return raw === undefined ? undefined : (JSON.parse(raw) as SessionBlob);
  }

  async set(sid: string, blob: SessionBlob): Promise<void> {
    this.blobs.set(sid, JSON.stringify(blob));
  }

  async close(): Promise<void> {
    this.blobs.clear();
  }
}
