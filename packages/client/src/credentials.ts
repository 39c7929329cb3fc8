import { ConfigurationError, type ForesightError, TokenRevokedError } from './errors.js';
import type { OperationSpec } from './generated/contract.js';
import type { TokenManager } from './tokens.js';
import type { Credentials } from './transport.js';

/** A back end: the API key on every route that needs one. */
export class ApiKeyCredentials implements Credentials {
  constructor(private readonly key: string | undefined) {}
  headers(op: OperationSpec): Record<string, string> {
    if (op.auth.length === 0) return {};
    if (this.key === undefined) {
      throw new ConfigurationError(`${op.method} ${op.path} needs an API key (apiKey) or a session token (ForesightClient.forSession).`);
    }
    return { 'x-api-key': this.key };
  }
}

/** A front end: the session's access token, refreshed when the gateway says it expired. */
export class TokenCredentials implements Credentials {
  constructor(private readonly tokens: TokenManager) {}
  async headers(op: OperationSpec): Promise<Record<string, string>> {
    if (op.auth.length === 0) return {};
    if (!op.auth.includes('bearer')) throw new ConfigurationError(`${op.method} ${op.path} needs the back end's API key; a session token cannot call it.`);
    return { authorization: `Bearer ${await this.tokens.accessToken()}` };
  }
  async onAuthFailure(error: ForesightError): Promise<boolean> {
    if (error instanceof TokenRevokedError) {
      this.tokens.markRevoked(error);
      return false;
    }
    if (error.code !== 'TOKEN.EXPIRED') return false;
    await this.tokens.refreshNow();
    return true;
  }
}
