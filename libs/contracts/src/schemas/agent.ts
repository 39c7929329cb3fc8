import { Type, type Static } from '@sinclair/typebox';
import { Limits } from '../limits';
import { ERROR_MESSAGE, Instant } from './fields';

/**
 * Version of the wire contracts: the REST routes, their bodies and the error codes. The client
 * packages are released with the same version; a client talks to a gateway whose contract has the
 * same major version (and, while the major is 0, the same minor).
 */
export const CONTRACT_VERSION = '0.1.0';

/** Most gateways one report describes. */
export const MAX_REPORTED_GATEWAYS = 16;

/** A client instance's id, chosen by the client (random per process or per page). */
export const AgentClientId = Type.String({
  pattern: '^[A-Za-z0-9_.:-]{1,64}$',
  description: 'The reporting client instance: 1–64 letters, digits and _ . : - (random per process or page)',
  [ERROR_MESSAGE]: '1–64 letters, digits and _ . : -',
});

const Count = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER });
const Millis = Type.Number({ minimum: 0, maximum: 3_600_000 });

/** What one client measured of one gateway over the window. */
export const AgentGatewayStats = Type.Object({
  gateway: Type.String({
    minLength: 1,
    maxLength: 256,
    pattern: '^https?://[\\x21-\\x7e]+$',
    description: 'The gateway as the client addresses it (http(s) URL)',
    [ERROR_MESSAGE]: 'an http(s) URL of at most 256 visible ASCII characters',
  }),
  requests: Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description: 'Attempts sent to this gateway in the window' }),
  errors: Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description: 'Attempts that failed: no connection, a timeout, or a 5xx' }),
  throughputRps: Type.Number({ minimum: 0, maximum: 1e9, description: 'Attempts per second over the window' }),
  rttMs: Type.Object(
    { mean: Millis, p50: Millis, p90: Millis, p99: Millis },
    { description: 'Round-trip time of the attempts that got an answer, ms (percentiles from a log-scale histogram)' },
  ),
});

/** `POST /v1/agent/reports`: a client's measurements of the gateways it talks to. */
export const AgentReportBody = Type.Object({
  clientId: AgentClientId,
  sdk: Type.String({ minLength: 1, maxLength: 64, pattern: '^[\\x20-\\x7e]+$', description: 'Client library and version, e.g. @foresight/client/0.1.0' }),
  windowMs: Type.Integer({ minimum: 1, maximum: 3_600_000, description: 'Length of the window the figures cover' }),
  gateways: Type.Array(AgentGatewayStats, { maxItems: MAX_REPORTED_GATEWAYS, [ERROR_MESSAGE]: `a list of at most ${MAX_REPORTED_GATEWAYS} gateways` }),
});

/** The reply to a report. */
export const AgentReportAccepted = Type.Object({
  accepted: Type.Literal(true),
  nextReportInMs: Type.Integer({ minimum: 0, description: 'When the gateway would like the next report' }),
});

/** `GET /v1/agent/reports`: the latest report of every client heard from recently. */
export const AgentReportsList = Type.Object({
  reports: Type.Array(Type.Composite([AgentReportBody, Type.Object({ receivedAt: Instant })]), { description: 'Latest report per client, newest first' }),
});

/** `GET /v1/contract`: what a client checks before its first call, and the limits it enforces itself. */
export const ContractInfo = Type.Object({
  contractVersion: Type.Literal(CONTRACT_VERSION, { description: 'Version of the wire contracts this gateway speaks (semver)' }),
  api: Type.Literal('v1'),
  limits: Type.Object({
    maxVariableBytes: Count,
    maxSessionBytes: Count,
    maxBodyBytes: Count,
    variableNameLength: Type.Literal(Limits.variableNameLength),
    dataKeyLength: Type.Literal(Limits.dataKeyLength),
  }),
  groups: Type.Array(Type.String(), { description: 'State groups configured on the cluster (SESSION_GROUPS)' }),
  agentReportIntervalMs: Type.Integer({ minimum: 0, description: 'How often a client agent should report its measurements' }),
});

export type AgentGatewayStats = Static<typeof AgentGatewayStats>;
export type AgentReportBody = Static<typeof AgentReportBody>;
export type AgentReportAccepted = Static<typeof AgentReportAccepted>;
export type AgentReportsList = Static<typeof AgentReportsList>;
export type ContractInfo = Static<typeof ContractInfo>;
