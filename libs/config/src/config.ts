import { Limits } from '@foresight/contracts';
import { hostname } from 'node:os';
import { readCacheConfig, type CacheConfig } from './cache-config';
import { readTransferConfig, type TransferConfig } from './transfer-config';
import { readStorePartitions, type StorePartitionSpec } from './partition-config';
import { readPredictionConfig, type PredictionConfig } from './prediction-config';
import { EnvReader } from './env-reader';
import { checkProductionSecrets, DEVELOPMENT_SECRET, readTrustedProxies } from './secrets';
import { readGatewaySecurity, readSessionEncryption, type GatewaySecurityConfig, type SessionEncryptionConfig } from './security-config';
import { readDatabaseSsl, readHttpTls, readNatsAuth, readNatsTls, type DatabaseSslConfig, type HttpTlsConfig, type NatsTlsConfig } from './transport-config';

export type ServiceName = 'gateway' | 'metadata' | 'shard' | 'prediction' | 'token' | 'affinity' | 'tool' | 'migrate';

/** Services that issue or verify session ids (an HMAC tag keyed by SESSION_ID_SECRET). */
const SESSION_ID_USERS: readonly ServiceName[] = ['gateway', 'shard', 'prediction', 'token', 'tool'];

const DEFAULT_PORTS: Record<ServiceName, number> = {
  gateway: 3000,
  metadata: 3001,
  shard: 3002,
  prediction: 3003,
  token: 3004,
  affinity: 3005,
  tool: 0,
  migrate: 0,
};

/** Opens the operators' dashboard outside production; refused in production. */
const DEV_OPERATOR_KEY = 'dev-operator-key';

/** The whole configuration of a Foresight process, read once from the environment: validated, typed, injected; nothing else reads `process.env`. */
export interface ForesightConfig {
  readonly service: ServiceName;
  readonly environment: 'development' | 'production' | 'test';
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  readonly http: {
    readonly host: string;
    readonly port: number;
    readonly bodyLimitBytes: number;
    /** Proxies whose X-Forwarded-For names the client (the address rate limits and logs use); none: the peer address. */
    readonly trustedProxies: readonly string[];
    /** HTTPS (certificate and key); none: plain HTTP, e.g. behind a TLS-terminating proxy. */
    readonly tls?: HttpTlsConfig;
  };
  readonly nats: {
    readonly servers: readonly string[];
    readonly user?: string;
    /** Development only: production authenticates with an nkey. */
    readonly password?: string;
    readonly nkeySeed?: string;
    /** TLS to the servers (required when set). */
    readonly tls?: NatsTlsConfig;
    /** Subject/stream namespace (see `subjects()`). */
    readonly namespace: string;
    readonly jetStreamReplicas: number;
    readonly requestTimeoutMs: number;
    /** Largest message the NATS server carries (its max_payload); services refuse to start on a server that carries less. */
    readonly maxPayloadBytes: number;
    /** Gather a turn of the event loop's outgoing messages into one socket write (instead of one write per message). */
    readonly coalesceWrites: boolean;
    /** How committed events go to JetStream: `pipelined` (one reply subscription for all publications) or `request` (nats.js's request per publication). */
    readonly jetStreamPublish: 'pipelined' | 'request';
  };
  readonly database: {
    readonly url: string;
    readonly poolSize: number;
    readonly ssl: DatabaseSslConfig;
    /** Where each shard's event store lives (`EVENT_STORE_PARTITIONS`): by default one partition, every shard on `url`. */
    readonly partitions: readonly StorePartitionSpec[];
  };
  readonly cluster: {
    readonly shardCount: number;
    readonly nodeId: string;
    readonly heartbeatMs: number;
    readonly leaseMs: number;
    /** Bounded-load factor c: no node gets more than ceil(c · shards / nodes) shards. */
    readonly loadFactor: number;
    readonly rebalanceMs: number;
    /**
     * How often the metadata leader probes each live shard node over NATS (0: no probes; the lease
     * alone detects a dead node).
     */
    readonly probeMs: number;
    /**
     * A node that has neither heartbeated nor answered a probe for this long is declared dead before
     * its lease runs out; nodes stop serving this long after their last acknowledged heartbeat.
     */
    readonly suspectAfterMs: number;
    /**
     * Degradation, as the gateways measure it: a node whose 99th-percentile latency reaches
     * `degradedP99Ms` (0: the check is off), or whose share of timed-out attempts
     * reaches `degradedErrorRate`, for `degradedForMs`, has its shards moved to other nodes and gets
     * none back for `drainCooldownMs`. A node is also degraded when its p99 reaches the lower
     * `degradedFloorMs` (0: only the absolute threshold) and is at least `degradedRelativeFactor`
     * times the median p99 of the other live nodes: a host that slows every node alike drains none.
     */
    readonly degradedP99Ms: number;
    readonly degradedFloorMs: number;
    readonly degradedRelativeFactor: number;
    readonly degradedErrorRate: number;
    readonly degradedForMs: number;
    readonly drainCooldownMs: number;
    /** How often each gateway reports the latency and errors it sees per node. */
    readonly nodeHealthReportMs: number;
    /** Fault injection for the chaos suite: a shard node waits this long before every request it serves (0: off; refused in production). */
    readonly chaosDelayMs: number;
    /** With a chaos delay: it starts off, and SIGUSR2 turns it on and off (the chaos suite's "node turns slow"). */
    readonly chaosDelayOnSignal: boolean;
    /**
     * Warm secondaries: a shard node pushes the events it commits to the node that would take the
     * shard over if it died, which keeps an in-memory copy and serves from it on takeover.
     */
    readonly replication: boolean;
  };
  readonly session: {
    readonly groups: readonly string[];
    readonly idleTimeoutMs: number;
    readonly absoluteTimeoutMs: number;
    readonly maxVariableBytes: number;
    readonly maxSessionBytes: number;
    readonly idSecret: string;
    readonly snapshotEvery: number;
    readonly sweepMs: number;
    /** How long past its idle deadline a session is kept, so activity an edge reports late still counts. */
    readonly idleGraceMs: number;
    /** Groups stored encrypted at rest, and the keys (shard nodes only). */
    readonly encryption: SessionEncryptionConfig;
    /**
     * A shard node's loaded sessions: at most this many bytes (estimated from their variables), the
     * least recently used evicted first; a session unused for `memoryIdleTtlMs` is evicted too (0: never
     * for idleness). Evicted sessions are reloaded from Postgres on their next use.
     */
    readonly memoryBudgetBytes: number;
    readonly memoryIdleTtlMs: number;
  };
  /** Session locks with leases, decided by the session's owner node. */
  readonly locks: {
    /** Lease when the acquisition names none. */
    readonly defaultLeaseMs: number;
    /** Longest lease granted or renewed; also how long a node that takes a shard over honours the locks it finds (see ADR 15). */
    readonly maxLeaseMs: number;
    /**
     * How often a gateway sends the lock renewals due (its clients' leases it keeps, and renewals it
     * was asked for), one request per owner node; 0: no batching, one request per renewal.
     */
    readonly renewBatchMs: number;
  };
  readonly store: { readonly maxBatch: number };
  /** Edges (gateway instances) and session affinity: the edge's identity, its lease, and the affinity service's routing. */
  readonly edges: {
    readonly edgeId: string;
    /** The URL clients reach this edge at (advertised in the registry and in the preferred-edge header). */
    readonly url: string;
    readonly zone: string;
    /** A silent edge is taken out of routing this long after its last heartbeat. */
    readonly leaseMs: number;
    /** Answers about a session name its preferred edge (`Foresight-Preferred-Edge`); off: no header, no affinity lookups. */
    readonly preferredHeader: boolean;
    readonly heartbeatMs: number;
    /** Below this stickiness weight a session leaves its edge. */
    readonly threshold: number;
    /** How weights follow agent reports: the baseline rules or the predictive policy. */
    readonly policy: 'rules' | 'predictive';
    /** Sessions of one user prefer one edge. */
    readonly hashByUser: boolean;
    /** How long an affinity record lives without a request. */
    readonly recordLeaseMs: number;
    /** How long an edge trusts a cached record it heard no change for. */
    readonly cacheTtlMs: number;
  };
  readonly gateway: {
    readonly apiKeys: readonly string[];
    /** Keys of the operators' dashboard (`/dashboard`); none: the dashboard is not served. */
    readonly operatorKeys: readonly string[];
    readonly maxAttempts: number;
    /** Edge (L1) cache of session variables, kept fresh by session events; 0 disables it. */
    readonly l1TtlMs: number;
    readonly l1MaxSessions: number;
    /** How often reads served from L1 are reported to owners as activity (batched). */
    readonly touchFlushMs: number;
    /** API keys with scopes, CORS, access logs, write rate limits. */
    readonly security: GatewaySecurityConfig;
  };
  /** Tokens: lifetimes, key handling, predictive refresh (token service) and verification limits (gateway). */
  readonly token: {
    readonly issuer: string;
    readonly audience: string;
    readonly accessTtlMs: number;
    /** Longest access token issued when a load peak is predicted (= accessTtlMs: never longer). */
    readonly maxAccessTtlMs: number;
    readonly refreshTtlMs: number;
    readonly familyMaxLifetimeMs: number;
    readonly graceMs: number;
    /** Seals signing keys and grace-window pairs at rest (AES-256-GCM, keys derived by HKDF); required in production. */
    readonly encryptionKey: string;
    readonly keyRotationMs: number;
    /** A new signing key is published in the JWKS this long before it signs, so every verifier knows it first. */
    readonly keyActivationDelayMs: number;
    readonly refreshThresholdMs: number;
    readonly refreshMinSkewMs: number;
    readonly schedulerBucketMs: number;
    readonly maxPullForwardMs: number;
    readonly activeProbability: number;
    readonly maxRefreshesPerSecond: number;
    readonly loadSeasonMs: number;
    readonly jwksCacheMs: number;
    readonly rateLimit: { readonly perIpPerSecond: number; readonly ipBurst: number; readonly perTokenPerSecond: number; readonly tokenBurst: number };
  };
  /** Prediction service: online Markov model, bounded memory, periodic RNN retraining. */
  readonly prediction: PredictionConfig;
  /** Predictive cache of the shard nodes: budget, policy, origins, declared requirements. */
  readonly cache: CacheConfig;
  /** Moving sessions with their shard: profile, plan, negotiation, push and lazy fetch (shard nodes). */
  readonly transfer: TransferConfig;
  /** Exit when the parent process dies (set by the local launcher and tests, so nothing is orphaned). */
  readonly exitWithParent: boolean;
}

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Builds the configuration from an environment map; throws a ConfigError listing every invalid key.
 * This is the only place in the code base that reads environment variables.
 */
/**
 * How long an access token issued under this configuration can live: what a retired signing key
 * must keep verifying, and how long a revocation must be remembered.
 */
export function longestAccessTokenMs(token: Pick<ForesightConfig['token'], 'accessTtlMs' | 'maxAccessTtlMs'>): number {
  return Math.max(token.accessTtlMs, token.maxAccessTtlMs);
}

/** Edge identity and affinity routing (see docs/operations.md, "Edges and session affinity"). */
function readEdges(r: EnvReader, service: ServiceName): ForesightConfig['edges'] {
  const port = r.int('HTTP_PORT', DEFAULT_PORTS[service], 0, 65535);
  const leaseMs = r.int('EDGE_LEASE_MS', 5000, 200, 600_000);
  const edges: ForesightConfig['edges'] = {
    edgeId: r.string('EDGE_ID', r.string('NODE_ID', hostname().replace(/[^A-Za-z0-9_-]/g, '-'))),
    url: r.string('EDGE_URL', `http://127.0.0.1:${port}`),
    zone: r.string('EDGE_ZONE', 'default'),
    leaseMs,
    preferredHeader: r.oneOf('EDGE_PREFERRED_HEADER', ['true', 'false'] as const, 'true') === 'true',
    heartbeatMs: r.int('EDGE_HEARTBEAT_MS', Math.max(50, Math.floor(leaseMs / 4)), 20, 600_000),
    threshold: r.int('AFFINITY_THRESHOLD', 40, 0, 100),
    policy: r.oneOf('AFFINITY_POLICY', ['rules', 'predictive'] as const, 'predictive'),
    hashByUser: r.oneOf('AFFINITY_HASH_BY_USER', ['true', 'false'] as const, 'false') === 'true',
    recordLeaseMs: r.int('AFFINITY_RECORD_LEASE_MS', 30 * 60_000, 1000, 365 * 86_400_000),
    cacheTtlMs: r.int('AFFINITY_CACHE_TTL_MS', 30_000, 0, 3_600_000),
  };
  r.check(/^[A-Za-z0-9_-]{1,64}$/.test(edges.edgeId), 'EDGE_ID may contain only letters, digits, "_" and "-" (1-64)');
  r.check(/^https?:\/\/[\x21-\x7e]{1,240}$/.test(edges.url), 'EDGE_URL must be the http(s) URL clients reach this edge at');
  r.check(/^[A-Za-z0-9_.-]{1,64}$/.test(edges.zone), 'EDGE_ZONE may contain only letters, digits, "_", "." and "-" (1-64)');
  r.check(edges.leaseMs > 2 * edges.heartbeatMs, 'EDGE_LEASE_MS must be more than twice EDGE_HEARTBEAT_MS');
  return edges;
}

export function loadConfig(service: ServiceName, env: Readonly<Record<string, string | undefined>> = process.env): ForesightConfig {
  const r = new EnvReader(env);
  const environment = r.oneOf('NODE_ENV', ['development', 'production', 'test'] as const, 'development');
  const production = environment === 'production';
  const devSecret = DEVELOPMENT_SECRET;
  const requestTimeoutMs = r.int('NATS_REQUEST_TIMEOUT_MS', 2000, 50, 60_000);
  const touchFlushMs = r.int('L1_TOUCH_FLUSH_MS', 1000, 10, 60_000);
  const maxPayloadBytes = r.int('NATS_MAX_PAYLOAD_BYTES', Limits.natsDefaultMaxPayloadBytes, 64 * 1024, 64 * 1024 * 1024);
  const heartbeatMs = r.int('HEARTBEAT_MS', 250, 50, 60_000);
  // Whatever goes in must fit one NATS message, with room for the RPC envelope.
  const busRoom = maxPayloadBytes - Limits.rpcEnvelopeBytes;
  const groups = r.list('SESSION_GROUPS', ['auth', 'profile', 'cart', 'settings', 'app']);
  const apiKeys = r.list('FORESIGHT_API_KEYS', production ? [] : ['dev-key']);
  const databaseUrl = r.string('DATABASE_URL', production ? undefined : 'postgres://postgres:postgres@127.0.0.1:5432/foresight');
  const shardCount = r.int('SHARD_COUNT', 1024, 1, 65536);
  const config: ForesightConfig = {
    service,
    environment,
    logLevel: r.oneOf('LOG_LEVEL', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const, 'info'),
    http: {
      host: r.string('HTTP_HOST', '0.0.0.0'),
      port: r.int('HTTP_PORT', DEFAULT_PORTS[service], 0, 65535),
      bodyLimitBytes: r.int('HTTP_BODY_LIMIT_BYTES', busRoom, 1024, 64 * 1024 * 1024),
      trustedProxies: readTrustedProxies(r),
      tls: readHttpTls(r),
    },
    nats: {
      servers: r.list('NATS_URL', ['nats://127.0.0.1:4222']),
      ...readNatsAuth(r, production),
      tls: readNatsTls(r),
      namespace: r.string('FORESIGHT_NAMESPACE', 'fs'),
      jetStreamReplicas: r.int('JETSTREAM_REPLICAS', 1, 1, 5),
      requestTimeoutMs,
      maxPayloadBytes,
      coalesceWrites: r.oneOf('NATS_WRITE_COALESCING', ['on', 'off'] as const, 'on') === 'on',
      jetStreamPublish: r.oneOf('JETSTREAM_PUBLISH', ['pipelined', 'request'] as const, 'pipelined'),
    },
    database: {
      url: databaseUrl,
      poolSize: r.int('DATABASE_POOL_SIZE', 10, 1, 200),
      ssl: readDatabaseSsl(r, databaseUrl),
      partitions: readStorePartitions(r, shardCount, databaseUrl),
    },
    cluster: {
      shardCount,
      nodeId: r.string('NODE_ID', hostname().replace(/[^A-Za-z0-9_-]/g, '-')),
      heartbeatMs,
      leaseMs: r.int('LEASE_MS', 3000, 200, 600_000),
      loadFactor: r.number('LOAD_FACTOR', 1.25, 1, 10),
      rebalanceMs: r.int('REBALANCE_MS', 250, 20, 60_000),
      probeMs: r.int('FAILURE_PROBE_MS', 100, 0, 60_000),
      // Four heartbeats: one late heartbeat (a GC pause, a slow database round trip) is not a failure.
      suspectAfterMs: r.int('SUSPECT_AFTER_MS', Math.max(1000, 4 * heartbeatMs), 100, 600_000),
      degradedP99Ms: r.int('DEGRADED_P99_MS', 750, 0, 600_000),
      // Well above the longest event-loop stall measured on a healthy shard node under load (223 ms).
      degradedFloorMs: r.int('DEGRADED_FLOOR_MS', 400, 0, 600_000),
      degradedRelativeFactor: r.number('DEGRADED_RELATIVE_FACTOR', 3, 1, 100),
      degradedErrorRate: r.number('DEGRADED_ERROR_RATE', 0.5, 0, 1),
      degradedForMs: r.int('DEGRADED_FOR_MS', 250, 0, 600_000),
      drainCooldownMs: r.int('DRAIN_COOLDOWN_MS', 10_000, 0, 86_400_000),
      nodeHealthReportMs: r.int('NODE_HEALTH_REPORT_MS', 250, 50, 60_000),
      chaosDelayMs: r.int('FORESIGHT_CHAOS_DELAY_MS', 0, 0, 60_000),
      chaosDelayOnSignal: r.oneOf('FORESIGHT_CHAOS_DELAY_ON_SIGNAL', ['true', 'false'] as const, 'false') === 'true',
      replication: r.oneOf('REPLICATION', ['on', 'off'] as const, 'on') === 'on',
    },
    edges: readEdges(r, service),
    session: {
      groups,
      idleTimeoutMs: r.int('SESSION_IDLE_TIMEOUT_MS', 30 * 60_000, 1000, 365 * 86_400_000),
      absoluteTimeoutMs: r.int('SESSION_ABSOLUTE_TIMEOUT_MS', 24 * 3_600_000, 1000, 365 * 86_400_000),
      maxVariableBytes: r.int('SESSION_MAX_VARIABLE_BYTES', 256 * 1024, 16, 64 * 1024 * 1024),
      maxSessionBytes: r.int('SESSION_MAX_BYTES', 4 * 1024 * 1024, 16, 1024 * 1024 * 1024),
      // Only services that issue or check session ids need the secret; the others neither read nor require it.
      idSecret: SESSION_ID_USERS.includes(service) ? r.string('SESSION_ID_SECRET', production ? undefined : devSecret) : '',
      snapshotEvery: r.int('SNAPSHOT_EVERY', 50, 1, 1_000_000),
      sweepMs: r.int('SESSION_SWEEP_MS', 1000, 50, 3_600_000),
      // Edge reads reach the owner once per L1_TOUCH_FLUSH_MS, a flush taking at most one NATS request timeout.
      idleGraceMs: r.int('SESSION_IDLE_GRACE_MS', touchFlushMs + requestTimeoutMs, 0, 3_600_000),
      encryption: readSessionEncryption(r, groups, service === 'shard', production ? undefined : `${devSecret}-sessions`),
      memoryBudgetBytes: r.int('SESSION_MEMORY_BUDGET_BYTES', 512 * 1024 * 1024, 1024, Number.MAX_SAFE_INTEGER),
      memoryIdleTtlMs: r.int('SESSION_MEMORY_IDLE_TTL_MS', 15 * 60_000, 0, 365 * 86_400_000),
    },
    locks: {
      defaultLeaseMs: r.int('LOCK_DEFAULT_LEASE_MS', 10_000, 100, 3_600_000),
      maxLeaseMs: r.int('LOCK_MAX_LEASE_MS', 60_000, 100, 3_600_000),
      renewBatchMs: r.int('LOCK_RENEW_BATCH_MS', 100, 0, 10_000),
    },
    store: { maxBatch: r.int('GROUP_COMMIT_MAX_BATCH', 512, 1, 10_000) },
    gateway: {
      apiKeys,
      operatorKeys: r.list('FORESIGHT_OPERATOR_KEYS', production ? [] : [DEV_OPERATOR_KEY]),
      maxAttempts: r.int('GATEWAY_MAX_ATTEMPTS', 12, 1, 50),
      l1TtlMs: r.int('L1_TTL_MS', 5000, 0, 3_600_000),
      l1MaxSessions: r.int('L1_MAX_SESSIONS', 100_000, 1, 10_000_000),
      touchFlushMs,
      security: readGatewaySecurity(r, service === 'gateway' ? apiKeys : []),
    },
    token: {
      issuer: r.string('TOKEN_ISSUER', 'foresight'),
      audience: r.string('TOKEN_AUDIENCE', 'foresight-api'),
      accessTtlMs: r.int('TOKEN_ACCESS_TTL_MS', 15 * 60_000, 1000, 86_400_000),
      maxAccessTtlMs: r.int('TOKEN_MAX_ACCESS_TTL_MS', 30 * 60_000, 1000, 86_400_000),
      refreshTtlMs: r.int('TOKEN_REFRESH_TTL_MS', 14 * 86_400_000, 10_000, 365 * 86_400_000),
      familyMaxLifetimeMs: r.int('TOKEN_FAMILY_MAX_LIFETIME_MS', 30 * 86_400_000, 10_000, 365 * 86_400_000),
      graceMs: r.int('TOKEN_GRACE_MS', 30_000, 0, 3_600_000),
      // Only the token service seals anything; other services neither need nor read the secret.
      encryptionKey: service === 'token' ? r.string('TOKEN_ENCRYPTION_KEY', production ? undefined : `${devSecret}-tokens`) : '',
      keyRotationMs: r.int('TOKEN_KEY_ROTATION_MS', 7 * 86_400_000, 60_000, 365 * 86_400_000),
      keyActivationDelayMs: r.int('TOKEN_KEY_ACTIVATION_DELAY_MS', 120_000, 0, 86_400_000),
      refreshThresholdMs: r.int('TOKEN_REFRESH_THRESHOLD_MS', 300_000, 100, 86_400_000),
      refreshMinSkewMs: r.int('TOKEN_REFRESH_MIN_SKEW_MS', 60_000, 50, 86_400_000),
      schedulerBucketMs: r.int('TOKEN_SCHEDULER_BUCKET_MS', 10_000, 50, 3_600_000),
      maxPullForwardMs: r.int('TOKEN_MAX_PULL_FORWARD_MS', 300_000, 0, 86_400_000),
      activeProbability: r.number('TOKEN_ACTIVE_PROBABILITY', 0.005, 0, 1),
      maxRefreshesPerSecond: r.number('TOKEN_MAX_REFRESHES_PER_S', 100, 0.001, 1e6),
      loadSeasonMs: r.int('TOKEN_LOAD_SEASON_MS', 3_600_000, 1000, 7 * 86_400_000),
      jwksCacheMs: r.int('TOKEN_JWKS_CACHE_MS', 300_000, 1000, 86_400_000),
      rateLimit: {
        perIpPerSecond: r.number('TOKEN_REFRESH_RATE_PER_IP', 10, 0.01, 1e6),
        ipBurst: r.int('TOKEN_REFRESH_BURST_PER_IP', 30, 1, 1e6),
        perTokenPerSecond: r.number('TOKEN_REFRESH_RATE_PER_TOKEN', 1, 0.01, 1e6),
        tokenBurst: r.int('TOKEN_REFRESH_BURST_PER_TOKEN', 10, 1, 1e6),
      },
    },
    prediction: readPredictionConfig(r, production),
    cache: readCacheConfig(r, requestTimeoutMs),
    transfer: readTransferConfig(r, groups),
    exitWithParent: r.oneOf('EXIT_WITH_PARENT', ['true', 'false'] as const, 'false') === 'true',
  };
  if (SESSION_ID_USERS.includes(service)) r.check(config.session.idSecret.length >= 32, 'SESSION_ID_SECRET must be at least 32 characters');
  r.check(config.cluster.leaseMs > 2 * config.cluster.heartbeatMs, 'LEASE_MS must be more than twice HEARTBEAT_MS');
  r.check(
    config.cluster.probeMs === 0 ||
      (config.cluster.suspectAfterMs >= 3 * config.cluster.heartbeatMs && config.cluster.suspectAfterMs <= config.cluster.leaseMs),
    'SUSPECT_AFTER_MS must be at least three times HEARTBEAT_MS (so one late heartbeat is not a failure) and at most LEASE_MS',
  );
  r.check(
    !production || config.cluster.chaosDelayMs === 0,
    'FORESIGHT_CHAOS_DELAY_MS slows every request on purpose (the chaos suite sets it): unset it in production',
  );
  r.check(/^[A-Za-z0-9_-]+$/.test(config.cluster.nodeId), 'NODE_ID may contain only letters, digits, "_" and "-"');
  r.check(config.locks.defaultLeaseMs <= config.locks.maxLeaseMs, 'LOCK_DEFAULT_LEASE_MS must not exceed LOCK_MAX_LEASE_MS');
  r.check(config.session.groups.length > 0, 'SESSION_GROUPS must name at least one group');
  r.check(
    config.session.groups.every((g) => /^[a-z][a-z0-9_-]{0,31}$/.test(g)),
    'SESSION_GROUPS entries must match ^[a-z][a-z0-9_-]{0,31}$',
  );
  r.check(
    config.session.idleGraceMs >= config.gateway.touchFlushMs,
    'SESSION_IDLE_GRACE_MS must be at least L1_TOUCH_FLUSH_MS: edge reads are reported that late, and sessions being read would end',
  );
  r.check(config.session.maxVariableBytes <= config.session.maxSessionBytes, 'SESSION_MAX_VARIABLE_BYTES must not exceed SESSION_MAX_BYTES');
  r.check(
    config.http.bodyLimitBytes <= busRoom,
    `HTTP_BODY_LIMIT_BYTES (${config.http.bodyLimitBytes}) must leave ${Limits.rpcEnvelopeBytes} bytes for the RPC envelope under NATS_MAX_PAYLOAD_BYTES (${maxPayloadBytes}): at most ${busRoom}, or raise max_payload on the NATS server and NATS_MAX_PAYLOAD_BYTES with it`,
  );
  r.check(
    config.session.maxVariableBytes <= busRoom,
    `SESSION_MAX_VARIABLE_BYTES (${config.session.maxVariableBytes}) is more than one NATS message carries (NATS_MAX_PAYLOAD_BYTES ${maxPayloadBytes} less ${Limits.rpcEnvelopeBytes} for the envelope): at most ${busRoom}, or raise max_payload on the NATS server and NATS_MAX_PAYLOAD_BYTES with it`,
  );
  if (service === 'token') r.check(config.token.encryptionKey.length >= 32, 'TOKEN_ENCRYPTION_KEY must be at least 32 characters');
  r.check(config.token.refreshMinSkewMs < config.token.refreshThresholdMs, 'TOKEN_REFRESH_MIN_SKEW_MS must be less than TOKEN_REFRESH_THRESHOLD_MS');
  r.check(config.token.refreshMinSkewMs < config.token.accessTtlMs, 'TOKEN_REFRESH_MIN_SKEW_MS must be less than TOKEN_ACCESS_TTL_MS');
  r.check(
    config.token.maxAccessTtlMs >= config.token.accessTtlMs,
    'TOKEN_MAX_ACCESS_TTL_MS must be at least TOKEN_ACCESS_TTL_MS (set both; equal turns longer tokens in a peak off)',
  );
  r.check(config.token.loadSeasonMs >= 2 * config.token.schedulerBucketMs, 'TOKEN_LOAD_SEASON_MS must be at least two TOKEN_SCHEDULER_BUCKET_MS');
  if (service === 'gateway') r.check(config.gateway.security.keys.length > 0, 'FORESIGHT_API_KEYS or FORESIGHT_SCOPED_API_KEYS must list at least one key');
  r.check(
    !config.gateway.operatorKeys.some((k) => config.gateway.security.keys.some((key) => key.key === k)),
    'FORESIGHT_OPERATOR_KEYS must not repeat an API key: an operator key opens the dashboard, a back-end key does not',
  );
  if (production) {
    checkProductionSecrets(r, {
      DATABASE_URL: config.database.url,
      EVENT_STORE_PARTITIONS: config.database.partitions.map((p) => p.url).filter((url) => url !== config.database.url),
      SESSION_ID_SECRET: config.session.idSecret,
      TOKEN_ENCRYPTION_KEY: config.token.encryptionKey,
      'FORESIGHT_API_KEYS / FORESIGHT_SCOPED_API_KEYS': config.gateway.security.keys.map((k) => k.key),
      FORESIGHT_OPERATOR_KEYS: config.gateway.operatorKeys,
      SESSION_ENCRYPTION_KEYS: config.session.encryption.keys.map((k) => k.secret),
    });
  }
  if (r.problems.length > 0) throw new ConfigError(r.problems);
  return config;
}
