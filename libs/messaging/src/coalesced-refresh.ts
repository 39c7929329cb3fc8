const ignore = () => undefined;

/**
 * Keeps a local copy of versioned state (the shard → node assignment) fresh without letting change
 * notices set the pace: at most one refresh runs and at most one more waits, however many notices or
 * callers ask. A notice for a version already applied is ignored, and so is one claiming a version
 * that a refresh started after it did not find (the metadata service announces a version only after
 * committing it, so such a claim is false) — until a refresh finds a newer version again. A failed
 * refresh is retried only by the queued run, if any; the owner's periodic refresh covers the rest.
 */
export class CoalescedRefresh {
  private running: Promise<void> | null = null;
  private queued: Promise<void> | null = null;
  private queuedForced = false;
  private applied = -1;
  private claimed = -1;
  private disproved = -1;

  /**
   * @param load fetches and applies the state; resolves to the version now applied.
   * @param onRun called as each refresh starts (to count them).
   */
  constructor(
    private readonly load: () => Promise<number>,
    private readonly onRun: () => void = ignore,
  ) {}

  get appliedVersion(): number {
    return this.applied;
  }

  /** A change notice: refreshes (coalesced) unless its version is applied or known to be false. Returns whether it counted. */
  notice(version: unknown): boolean {
    if (typeof version !== 'number' || !Number.isSafeInteger(version)) return false;
    if (version <= this.applied || version <= this.disproved) return false;
    this.claimed = Math.max(this.claimed, version);
    this.schedule(false).catch(ignore);
    return true;
  }

  /** Refreshes now, or right after the refresh already running; resolves once a refresh that started after this call is done. */
  refresh(): Promise<void> {
    return this.schedule(true);
  }

  /** Forgets the applied version (the local copy was dropped). */
  forget(): void {
    this.applied = -1;
    this.claimed = -1;
    this.disproved = -1;
  }

  private schedule(forced: boolean): Promise<void> {
    if (this.queued) {
      this.queuedForced ||= forced;
      return this.queued;
    }
    if (!this.running) return this.start();
    this.queuedForced = forced;
    this.queued = this.running.then(ignore, ignore).then(() => {
      const run = this.queuedForced || this.claimed > Math.max(this.applied, this.disproved);
      this.queued = null;
      this.queuedForced = false;
      return run ? this.start() : undefined;
    });
    return this.queued;
  }

  private start(): Promise<void> {
    this.onRun();
    // This run answers every claim made so far; only later ones may need another.
    const claimedAtStart = this.claimed;
    this.claimed = -1;
    const before = this.applied;
    const run = (async () => {
      let version: number;
      try {
        version = await this.load();
      } catch (error) {
        this.claimed = Math.max(this.claimed, claimedAtStart);
        throw error;
      }
      this.applied = version;
      if (version > before) this.disproved = -1;
      else if (claimedAtStart > version) this.disproved = Math.max(this.disproved, claimedAtStart);
    })();
    this.running = run;
    // Registered before any queued follower, so `running` is cleared before the follower starts.
    run.then(ignore, ignore).then(() => {
      if (this.running === run) this.running = null;
    });
    return run;
  }
}
