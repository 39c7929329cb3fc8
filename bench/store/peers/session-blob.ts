import type { SessionData } from '../payload';

/**
 * The whole session as one JSON document, shaped like an `express-session` record: the cookie
 * settings plus the application's data. A blob store reads and writes it as a unit.
 */
export interface SessionBlob {
  readonly cookie: {
    readonly originalMaxAge: number;
    readonly expires: string;
    readonly httpOnly: boolean;
    readonly secure: boolean;
    readonly sameSite: 'lax';
    readonly path: string;
  };
  readonly userId?: string;
  /** Bumped on every write so the peers can answer with a version like the Foresight API. */
  readonly version: number;
  readonly data: SessionData;
}

/** A new session blob created at `nowMs` that expires `ttlS` later. */
export function newBlob(input: { userId?: string; data?: SessionData }, nowMs: number, ttlS: number): SessionBlob {
  return {
    cookie: {
      originalMaxAge: ttlS * 1000,
      expires: new Date(nowMs + ttlS * 1000).toISOString(),
      httpOnly: true,
      secure: true,
      sameSite: 'lax',
      path: '/',
    },
    ...(input.userId === undefined ? {} : { userId: input.userId }),
    version: 1,
    data: input.data ?? {},
  };
}

/** The value of one variable, or `undefined` when the group or the name is absent. */
export function readVar(blob: SessionBlob, group: string, name: string): { value: unknown; version: number } | undefined {
  const vars = blob.data[group];
  if (vars === undefined || !Object.prototype.hasOwnProperty.call(vars, name)) return undefined;
  return { value: vars[name], version: blob.version };
}

/**
 * A copy of the blob with one variable set, its version bumped and its expiry rolled forward
 * (express-session resets the cookie expiry on save).
 */
export function writeVar(blob: SessionBlob, group: string, name: string, value: unknown, nowMs: number): SessionBlob {
  return {
    ...blob,
    cookie: { ...blob.cookie, expires: new Date(nowMs + blob.cookie.originalMaxAge).toISOString() },
    version: blob.version + 1,
    data: { ...blob.data, [group]: { ...blob.data[group], [name]: value } },
  };
}

/** Checks the body of `POST /v1/sessions`; returns a problem sentence or `undefined`. */
export function validateCreateBody(body: unknown): string | undefined {
  if (body === undefined || body === null) return undefined;
  if (typeof body !== 'object' || Array.isArray(body)) return 'The body must be a JSON object.';
  const { userId, data } = body as { userId?: unknown; data?: unknown };
  if (userId !== undefined && typeof userId !== 'string') return '"userId" must be a string.';
  if (data === undefined) return undefined;
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return '"data" must be an object of groups.';
  for (const [group, vars] of Object.entries(data)) {
    if (typeof vars !== 'object' || vars === null || Array.isArray(vars)) return `Group "${group}" must be an object of variables.`;
  }
  return undefined;
}
