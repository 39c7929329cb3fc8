/** Where listener failures go. */
export interface EmitterLogger {
  warn(obj: object, msg: string): void;
}

type Listener<T> = (payload: T) => unknown;

/**
 * A synchronous in-process event emitter over a map of event names to payload types. A listener
 * that throws (or returns a promise that rejects) is logged and never fails the emitter's caller:
 * the code that emits is the write path, and a reply must not depend on who listens.
 */
export class TypedEmitter<M extends object> {
  private readonly listeners = new Map<keyof M, Listener<never>[]>();

  constructor(private readonly logger: EmitterLogger) {}

  /** Adds `listener` for `name`; returns a function that removes it. */
  on<K extends keyof M>(name: K, listener: Listener<M[K]>): () => void {
    const list = this.listeners.get(name) ?? [];
    this.listeners.set(name, [...list, listener as Listener<never>]);
    return () =>
      this.listeners.set(
        name,
        (this.listeners.get(name) ?? []).filter((l) => l !== listener),
      );
  }

  /** Calls every listener of `name` in the order they were added. */
  emit<K extends keyof M>(name: K, payload: M[K]): void {
    const list = this.listeners.get(name) as Listener<M[K]>[] | undefined;
    if (list === undefined) return;
    for (const listener of list) {
      try {
        const out = listener(payload);
        if (out instanceof Promise) out.catch((error: unknown) => this.failed(name, error));
      } catch (error) {
        this.failed(name, error);
      }
    }
  }

  private failed(name: keyof M, error: unknown): void {
    this.logger.warn({ err: error, event: String(name) }, 'an event listener failed; the write it follows stands');
  }
}
