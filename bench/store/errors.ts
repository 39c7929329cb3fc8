/** Stable error codes of the store benchmark. */
export type BenchErrorCode = 'BENCH.BAD_ARGUMENT' | 'BENCH.MISSING_PROGRAM' | 'BENCH.PROCESS_FAILED' | 'BENCH.SEED_FAILED';

/** An error with a stable code and a sentence a person can act on. */
export class BenchError extends Error {
  constructor(
    readonly code: BenchErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'BenchError';
  }
}
