import session from 'express-session';
import { ForesightStore, type ForesightStoreOptions, type PrepareMiddleware, type PrepareOptions } from './store.js';

export { ForesightStore, type ForesightStoreOptions, type PrepareMiddleware, type PrepareOptions, type PrepareRequest, type PrepareResponse } from './store.js';
export { IdPool, type IdPoolOptions } from './id-pool.js';
export { EXTRA, toVariables, sessionOf, type FieldMapping } from './fields.js';

export type ForesightSessionOptions = Omit<session.SessionOptions, 'store' | 'genid'> &
  Omit<ForesightStoreOptions, 'client'> &
  Pick<ForesightStoreOptions, 'client'> &
  Pick<PrepareOptions, 'groupsFor'>;

type Handler = PrepareMiddleware | ReturnType<typeof session>;

/**
 * express-session with a Foresight store, in one `app.use(...)`: the store's `prepare()` and
 * `session()` with `store` and `genid` filled in. The handlers carry the store as `.store`.
 */
export function foresightSession(options: ForesightSessionOptions): Handler[] & { readonly store: ForesightStore } {
  const { client, groups, defaultGroup, idPool, sessionTimeouts, snapshotLimit, groupsFor, ...sessionOptions } = options;
  const store = new ForesightStore({ client, groups, defaultGroup, idPool, sessionTimeouts, snapshotLimit });
  const handlers: Handler[] = [store.prepare({ name: sessionOptions.name, groupsFor }), session({ ...sessionOptions, store, genid: store.genid })];
  return Object.assign(handlers, { store });
}
