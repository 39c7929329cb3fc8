import type { ClientOptions } from '@foresight/client';

/** The request as the module reads it (Express and Fastify requests both fit). */
export interface RequestLike {
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly params?: Readonly<Record<string, string | undefined>>;
}

export interface ForesightModuleOptions extends ClientOptions {
  /**
   * The request's Foresight session id. Default: the `x-foresight-session` header, else the
   * `fs_session` cookie.
   */
  readonly sessionId?: (req: RequestLike) => string | undefined;
  /** Wait for an action to be recorded before answering (default false: recorded in the background). */
  readonly awaitActions?: boolean;
  /** Apply the action interceptor to every route (default false: use @UseInterceptors where wanted). */
  readonly globalInterceptor?: boolean;
}

export const FORESIGHT_OPTIONS = Symbol('foresight.module-options');

const header = (req: RequestLike, name: string) => {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
};

/** The default session id source: the `x-foresight-session` header, else the `fs_session` cookie. */
export function defaultSessionId(req: RequestLike): string | undefined {
  const fromHeader = header(req, 'x-foresight-session');
  if (fromHeader) return fromHeader;
  const cookie = header(req, 'cookie');
  const m = cookie ? /(?:^|;\s*)fs_session=([^;]+)/.exec(cookie) : null;
  if (!m) return undefined;
  try {
    return decodeURIComponent(m[1]!);
  } catch {
    return undefined;
  }
}
