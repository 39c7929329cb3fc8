import { ErrorCodes, type ErrorCode } from '@foresight/contracts';
import type { IncomingHttpHeaders } from 'node:http';
import { timingSafeEqual } from 'node:crypto';

/** Sent with every 401 of the dashboard, so a browser asks for the key (any user name, the key as password). */
export const OPERATOR_CHALLENGE = 'Basic realm="Foresight operators", charset="UTF-8"';

export type OperatorCheck = { readonly ok: true } | { readonly ok: false; readonly code: ErrorCode; readonly message: string };

/**
 * Who may open the operators' dashboard: a request carrying an operator key (`FORESIGHT_OPERATOR_KEYS`)
 * in `x-operator-key`, or as the password of HTTP Basic authentication (what a browser sends after
 * its prompt, and with every later request of the page, the event stream included). A back-end API
 * key is recognised and refused with 403: it is valid, but it does not open the dashboard.
 */
export class OperatorAuth {
  private readonly operatorKeys: Buffer[];
  private readonly apiKeys: Buffer[];

  constructor(operatorKeys: readonly string[], apiKeys: readonly string[]) {
    this.operatorKeys = operatorKeys.map((k) => Buffer.from(k));
    this.apiKeys = apiKeys.map((k) => Buffer.from(k));
  }

  check(headers: IncomingHttpHeaders): OperatorCheck {
    const presented = presentedKey(headers);
    if (presented !== undefined && matches(this.operatorKeys, presented)) return { ok: true };
    const apiKey = typeof headers['x-api-key'] === 'string' ? headers['x-api-key'] : undefined;
    if ((presented !== undefined && matches(this.apiKeys, presented)) || (apiKey !== undefined && matches(this.apiKeys, apiKey))) {
      return {
        ok: false,
        code: ErrorCodes.FORBIDDEN,
        message: 'A back-end API key does not open the dashboard: use an operator key (FORESIGHT_OPERATOR_KEYS).',
      };
    }
    return {
      ok: false,
      code: ErrorCodes.UNAUTHENTICATED,
      message:
        presented === undefined
          ? 'The dashboard needs an operator key: send it in the x-operator-key header, or as the password of HTTP Basic authentication.'
          : 'Unknown operator key: use one of FORESIGHT_OPERATOR_KEYS.',
    };
  }
}

/** The key in `x-operator-key`, else the password of `Authorization: Basic`; undefined when neither is there. */
export function presentedKey(headers: IncomingHttpHeaders): string | undefined {
  const header = headers['x-operator-key'];
  if (typeof header === 'string' && header.length > 0) return header;
  const auth = headers.authorization;
  if (typeof auth !== 'string') return undefined;
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(auth);
  if (!match) return undefined;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const password = colon >= 0 ? decoded.slice(colon + 1) : '';
  return password.length > 0 ? password : undefined;
}

function matches(keys: readonly Buffer[], presented: string): boolean {
  const p = Buffer.from(presented);
  let found = false;
  // Every key is compared (no early exit), each in constant time.
  for (const k of keys) if (k.length === p.length && timingSafeEqual(k, p)) found = true;
  return found;
}
