import helmet, { type HelmetOptions } from 'helmet';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** The gateway's helmet policy: the API docs and pages are served from this origin only; plain-HTTP deployments keep working. */
export const HELMET_OPTIONS: Readonly<HelmetOptions> = {
  contentSecurityPolicy: { directives: { upgradeInsecureRequests: null, frameAncestors: ["'none'"] } },
};

/**
 * The response headers helmet sets for `options`, computed once. The policy has no per-request
 * parts (no nonces, no directive functions), so every response carries the same headers: running
 * helmet per request, as its Fastify plugin does, rebuilt and re-validated the whole policy each time.
 */
export function securityHeaders(options: Readonly<HelmetOptions> = HELMET_OPTIONS): ReadonlyArray<readonly [string, string]> {
  const headers = new Map<string, string>();
  const response = {
    setHeader(name: string, value: string | number | readonly string[]) {
      headers.set(name.toLowerCase(), Array.isArray(value) ? value.join(', ') : String(value));
      return response;
    },
    removeHeader(name: string) {
      headers.delete(name.toLowerCase());
    },
  };
  let failure: unknown;
  helmet(options)({} as IncomingMessage, response as unknown as ServerResponse, (error?: unknown) => {
    failure = error;
  });
  if (failure) throw failure instanceof Error ? failure : new Error(String(failure));
  return [...headers];
}
