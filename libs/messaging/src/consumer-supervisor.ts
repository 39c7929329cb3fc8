import type { Rng } from '@foresight/random';
import { backoffDelay, systemClock, type BackoffOptions, type Clock } from '@foresight/time';

/** Where a supervised consumer loop stands; `/health` is ok only while it is `running`. */
export type ConsumerStatus = 'starting' | 'running' | 'restarting' | 'stopped';

export interface ConsumerState {
  readonly status: ConsumerStatus;
  /** When the loop entered this status (ms since the epoch). */
  readonly since: number;
  /** Times the loop ended or failed to start and was started again. */
  readonly restarts: number;
  /** Failed attempts since it last ran. */
  readonly failures: number;
  readonly lastError?: string;
}

export interface SupervisorLogger {
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
  info?(obj: object, msg: string): void;
}

/** Handed to each attempt of a supervised loop. */
export interface AttemptContext {
  /** The attempt is consuming: health turns ok and the failure streak resets. */
  running(): void;
  /** True once `stop()` was called: finish the work in hand and return. */
  readonly stopping: boolean;
  /** How to end this attempt's iteration when `stop()` is called (e.g. `messages.stop()`). */
  onStop(fn: () => void): void;
}

export interface SupervisorOptions {
  /** Named in logs, e.g. `FS_SESSIONS/token-activity`. */
  readonly name: string;
  readonly logger: SupervisorLogger;
  /** First restart delay; doubled per failure up to `maxDelayMs`, each with equal jitter (the upper half). */
  readonly initialDelayMs?: number;
  readonly maxDelayMs?: number;
  /** A closed connection never comes back: the loop reports `stopped` instead of retrying. */
  readonly connectionClosed?: () => boolean;
  readonly onRestart?: () => void;
  readonly onStatus?: (state: ConsumerState) => void;
  /** Jitter of the restart delay (default `Math.random`). */
  readonly rng?: Rng;
  /** Stamps `since` of the state (default the system clock). */
  readonly clock?: Clock;
}

export interface Supervised {
  state(): ConsumerState;
  /** Resolves once the first attempt is consuming or has failed (it keeps retrying in the background). */
  readonly started: Promise<void>;
  stop(): Promise<void>;
}

/** A message for logs and health that cannot throw, whatever was thrown. */
export function describeError(error: unknown): string {
  try {
    const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    return text.length > 300 ? `${text.slice(0, 300)}…` : text;
  } catch {
    return 'an error that cannot be printed';
  }
}

/**
 * Runs `attempt` for as long as the service runs: whenever it returns or throws (iterator error,
 * consumer deleted, connection hiccup, a bug), it is started again after a backoff with jitter and
 * counted. Only `stop()` ends it for good (or a closed connection, reported as `stopped`).
 */
export function supervise(attempt: (ctx: AttemptContext) => Promise<void>, options: SupervisorOptions): Supervised {
  const clock = options.clock ?? systemClock;
  const now = () => clock.now();
  const backoff: BackoffOptions = { baseMs: options.initialDelayMs ?? 250, maxMs: options.maxDelayMs ?? 10_000, jitter: 'equal' };
  const rng = options.rng ?? Math.random;
  let state: ConsumerState = { status: 'starting', since: now(), restarts: 0, failures: 0 };
  let stopping = false;
  let stopCurrent: (() => void) | null = null;
  let wake: (() => void) | null = null;
  let everRan = false;
  let markStarted: () => void = () => undefined;
  const started = new Promise<void>((resolve) => (markStarted = resolve));

  const set = (next: Partial<ConsumerState> & { status: ConsumerStatus }) => {
    state = { ...state, ...next, since: next.status === state.status ? state.since : now() };
    try {
      options.onStatus?.(state);
    } catch {
      /* a listener's bug must not end the loop */
    }
  };
  const log = (level: 'warn' | 'error' | 'info', obj: object, msg: string) => {
    try {
      if (level === 'info') options.logger.info?.(obj, msg);
      else options.logger[level](obj, msg);
    } catch {
      /* logging must not end the loop */
    }
  };

  const ctx: AttemptContext = {
    running() {
      if (stopping) return;
      if (everRan && state.status !== 'running') log('info', { consumer: options.name, restarts: state.restarts }, 'consumer running again');
      everRan = true;
      set({ status: 'running', failures: 0 });
      markStarted();
    },
    get stopping() {
      return stopping;
    },
    onStop(fn) {
      stopCurrent = fn;
    },
  };

  const loop = (async () => {
    while (!stopping) {
      let failure: string;
      try {
        await attempt(ctx);
        failure = 'the message iterator ended';
      } catch (error) {
        failure = describeError(error);
      } finally {
        stopCurrent = null;
      }
      if (stopping) break;
      markStarted();
      if (options.connectionClosed?.()) {
        set({ status: 'stopped', lastError: `NATS connection closed (${failure})` });
        log('error', { consumer: options.name, error: failure }, 'consumer stopped: the NATS connection is closed');
        return;
      }
      const failures = state.failures + 1;
      set({ status: everRan ? 'restarting' : 'starting', failures, restarts: state.restarts + 1, lastError: failure });
      try {
        options.onRestart?.();
      } catch {
        /* counting must not end the loop */
      }
      const delay = Math.round(backoffDelay(failures - 1, backoff, rng));
      // Powers of two: a consumer waiting for its stream says so now and then, not every attempt.
      if ((failures & (failures - 1)) === 0)
        log('warn', { consumer: options.name, error: failure, failures, delayMs: delay }, 'consumer loop ended; restarting');
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delay);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = null;
    }
  })();

  return {
    state: () => state,
    started,
    async stop() {
      stopping = true;
      markStarted();
      try {
        stopCurrent?.();
      } catch {
        /* already stopped */
      }
      wake?.();
      await loop.catch(() => undefined);
      set({ status: 'stopped' });
    },
  };
}

/**
 * A `/health` probe for a supervised consumer: ok while it runs; an error naming the status, since
 * when, how many attempts failed and the last error otherwise. A loop that restarted is ok again.
 */
export function consumerHealthProbe(consumer: { state(): ConsumerState }): () => Promise<void> {
  return async () => {
    const s = consumer.state();
    if (s.status === 'running') return;
    const detail = s.lastError ? `; last error: ${s.lastError}` : '';
    throw new Error(`consumer ${s.status} since ${new Date(s.since).toISOString()} (${s.failures} failed attempts)${detail}`);
  };
}
