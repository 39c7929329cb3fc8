import { systemTimers, type Timers } from './clock';

/** Thrown by {@link sleep} when its signal aborts; `cause` is the signal's reason. */
export class SleepAborted extends Error {
  override readonly name = 'SleepAborted';
}

/**
 * Resolves after `ms` on the given timers (Node's by default). With a signal, rejects with
 * {@link SleepAborted} as soon as it aborts (at once if it already has), and cancels the timer.
 */
export function sleep(ms: number, options: { readonly timers?: Timers; readonly signal?: AbortSignal } = {}): Promise<void> {
  const timers = options.timers ?? systemTimers;
  const signal = options.signal;
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new SleepAborted('sleep aborted', { cause: signal.reason }));
    const onAbort = () => {
      timers.clearTimeout(handle);
      reject(new SleepAborted('sleep aborted', { cause: signal?.reason }));
    };
    const handle = timers.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
