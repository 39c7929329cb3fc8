/** What the profiler knows of one group of one session. */
export interface GroupProfile {
  /** Accesses per second, exponentially decayed with the profiler's half-life (reads + writes). */
  readonly rate: number;
  /** Share of accesses that were reads (0..1; 0.5 when none). */
  readonly readShare: number;
  /** Milliseconds since the last access (Infinity: never accessed while profiled). */
  readonly idleMs: number;
  /** Reads and writes seen. */
  readonly reads: number;
  readonly writes: number;
  /** Mean gap between accesses (ms; 0 with fewer than two accesses). */
  readonly gapMs: number;
  /** `periodic` (regular gaps), `bursty` (irregular), or `unknown` (too few accesses). */
  readonly pattern: 'periodic' | 'bursty' | 'unknown';
}
