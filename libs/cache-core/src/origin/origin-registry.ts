import { CacheError } from '../errors';
import { PatternTable } from '../keys';
import type { ResilientOrigin } from './resilient-origin';

/** Origins by key pattern; the most specific pattern matching a key serves it. */
export class OriginRegistry<V> {
  private readonly table = new PatternTable<ResilientOrigin<V>>();
  private readonly all = new Map<string, ResilientOrigin<V>>();

  /** Serves keys matching `pattern` (`product:*`) from `origin`. */
  register(pattern: string, origin: ResilientOrigin<V>): void {
    this.table.set(pattern, origin);
    this.all.set(origin.id, origin);
  }

  /** Origin of `key`, or `undefined`. */
  find(key: string): ResilientOrigin<V> | undefined {
    return this.table.match(key);
  }

  /** Origin of `key`; throws `ORIGIN.NOT_FOUND` when no pattern matches. */
  resolve(key: string): ResilientOrigin<V> {
    const o = this.table.match(key);
    if (o === undefined) throw new CacheError('ORIGIN.NOT_FOUND', `No origin is registered for key "${key}".`);
    return o;
  }

  /** Every registered origin. */
  origins(): ResilientOrigin<V>[] {
    return [...this.all.values()];
  }
}
