import type { ApiKeyScope, ApiKeySpec } from '@foresight/config';
import { ErrorCodes, ForesightError } from '@foresight/contracts';
import type { FastifyRequest } from 'fastify';
import { createHash, timingSafeEqual } from 'node:crypto';

/** Who a valid API key says the caller is. */
export interface ApiKeyPrincipal {
  readonly id: string;
  readonly scopes: ReadonlySet<ApiKeyScope>;
  /** A tenant's key reaches only sessions whose user id starts with this. */
  readonly userPrefix?: string;
}

/** A request whose API key has been checked (set by the guards). */
export type KeyedRequest = FastifyRequest & { apiKey?: ApiKeyPrincipal };

/** GET and HEAD read; every other method writes. */
export function scopeOfMethod(method: string): ApiKeyScope {
  return method === 'GET' || method === 'HEAD' ? 'read' : 'write';
}

/**
 * The configured API keys. Keys are compared by their SHA-256 digests in constant time against every
 * configured key, so neither a key's length nor how much of it matched shows in the timing.
 */
export class ApiKeys {
  private readonly entries: { digest: Buffer; principal: ApiKeyPrincipal }[];

  constructor(keys: readonly ApiKeySpec[]) {
    this.entries = keys.map((k) => ({
      digest: digest(k.key),
      principal: { id: k.id, scopes: new Set(k.scopes), ...(k.userPrefix !== undefined ? { userPrefix: k.userPrefix } : {}) },
    }));
  }

  /** The principal of the `x-api-key` header; undefined when absent or unknown. */
  authenticate(request: FastifyRequest): ApiKeyPrincipal | undefined {
    const header = request.headers['x-api-key'];
    if (typeof header !== 'string' || header.length === 0) return undefined;
    const presented = digest(header);
    let found: ApiKeyPrincipal | undefined;
    for (const e of this.entries) if (timingSafeEqual(e.digest, presented)) found = e.principal;
    return found;
  }

  /** The principal allowed `scope`; 401 without a known key, 403 when the key lacks the scope. */
  require(request: FastifyRequest, scope: ApiKeyScope): ApiKeyPrincipal {
    const principal = this.authenticate(request);
    if (!principal) throw new ForesightError(ErrorCodes.UNAUTHENTICATED, 'Missing or unknown API key: send it in the x-api-key header.');
    if (!principal.scopes.has(scope)) {
      throw new ForesightError(ErrorCodes.FORBIDDEN, `This API key does not have the "${scope}" scope this request needs.`, { scope });
    }
    (request as KeyedRequest).apiKey = principal;
    return principal;
  }
}

function digest(key: string): Buffer {
  return createHash('sha256').update(key, 'utf8').digest();
}

/** Refuses a user id outside a tenant key's prefix (creating a session, issuing tokens). */
export function checkTenantUser(principal: ApiKeyPrincipal | undefined, userId: string | null | undefined): void {
  if (principal?.userPrefix === undefined) return;
  if (typeof userId !== 'string' || !userId.startsWith(principal.userPrefix)) {
    throw new ForesightError(
      ErrorCodes.FORBIDDEN,
      `This API key serves only users whose id starts with "${principal.userPrefix}": send a "userId" with that prefix.`,
    );
  }
}
