import { AsyncLocalStorage } from 'node:async_hooks';
import { SessionEndedError, SessionNotFoundError, ValidationError, VariableNotFoundError, type ForesightClient } from '@foresight/client';
import session, { type SessionData } from 'express-session';
import { groupOf, sessionOf, toVariables, variableKey, variablesOf, type FieldMapping } from './fields.js';
import { IdPool } from './id-pool.js';

export interface ForesightStoreOptions {
  /** A client with the back end's API key. */
  readonly client: ForesightClient;
  /** Session field → Foresight state group (e.g. `{ cart: 'cart', passport: 'auth' }`); others go to `defaultGroup`. */
  readonly groups?: Readonly<Record<string, string>>;
  /** The group of unlisted fields and of express-session's `cookie` (default `app`; it must be in the cluster's SESSION_GROUPS). */
  readonly defaultGroup?: string;
  /** Ids issued ahead for `genid`: how many, and how old one may get before it is dropped unused. */
  readonly idPool?: { readonly size?: number; readonly maxAgeMs?: number };
  /** Timeouts of the sessions the pool creates (capped by the cluster's own). */
  readonly sessionTimeouts?: { readonly idleTimeoutMs?: number; readonly absoluteTimeoutMs?: number };
  /** Sessions whose last read or written state is kept to write only what changed (default 10,000). */
  readonly snapshotLimit?: number;
}

/** What a request declared through `prepare()`: the groups to load, the id reserved for it. */
interface RequestContext {
  readonly groups: readonly string[] | undefined;
  reserved: string | undefined;
}

interface Snapshot {
  readonly vars: Map<string, string>;
  /** Groups loaded (undefined = all): variables of other groups are not deleted by a save. */
  readonly groups: ReadonlySet<string> | undefined;
}

type Callback<T = void> = (err?: unknown, value?: T) => void;

/** Minimal request/response shapes, so the package does not depend on Express's types at run time. */
export interface PrepareRequest {
  readonly headers: { readonly cookie?: string | string[] };
  readonly sessionID?: string;
}
export interface PrepareResponse {
  once(event: 'finish' | 'close', listener: () => void): unknown;
}
export type PrepareMiddleware = (req: PrepareRequest, res: PrepareResponse, next: (err?: unknown) => void) => void;

export interface PrepareOptions {
  /** The session cookie's name (express-session's `name`, default `connect.sid`). */
  readonly name?: string;
  /** The groups a request needs (undefined: all); the cookie's group is always loaded. */
  readonly groupsFor?: (req: PrepareRequest) => readonly string[] | undefined;
}

/** A plausible session id: anything else is "no session" without asking the cluster. */
const SESSION_ID = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * An express-session store backed by Foresight: each top-level session field is a variable in a
 * state group, so a save writes only the fields that changed and a route can load only the groups it
 * needs. A cookie with an unknown, ended or malformed id is "no session", never an error.
 */
export class ForesightStore extends session.Store {
  readonly pool: IdPool;
  private readonly client: ForesightClient;
  private readonly mapping: FieldMapping;
  private readonly snapshots = new Map<string, Snapshot>();
  private readonly snapshotLimit: number;
  private readonly context = new AsyncLocalStorage<RequestContext>();
  /** Ids handed out by `genid` and not saved yet: they go back to the pool if the request ends without a save. */
  private readonly unsaved = new Set<string>();

  constructor(options: ForesightStoreOptions) {
    super();
    this.client = options.client;
    this.mapping = { groups: { ...options.groups }, defaultGroup: options.defaultGroup ?? 'app' };
    this.snapshotLimit = options.snapshotLimit ?? 10_000;
    const timeouts = options.sessionTimeouts ?? {};
    this.pool = new IdPool({
      size: options.idPool?.size ?? 16,
      maxAgeMs: options.idPool?.maxAgeMs ?? 10 * 60_000,
      issue: async () => (await this.client.createSession({ ...timeouts })).id,
      onError: (error) => this.emit('error', error),
    });
  }

  /**
   * express-session's `genid`: an id the cluster issued (from the pool). Install `prepare()` before
   * `session()` so the pool is never found empty; if it is anyway, the request fails with 503.
   */
  readonly genid = (): string => {
    const ctx = this.context.getStore();
    const id = ctx?.reserved ?? this.pool.take();
    if (ctx) ctx.reserved = undefined;
    if (id === undefined) {
      throw Object.assign(new Error('No Foresight session id is ready yet (the id pool is empty): put store.prepare() before session(), or retry.'), {
        status: 503,
        statusCode: 503,
      });
    }
    this.unsaved.add(id);
    // Bounded without prepare() (nothing then gives ids back): the oldest are forgotten.
    if (this.unsaved.size > this.snapshotLimit) this.unsaved.delete(this.unsaved.values().next().value!);
    this.remember(id, { vars: new Map(), groups: undefined });
    return id;
  };

  /** Fills the id pool (call at start-up to have ids before the first request). */
  ready(): Promise<void> {
    return this.pool.refill();
  }

  /**
   * Middleware for before `session()`: reserves an issued id for a request that carries no session
   * cookie (waiting for the pool only when it is empty), declares the groups the request loads, and
   * gives an id back to the pool when the request ends without saving its session.
   */
  prepare(options: PrepareOptions = {}): PrepareMiddleware {
    const cookieName = `${options.name ?? 'connect.sid'}=`;
    return (req, res, next) => {
      const cookie = Array.isArray(req.headers.cookie) ? req.headers.cookie.join(';') : (req.headers.cookie ?? '');
      const ctx: RequestContext = { groups: options.groupsFor?.(req), reserved: undefined };
      const run = () => {
        res.once('close', () => this.release(req.sessionID, ctx));
        this.context.run(ctx, () => next());
      };
      if (cookie.includes(cookieName)) return run();
      this.pool.takeAsync().then(
        (id) => {
          ctx.reserved = id;
          run();
        },
        (error: unknown) => next(error),
      );
    };
  }

  override get(sid: string, callback: Callback<SessionData | null>): void {
    if (!SESSION_ID.test(sid)) return callback(null, null);
    const wanted = this.context.getStore()?.groups;
    const groups = wanted ? [...new Set([...wanted, this.mapping.defaultGroup])] : undefined;
    this.client.getSession(sid, groups ? { groups } : {}).then(
      (view) => {
        const sess = sessionOf(view);
        // A pooled session never saved has no cookie yet: for express-session it does not exist.
        if (view.status !== 'active' || typeof sess.cookie !== 'object' || sess.cookie === null) return callback(null, null);
        this.remember(sid, { vars: variablesOf(view), groups: groups ? new Set(groups) : undefined });
        callback(null, sess as unknown as SessionData);
      },
      (error: unknown) => (isNoSession(error) ? callback(null, null) : callback(error)),
    );
  }

  override set(sid: string, sess: SessionData, callback?: Callback): void {
    this.unsaved.delete(sid);
    this.save(sid, sess).then(
      () => callback?.(),
      (error: unknown) => callback?.(error),
    );
  }

  /** The request's read already counted as activity on the cluster, which keeps the session alive. */
  override touch(_sid: string, _sess: SessionData, callback?: Callback): void {
    callback?.();
  }

  override destroy(sid: string, callback?: Callback): void {
    this.snapshots.delete(sid);
    if (!SESSION_ID.test(sid)) return callback?.();
    this.client.endSession(sid).then(
      () => callback?.(),
      (error: unknown) => (isNoSession(error) ? callback?.() : callback?.(error)),
    );
  }

  private async save(sid: string, sess: SessionData): Promise<void> {
    const next = toVariables(this.mapping, sess);
    const before = this.snapshots.get(sid) ?? (await this.read(sid));
    const writes: Promise<unknown>[] = [];
    for (const [key, v] of next) {
      if (before.vars.get(key) !== v.json) writes.push(this.client.setVariable(sid, v.group, v.name, v.value));
    }
    for (const key of before.vars.keys()) {
      if (next.has(key)) continue;
      const slash = key.indexOf('/');
      const [group, name] = [key.slice(0, slash), key.slice(slash + 1)];
      if (before.groups && !before.groups.has(group)) continue;
      writes.push(this.client.deleteVariable(sid, group, name).catch((e: unknown) => (e instanceof VariableNotFoundError ? undefined : Promise.reject(e))));
    }
    await Promise.all(writes);
    const vars = new Map(before.groups ? before.vars : []);
    for (const [key, v] of next) vars.set(key, v.json);
    for (const key of [...vars.keys()]) if (!next.has(key) && (!before.groups || before.groups.has(key.slice(0, key.indexOf('/'))))) vars.delete(key);
    this.remember(sid, { vars, groups: before.groups });
  }

  /** What the cluster holds now, when this process has no snapshot of the session. */
  private async read(sid: string): Promise<Snapshot> {
    // A session that is gone fails the save, and express-session reports it.
    return { vars: variablesOf(await this.client.getSession(sid)), groups: undefined };
  }

  private remember(sid: string, snapshot: Snapshot): void {
    this.snapshots.delete(sid);
    this.snapshots.set(sid, snapshot);
    if (this.snapshots.size > this.snapshotLimit) this.snapshots.delete(this.snapshots.keys().next().value!);
  }

  private release(sessionId: string | undefined, ctx: RequestContext): void {
    if (ctx.reserved !== undefined) this.pool.giveBack(ctx.reserved);
    if (sessionId !== undefined && this.unsaved.delete(sessionId)) {
      this.snapshots.delete(sessionId);
      this.pool.giveBack(sessionId);
    }
  }

  /** The group a field is stored in. */
  groupOf(field: string): string {
    return groupOf(this.mapping, field);
  }

  /** The variable a field is stored in (`group/field`). */
  variableOf(field: string): string {
    return variableKey(this.groupOf(field), field);
  }
}

function isNoSession(error: unknown): boolean {
  return (
    error instanceof SessionNotFoundError ||
    error instanceof SessionEndedError ||
    (error instanceof ValidationError && error.status === 400 && error.code === 'REQUEST.INVALID')
  );
}
