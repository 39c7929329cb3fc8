import { AgentMeter } from './agent.js';
import { DEFAULT_RETRY } from './backoff.js';
import { fetchContract } from './contract-check.js';
import { ApiKeyCredentials, TokenCredentials } from './credentials.js';
import { ClientErrorCodes, ConfigurationError, ForesightError } from './errors.js';
import {
  CONTRACT_VERSION,
  type AgentReportAccepted,
  type AgentReportsList,
  type ContractInfo,
  type CreateSessionBody,
  type DataGetReply,
  type DataPrefetchReply,
  type InvalidateAccepted,
  type InvalidateBody,
  type JsonValue,
  type Jwks,
  type LockGrantView,
  type LockReleaseReply,
  type LockStatusView,
  type OperationId,
  type Operations,
  type OwnerView,
  type PredictionResult,
  type RequirementDeclaration,
  type RequirementsListReply,
  type RequirementsPutReply,
  type RevokeReply,
  type SessionCacheStats,
  type SessionView,
  type TokenPair,
  type VariableReply,
  type VersionReply,
} from './generated/contract.js';
import { randomId } from './ids.js';
import { withLock, type HeldLock, type WithLockOptions } from './locks.js';
import { checkBody, checkGroups, checkVariable, checkVariableName, type Limits } from './limits.js';
import { VISIBLE_ASCII, gatewaysOf, positive, type AgentSettings, type ClientOptions, type SessionClientOptions } from './options.js';
import { SessionClient } from './session.js';
import type { LockApi, LockMode, SessionApi } from './session-api.js';
import { TokenPushSocket, type WebSocketFactory } from './token-socket.js';
import { TokenManager } from './tokens.js';
import { Transport, type CallOptions, type Credentials, type FetchLike, type Request } from './transport.js';

export type { AgentSettings, ClientOptions, SessionClientOptions } from './options.js';

/** Name and version the client reports itself as (agent reports). */
export const SDK = `@foresight/client/${CONTRACT_VERSION}`;

/**
 * A typed client for a Foresight gateway: every REST route, with deadlines, cancellation, retries
 * on 503/504 and connection failures, an idempotency key on every write, errors as typed classes,
 * the gateway's size limits checked before sending, and an agent that measures each gateway.
 */
export class ForesightClient implements SessionApi, LockApi {
  /** The WebSocket used when options.webSocket is not given (the entry point sets it: `ws` in Node, the browser's own). */
  static defaultWebSocket: WebSocketFactory | undefined;
  /** The transport used when options.fetch is not given (the Node entry point sets node:http with keep-alive; else the platform's fetch). */
  static defaultFetch: FetchLike | undefined;

  readonly transport: Transport;
  /** The agent's meter (undefined when the agent is off). */
  readonly meter: AgentMeter | undefined;
  private readonly checkContract: boolean;
  private readonly agentSettings: AgentSettings | false;
  private readonly clientId: string;
  private contractInfo: ContractInfo | undefined;
  private contractCheck: Promise<ContractInfo> | undefined;
  private reportTimer: ReturnType<typeof setInterval> | undefined;
  private closed = false;

  constructor(options: ClientOptions, credentials?: Credentials) {
    const gateways = gatewaysOf(options.baseUrl);
    if (options.apiKey !== undefined && !VISIBLE_ASCII.test(options.apiKey)) {
      throw new ConfigurationError('apiKey must be 1–512 visible ASCII characters (it travels in the x-api-key header).');
    }
    const givenFetch = options.fetch ?? ForesightClient.defaultFetch;
    if (!givenFetch && typeof globalThis.fetch !== 'function')
      throw new ConfigurationError('No fetch on this platform: pass options.fetch (Node 20+ and browsers have one).');
    // Called as a plain function: a browser's fetch refuses to run with another `this` than the window.
    const fetchImpl: FetchLike = givenFetch ?? ((url, init) => globalThis.fetch(url, init));
    const timeoutMs = positive('timeoutMs', options.timeoutMs, 10_000);
    this.agentSettings = options.agent ?? {};
    this.clientId = (this.agentSettings && this.agentSettings.clientId) || randomId(16);
    this.meter = this.agentSettings === false ? undefined : new AgentMeter({ slotMs: this.agentSettings.slotMs, slots: this.agentSettings.slots });
    this.checkContract = options.checkContract ?? true;
    this.transport = new Transport({
      gateways,
      fetch: fetchImpl,
      credentials: credentials ?? new ApiKeyCredentials(options.apiKey),
      timeoutMs,
      attemptTimeoutMs: positive('attemptTimeoutMs', options.attemptTimeoutMs, timeoutMs),
      retry: { ...DEFAULT_RETRY, ...options.retry },
      meter: this.meter,
      ...(this.meter ? { clientId: this.clientId } : {}),
    });
  }

  /**
   * A client for one session that authenticates with the session's tokens instead of an API key
   * (browsers, mobile, any front end): it keeps the access token fresh and, by default, holds the
   * token WebSocket open so the gateway's pre-minted pairs arrive before the active one expires.
   */
  static forSession(options: SessionClientOptions): SessionClient {
    let client: ForesightClient | undefined;
    const tokens = new TokenManager({
      tokens: options.tokens,
      expiryMarginMs: options.expiryMarginMs,
      refresh: (refreshToken) => client!.refreshTokens(refreshToken),
    });
    client = new ForesightClient(options, new TokenCredentials(tokens));
    const webSocket = options.webSocket ?? ForesightClient.defaultWebSocket;
    const push =
      options.push === false || !webSocket
        ? undefined
        : new TokenPushSocket({ gateway: () => client!.transport.gateway, sessionId: options.sessionId, tokens, webSocket, onEvent: options.onPushEvent });
    push?.start();
    return new SessionClient(client, options.sessionId, { tokens, push });
  }

  /** A handle on one session, for calls without repeating its id. */
  session(id: string): SessionClient {
    return new SessionClient(this, id);
  }

  /** The gateway's contract (version, limits, groups); checked once, before the first call. */
  async contract(call?: CallOptions): Promise<ContractInfo> {
    if (this.contractInfo) return this.contractInfo;
    this.contractCheck ??= fetchContract(this.transport, call).then(
      (info) => (this.contractInfo = info),
      (error: unknown) => {
        this.contractCheck = undefined; // a gateway that was down may come back: check again next time
        throw error;
      },
    );
    return this.contractCheck;
  }

  /** Calls one operation by its OpenAPI id: the typed escape hatch under every method. */
  async call<Op extends OperationId>(op: Op, request: Request<Op>, call?: CallOptions): Promise<Operations[Op]['response']> {
    if (this.closed) throw new ForesightError({ code: ClientErrorCodes.CLOSED, message: 'The client was closed.' });
    if (this.checkContract && !this.contractInfo && op !== 'AgentController_contractInfo') await this.contract(call);
    this.startReporting();
    return this.transport.call(op, request, call);
  }

  private async limits(call?: CallOptions): Promise<Limits | undefined> {
    return this.checkContract ? (await this.contract(call)).limits : undefined;
  }

  // ---- sessions ----

  async createSession(body: CreateSessionBody = {}, call?: CallOptions): Promise<SessionView> {
    const limits = await this.limits(call);
    if (limits && body.data) checkGroups(limits, body.data);
    return this.call('SessionsController_create', { body: this.encode(limits, body) }, call);
  }

  getSession(id: string, options: { groups?: readonly string[] } = {}, call?: CallOptions): Promise<SessionView> {
    return this.call('SessionsController_get', { params: { id }, query: options.groups ? { groups: options.groups.join(',') } : {} }, call);
  }

  endSession(id: string, call?: CallOptions): Promise<VersionReply> {
    return this.call('SessionsController_end', { params: { id } }, call);
  }

  getOwner(id: string, call?: CallOptions): Promise<OwnerView> {
    return this.call('SessionsController_owner', { params: { id } }, call);
  }

  getVariable(id: string, group: string, name: string, options: { consistent?: boolean } = {}, call?: CallOptions): Promise<VariableReply> {
    checkVariableName(name);
    return this.call('SessionsController_getVar', { params: { id, group, name }, query: options.consistent ? { consistent: true } : {} }, call);
  }

  async setVariable(
    id: string,
    group: string,
    name: string,
    value: JsonValue,
    options: { expectedVersion?: number } = {},
    call?: CallOptions,
  ): Promise<VersionReply> {
    checkVariableName(name);
    const limits = await this.limits(call);
    if (limits) checkVariable(limits, group, name, value);
    const body = this.encode(limits, { value, ...(options.expectedVersion !== undefined ? { expectedVersion: options.expectedVersion } : {}) });
    return this.call('SessionsController_putVar', { params: { id, group, name }, body }, call);
  }

  async patchVariable(
    id: string,
    group: string,
    name: string,
    patch: JsonValue,
    options: { expectedVersion?: number } = {},
    call?: CallOptions,
  ): Promise<VariableReply> {
    checkVariableName(name);
    const limits = await this.limits(call);
    if (limits) checkVariable(limits, group, name, patch);
    const body = this.encode(limits, { patch, ...(options.expectedVersion !== undefined ? { expectedVersion: options.expectedVersion } : {}) });
    return this.call('SessionsController_patchVar', { params: { id, group, name }, body }, call);
  }

  deleteVariable(id: string, group: string, name: string, call?: CallOptions): Promise<VersionReply> {
    checkVariableName(name);
    return this.call('SessionsController_deleteVar', { params: { id, group, name } }, call);
  }

  // ---- session locks ----

  /** Locks a session (shared or exclusive) for a lease; the answer carries the token writes must send. */
  acquireLock(id: string, mode: LockMode, options: { leaseMs?: number; holder?: string } = {}, call?: CallOptions): Promise<LockGrantView> {
    const body = {
      mode,
      ...(options.leaseMs !== undefined ? { leaseMs: options.leaseMs } : {}),
      ...(options.holder !== undefined ? { holder: options.holder } : {}),
    };
    return this.call('LocksController_acquire', { params: { id }, body: JSON.stringify(body) }, call);
  }

  renewLock(id: string, token: string, options: { leaseMs?: number } = {}, call?: CallOptions): Promise<LockGrantView> {
    return this.call(
      'LocksController_renew',
      { params: { id }, body: JSON.stringify({ token, ...(options.leaseMs !== undefined ? { leaseMs: options.leaseMs } : {}) }) },
      call,
    );
  }

  releaseLock(id: string, token: string, call?: CallOptions): Promise<LockReleaseReply> {
    return this.call('LocksController_release', { params: { id }, body: JSON.stringify({ token }) }, call);
  }

  lockStatus(id: string, call?: CallOptions): Promise<LockStatusView> {
    return this.call('LocksController_status', { params: { id } }, call);
  }

  /**
   * Locks the session, runs `fn` with the lock (its token, and a session handle whose writes carry
   * it), renews the lease every third of it meanwhile, and releases the lock when `fn` settles.
   */
  withLock<T>(sessionId: string, mode: LockMode, fn: (lock: HeldLock) => Promise<T>, options?: WithLockOptions): Promise<T> {
    return withLock(this, sessionId, mode, fn, options);
  }

  // ---- prediction and the predictive cache ----

  recordAction(id: string, action: string, call?: CallOptions): Promise<VersionReply> {
    return this.call('SessionsController_recordAction', { params: { id }, body: JSON.stringify({ action }) }, call);
  }

  predictions(id: string, n?: number, call?: CallOptions): Promise<PredictionResult> {
    return this.call('PredictionsController_predictions', { params: { id }, query: n !== undefined ? { n } : {} }, call);
  }

  /** A data key through the session's owner node: from its predictive cache, or its origin. */
  getWithPrediction(id: string, key: string, call?: CallOptions): Promise<DataGetReply> {
    return this.call('DataController_get', { params: { id, key } }, call);
  }

  prefetch(id: string, action: string, context?: Readonly<Record<string, string | number>>, call?: CallOptions): Promise<DataPrefetchReply> {
    return this.call('DataController_prefetch', { params: { id }, body: JSON.stringify({ action, ...(context ? { context } : {}) }) }, call);
  }

  sessionCacheStats(id: string, call?: CallOptions): Promise<SessionCacheStats> {
    return this.call('DataController_stats', { params: { id } }, call);
  }

  async putRequirement(declaration: RequirementDeclaration, call?: CallOptions): Promise<RequirementsPutReply> {
    return this.call('CacheAdminController_putRequirement', { body: this.encode(await this.limits(call), declaration) }, call);
  }

  listRequirements(call?: CallOptions): Promise<RequirementsListReply> {
    return this.call('CacheAdminController_listRequirements', {}, call);
  }

  async invalidate(body: InvalidateBody, call?: CallOptions): Promise<InvalidateAccepted> {
    return this.call('CacheAdminController_invalidate', { body: this.encode(await this.limits(call), body) }, call);
  }

  clusterCacheStats(call?: CallOptions): Promise<Operations['CacheAdminController_stats']['response']> {
    return this.call('CacheAdminController_stats', {}, call);
  }

  // ---- tokens ----

  issueTokens(id: string, options: { userId?: string } = {}, call?: CallOptions): Promise<TokenPair> {
    return this.call('TokensController_issue', { params: { id }, body: JSON.stringify(options) }, call);
  }

  refreshTokens(refreshToken: string, call?: CallOptions): Promise<TokenPair> {
    return this.call('TokensController_refresh', { body: JSON.stringify({ refreshToken }) }, call);
  }

  revokeTokens(id: string, call?: CallOptions): Promise<RevokeReply> {
    return this.call('TokensController_revoke', { params: { id } }, call);
  }

  jwks(call?: CallOptions): Promise<Jwks> {
    return this.call('TokensController_jwksDocument', {}, call);
  }

  // ---- the agent ----

  /** Sends the agent's measurements now (also done on a schedule). */
  async reportNow(call?: CallOptions): Promise<AgentReportAccepted | undefined> {
    if (!this.meter) return undefined;
    const report = this.meter.report(this.clientId, SDK);
    if (report.gateways.length === 0) return undefined;
    return this.transport.call('AgentController_report', { body: JSON.stringify(report) }, call, false);
  }

  /** The latest report of every client agent the gateway heard from recently (API key: operators, the affinity service). */
  agentReports(call?: CallOptions): Promise<AgentReportsList> {
    return this.call('AgentController_list', {}, call);
  }

  /** Stops the agent's schedule (and, for a session client, the token WebSocket). Pending calls finish. */
  close(): void {
    this.closed = true;
    if (this.reportTimer) clearInterval(this.reportTimer);
    this.reportTimer = undefined;
  }

  private startReporting(): void {
    if (this.reportTimer || this.closed || !this.meter || this.agentSettings === false) return;
    const every = this.agentSettings.reportIntervalMs ?? this.contractInfo?.agentReportIntervalMs ?? 30_000;
    if (every <= 0) return;
    this.reportTimer = setInterval(() => void this.reportNow().catch(() => undefined), every);
    (this.reportTimer as { unref?: () => void }).unref?.();
  }

  private encode(limits: Limits | undefined, body: unknown): string {
    const text = JSON.stringify(body);
    if (limits) checkBody(limits, text);
    return text;
  }
}
