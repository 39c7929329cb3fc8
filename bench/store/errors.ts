/** Stable error codes of the store benchmark. */
export type BenchErrorCode =
  | 'BENCH.BAD_ARGUMENT'
  | 'BENCH.NO_LOCAL_STACK'
  | 'BENCH.PROCESS_FAILED'
  | 'BENCH.SEED_FAILED'
  | 'BENCH.NO_DATABASE';

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
