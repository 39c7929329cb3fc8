import { longestAccessTokenMs, type ForesightConfig } from '@foresight/config';
import { counter, type Logger } from '@foresight/observability';
import { renewOnUseWindowMs } from '@foresight/token-core';
import type { Clock } from '@foresight/time';
import type { NatsConnection } from 'nats';
import type { Registry } from 'prom-client';
import { ApiKeys } from './common/api-keys';
import { SessionTenants } from './common/session-tenants';
import { WriteLimitSharing } from './common/write-limit-sharing';
import { WriteLimits } from './common/write-limits';
import { DashboardFeed } from './dashboard/dashboard-feed';
import { OperatorAuth } from './dashboard/operator-auth';
import { PredictionOutcomes } from './dashboard/prediction-outcomes';
import { AgentReports } from './agent/agent-reports';
import { EdgeCacheService } from './edge-cache/edge-cache.service';
import { LockRenewals } from './locks/lock-renewals';
import { AffinityClient } from './edges/affinity-client';
import { AffinityView } from './edges/affinity-view';
import { EdgeMembership } from './edges/edge-membership';
import { IssuedIds } from './common/issued-ids';
import { PreferredEdges } from './edges/preferred-edge.hook';
import { NodeHealthReporter } from './routing/node-health';
import { OwnerDirectory } from './routing/owner-directory.service';
import { ShardClient } from './routing/shard-client.service';
import { VariablesService } from './sessions/variables.service';
import { AccessTokenVerifier } from './tokens/access-token-verifier';
import { JwksCache } from './tokens/jwks-cache';
import { RefreshLimits } from './tokens/refresh-limits';
import { RevocationCache } from './tokens/revocation-cache';
import { TokenClient } from './tokens/token-client';
import { TokenRenewer } from './tokens/token-renewer';
import { TokenSocketService } from './tokens/token-socket.service';

export interface GatewayRuntimeDeps {
  readonly config: ForesightConfig;
  readonly nc: NatsConnection;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly metrics: Registry;
}

/**
 * The gateway without Nest: routing to owner nodes (owner directory, shard client), the edge cache,
 * the token features (JWKS and revocation caches, access-token verification, refresh limits,
 * WebSocket push), API keys and their tenants, write rate limits, the client agents' reports and the
 * operators' dashboard (its feed, operator keys, prediction scoring). The HTTP controllers, guards,
 * hooks and the fast lane use these objects.
 */
export class GatewayRuntime {
  readonly directory: OwnerDirectory;
  readonly shards: ShardClient;
  /** This gateway's view of each node's latency and errors, for the metadata leader's degradation check. */
  readonly nodeHealth: NodeHealthReporter;
  readonly edgeCache: EdgeCacheService;
  readonly variables: VariablesService;
  /** Session ids found issued by this cluster (an HMAC check per id, not per request). */
  readonly issuedIds: IssuedIds;
  /** Lock renewals, batched per owner node. */
  readonly lockRenewals: LockRenewals;
  readonly tokenClient: TokenClient;
  readonly jwks: JwksCache;
  readonly revocations: RevocationCache;
  readonly verifier: AccessTokenVerifier;
  readonly limits: RefreshLimits;
  readonly tokenSockets: TokenSocketService;
  readonly apiKeys: ApiKeys;
  readonly tenants: SessionTenants;
  readonly writeLimits: WriteLimits;
  /** Absent when each gateway limits writes on its own. */
  readonly writeLimitSharing: WriteLimitSharing | undefined;
  readonly predictionOutcomes: PredictionOutcomes;
  readonly dashboard: DashboardFeed;
  readonly operators: OperatorAuth;
  readonly agentReports: AgentReports;
  /** This gateway as an edge: its registration, and its cached view of the affinity service's routing. */
  readonly edgeMembership: EdgeMembership;
  readonly affinity: AffinityView;
  /** The affinity service's request/reply API (the operator routes read and write through it). */
  readonly affinityClient: AffinityClient;
  /** The `Foresight-Preferred-Edge` header on answers about a session. */
  readonly preferredEdges: PreferredEdges;
  private pruneTimer: NodeJS.Timeout | null = null;

  get config(): GatewayRuntimeDeps['config'] {
    return this.deps.config;
  }

  constructor(private readonly deps: GatewayRuntimeDeps) {
    const { config, nc, logger, clock, metrics } = deps;
    this.directory = new OwnerDirectory({ nc, config, logger, metrics });
    this.nodeHealth = new NodeHealthReporter({
      nc,
      namespace: config.nats.namespace,
      everyMs: config.cluster.nodeHealthReportMs,
      // Two seconds: a node that stops answering is still weighed against the attempts it answered before.
      windowMs: Math.max(2000, 8 * config.cluster.nodeHealthReportMs),
      clock,
      logger,
      // The lowest latency the leader may act on: a node first reaching it is reported at once.
      urgentMs: config.cluster.degradedFloorMs || config.cluster.degradedP99Ms,
      // A first attempt on a shard that has just moved counts only if it times out: taking a shard over is not slowness.
      takeoverAllowanceMs: config.nats.requestTimeoutMs,
    });
    this.shards = new ShardClient({ directory: this.directory, nc, config, metrics, health: this.nodeHealth });
    this.edgeCache = new EdgeCacheService({ directory: this.directory, nc, config, logger, clock, metrics });
    this.issuedIds = IssuedIds.forSecret(config.session.idSecret, config.gateway.l1MaxSessions);
    this.variables = new VariablesService({ shards: this.shards, l1: this.edgeCache, config, issuedIds: this.issuedIds });
    this.lockRenewals = new LockRenewals({ directory: this.directory, nc, config, clock, metrics, logger });
    this.tokenClient = new TokenClient(nc, config.nats.namespace, config.nats.requestTimeoutMs);
    this.jwks = new JwksCache(() => this.tokenClient.call('jwks', {}), clock, config.token.jwksCacheMs);
    this.revocations = new RevocationCache(
      nc,
      { namespace: config.nats.namespace, replicas: config.nats.jetStreamReplicas, retainMs: longestAccessTokenMs(config.token) + 120_000, clock },
      logger,
    );
    const renewals = counter(metrics, 'foresight_gateway_token_renewals_total', 'Access tokens used close to their expiry, renewed off the request path');
    const renewer = new TokenRenewer({
      renew: (request) => this.tokenClient.call('renew', request),
      windowMs: renewOnUseWindowMs({ minSkewMs: config.token.refreshMinSkewMs, bucketMs: config.token.schedulerBucketMs }),
      onAsked: () => renewals.inc(),
      onFailed: (err) => logger.warn({ err }, 'renewing an access token on use failed; the next request asks again'),
    });
    this.verifier = new AccessTokenVerifier(
      this.jwks,
      (claims) => this.revocations.isRevoked(claims),
      clock,
      config.token,
      (claims, now) => renewer.onUse(claims, now),
    );
    this.limits = new RefreshLimits(config.token.rateLimit);
    this.apiKeys = new ApiKeys(config.gateway.security.keys);
    this.tenants = new SessionTenants(
      async (sessionId, ctx) => (await this.shards.call(this.variables.checkId(sessionId), 'session.get', { sessionId, groups: [] }, ctx)).userId,
    );
    this.writeLimits = new WriteLimits(config.gateway.security.writeLimits);
    const everyMs = config.gateway.security.writeLimits.shareEveryMs;
    this.writeLimitSharing =
      everyMs > 0 ? new WriteLimitSharing({ nc, namespace: config.nats.namespace, limits: this.writeLimits, everyMs, clock, logger, metrics }) : undefined;
    this.tokenSockets = new TokenSocketService({
      verifier: this.verifier,
      tokens: this.tokenClient,
      revocations: this.revocations,
      nc,
      config,
      logger,
      metrics,
    });
    this.predictionOutcomes = new PredictionOutcomes({ nc, namespace: config.nats.namespace, metrics, logger, clock });
    this.dashboard = new DashboardFeed({ config, nc, metrics, outcomes: this.predictionOutcomes, logger, clock });
    this.operators = new OperatorAuth(
      config.gateway.operatorKeys,
      config.gateway.security.keys.map((k) => k.key),
    );
    const affinityClient = new AffinityClient(nc, config.nats.namespace, config.nats.requestTimeoutMs);
    this.affinityClient = affinityClient;
    this.edgeMembership = new EdgeMembership(
      affinityClient,
      { edgeId: config.edges.edgeId, url: config.edges.url, zone: config.edges.zone, heartbeatMs: config.edges.heartbeatMs },
      logger,
    );
    this.affinity = new AffinityView(
      nc,
      affinityClient,
      {
        namespace: config.nats.namespace,
        edgeId: config.edges.edgeId,
        url: config.edges.url,
        cacheTtlMs: config.edges.cacheTtlMs,
        refreshMs: Math.max(200, Math.floor(config.edges.leaseMs / 2)),
        maxSessions: config.gateway.l1MaxSessions,
      },
      clock,
      logger,
      metrics,
    );
    this.preferredEdges = new PreferredEdges(this.affinity, config.edges.preferredHeader, (id) => this.issuedIds.has(id));
    this.agentReports = new AgentReports({ clock, metrics, onAccepted: (report) => this.affinity.forwardReport(report) });
  }

  /** The revocation cache first (no token is trusted before it follows), then the owner table and the edge cache. */
  async start(): Promise<void> {
    const { clock, logger } = this.deps;
    await this.revocations.start();
    // Refresh and write buckets and stale agent reports are pruned together, so memory follows the clients still active.
    this.pruneTimer = setInterval(() => {
      this.limits.prune(clock.now());
      this.writeLimits.prune(clock.now());
      this.agentReports.prune();
    }, 30_000);
    this.pruneTimer.unref();
    logger.info('token revocation cache following token.revoked');
    this.directory.start();
    this.nodeHealth.start();
    this.edgeCache.start();
    this.lockRenewals.start();
    this.writeLimitSharing?.start();
    this.predictionOutcomes.start();
    this.affinity.start();
    this.edgeMembership.start();
  }

  /**
   * Once the HTTP server has closed: routing and the edge cache stop (served reads reported), then
   * the token sockets close and the revocation cache stops last; the platform then drains NATS.
   */
  async stop(): Promise<void> {
    await this.edgeMembership.stop();
    this.affinity.stop();
    this.dashboard.stop();
    this.predictionOutcomes.stop();
    await this.lockRenewals.flush();
    this.lockRenewals.stop();
    this.directory.stop();
    this.nodeHealth.stop();
    await this.edgeCache.stop();
    if (this.pruneTimer) clearInterval(this.pruneTimer);
    this.writeLimitSharing?.stop();
    this.tokenSockets.close();
    await this.revocations.stop();
  }
}
