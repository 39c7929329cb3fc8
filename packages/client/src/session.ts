import type {
  DataGetReply,
  DataPrefetchReply,
  JsonValue,
  OwnerView,
  PredictionResult,
  RevokeReply,
  SessionCacheStats,
  SessionView,
  VariableReply,
  VersionReply,
} from './generated/contract.js';
import type { SessionApi } from './session-api.js';
import type { TokenPushSocket } from './token-socket.js';
import type { TokenManager } from './tokens.js';
import type { CallOptions } from './transport.js';

/** One session's calls, without repeating its id; with tokens when made by `ForesightClient.forSession`. */
export class SessionClient {
  /** The session's tokens (sessions opened with `ForesightClient.forSession`). */
  readonly tokens: TokenManager | undefined;
  /** The token WebSocket, when open. */
  readonly push: TokenPushSocket | undefined;

  /** Options every call of this handle carries (e.g. the lock token of `withLock`), under the call's own. */
  private readonly defaults: CallOptions;

  constructor(
    readonly client: SessionApi,
    readonly id: string,
    auth: { tokens?: TokenManager; push?: TokenPushSocket } = {},
    defaults: CallOptions = {},
  ) {
    this.tokens = auth.tokens;
    this.push = auth.push;
    this.defaults = defaults;
  }

  private c(call: CallOptions | undefined): CallOptions | undefined {
    return call === undefined ? (Object.keys(this.defaults).length > 0 ? this.defaults : undefined) : { ...this.defaults, ...call };
  }

  get(options: { groups?: readonly string[] } = {}, call?: CallOptions): Promise<SessionView> {
    return this.client.getSession(this.id, options, this.c(call));
  }

  getVariable(group: string, name: string, options: { consistent?: boolean } = {}, call?: CallOptions): Promise<VariableReply> {
    return this.client.getVariable(this.id, group, name, options, this.c(call));
  }

  set(group: string, name: string, value: JsonValue, options: { expectedVersion?: number } = {}, call?: CallOptions): Promise<VersionReply> {
    return this.client.setVariable(this.id, group, name, value, options, this.c(call));
  }

  patch(group: string, name: string, patch: JsonValue, options: { expectedVersion?: number } = {}, call?: CallOptions): Promise<VariableReply> {
    return this.client.patchVariable(this.id, group, name, patch, options, this.c(call));
  }

  delete(group: string, name: string, call?: CallOptions): Promise<VersionReply> {
    return this.client.deleteVariable(this.id, group, name, this.c(call));
  }

  /** Records what the user just did: the models learn from it and the owner node prefetches for it. */
  recordAction(action: string, call?: CallOptions): Promise<VersionReply> {
    return this.client.recordAction(this.id, action, this.c(call));
  }

  /** A data key from the owner node's predictive cache, or its origin. */
  getWithPrediction(key: string, call?: CallOptions): Promise<DataGetReply> {
    return this.client.getWithPrediction(this.id, key, this.c(call));
  }

  /** Loads, in the background, the keys an action needs. */
  prefetch(action: string, context?: Readonly<Record<string, string | number>>, call?: CallOptions): Promise<DataPrefetchReply> {
    return this.client.prefetch(this.id, action, context, this.c(call));
  }

  predictions(n?: number, call?: CallOptions): Promise<PredictionResult> {
    return this.client.predictions(this.id, n, this.c(call));
  }

  cacheStats(call?: CallOptions): Promise<SessionCacheStats> {
    return this.client.sessionCacheStats(this.id, this.c(call));
  }

  owner(call?: CallOptions): Promise<OwnerView> {
    return this.client.getOwner(this.id, this.c(call));
  }

  end(call?: CallOptions): Promise<VersionReply> {
    return this.client.endSession(this.id, this.c(call));
  }

  /** With tokens: logs out (revokes this token family). With an API key: revokes every family of the session. */
  revokeTokens(call?: CallOptions): Promise<RevokeReply> {
    return this.client.revokeTokens(this.id, this.c(call));
  }

  /** Closes the token WebSocket and the agent's schedule of a session client. */
  close(): void {
    this.push?.stop();
    this.tokens?.close();
    if (this.tokens) this.client.close();
  }
}
