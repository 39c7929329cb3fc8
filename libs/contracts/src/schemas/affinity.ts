import { Type, type Static } from '@sinclair/typebox';
import { AgentClientId, AgentReportBody } from './agent';
import { ERROR_MESSAGE } from './fields';

/** Edge ids: part of NATS subjects. */
export const EdgeId = Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$', [ERROR_MESSAGE]: '1–64 letters, digits, _ and -' });
export const ZoneLabel = Type.String({ pattern: '^[A-Za-z0-9_.-]{1,64}$', [ERROR_MESSAGE]: '1–64 letters, digits, _ . and -' });
const EdgeUrl = Type.String({
  minLength: 1,
  maxLength: 256,
  pattern: '^https?://[\\x21-\\x7e]+$',
  [ERROR_MESSAGE]: 'an http(s) URL of at most 256 visible ASCII characters',
});
const Incarnation = Type.String({ minLength: 1, maxLength: 64 });
const SessionIdField = Type.String({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9_-]+$', [ERROR_MESSAGE]: '1–128 letters, digits, _ and -' });
export const StickinessWeight = Type.Integer({
  minimum: 0,
  maximum: 100,
  description: 'Stickiness weight, 0–100',
  [ERROR_MESSAGE]: 'an integer from 0 to 100',
});

// ---- Edge membership (on the edge's own subject) ----

export const EdgeRegisterCommand = Type.Object({ incarnation: Incarnation, url: EdgeUrl, zone: ZoneLabel });
export const EdgeHeartbeatCommand = Type.Object({ incarnation: Incarnation });
export const EdgeLeaveCommand = Type.Object({ incarnation: Incarnation });
export const EdgeLeaseReply = Type.Object({ leaseMs: Type.Integer({ minimum: 0 }) });

// ---- Routing ----

/** What a client says about itself (location and network), when it knows. */
export const ClientHintsSchema = Type.Object({
  zone: Type.Optional(ZoneLabel),
  rttMs: Type.Optional(Type.Number({ minimum: 0, maximum: 3_600_000 })),
  network: Type.Optional(
    Type.Union([
      Type.Literal('slow-2g'),
      Type.Literal('2g'),
      Type.Literal('3g'),
      Type.Literal('4g'),
      Type.Literal('wifi'),
      Type.Literal('ethernet'),
      Type.Literal('unknown'),
    ]),
  ),
});

export const RouteCommand = Type.Object({
  sessionId: SessionIdField,
  clientId: Type.Optional(AgentClientId),
  userId: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
  hints: Type.Optional(ClientHintsSchema),
  /** The edge asking (it answered the request). */
  viaEdgeId: Type.Optional(EdgeId),
});

export const EdgeStatus = Type.Union([Type.Literal('active'), Type.Literal('suspect'), Type.Literal('left'), Type.Literal('dead')], {
  description: 'active: live lease; suspect: its lease ran out, not swept yet; left: stopped gracefully; dead: its lease ran out',
});

export const EdgeView = Type.Object({
  edgeId: EdgeId,
  url: Type.String(),
  zone: Type.String(),
  healthy: Type.Boolean(),
  sessions: Type.Integer({ minimum: 0 }),
  // Optional: an edge's cached view only needs the fields above, and older affinity instances send only those.
  status: Type.Optional(EdgeStatus),
  lastHeartbeatAt: Type.Optional(Type.String({ description: 'ISO 8601' })),
  leaseExpiresAt: Type.Optional(Type.String({ description: 'ISO 8601, from the affinity service’s Postgres clock' })),
});

export const AffinityRecord = Type.Object({
  sessionId: Type.String(),
  clientId: Type.Union([Type.String(), Type.Null()]),
  edgeId: Type.String(),
  url: Type.String(),
  weight: StickinessWeight,
  recordVersion: Type.Integer({ minimum: 1 }),
  leaseExpiresAt: Type.String(),
});

export const AffinityViewReply = Type.Object({
  edges: Type.Array(EdgeView),
  threshold: StickinessWeight,
  hashByUser: Type.Boolean(),
});

export const ReportCommand = Type.Object({ viaEdgeId: EdgeId, report: AgentReportBody });
export const ReportReply = Type.Object({ sessionsUpdated: Type.Integer({ minimum: 0 }) });

export const WeightCommand = Type.Object({ sessionId: SessionIdField, weight: StickinessWeight });
export const RecordQuery = Type.Object({ sessionId: SessionIdField });

// ---- HTTP (the gateway's operator routes) ----

/** `PUT /v1/sessions/:id/affinity/weight`. */
export const SetWeightBody = Type.Object({ weight: StickinessWeight }, { additionalProperties: false });
/** `GET /v1/edges/:edgeId`. */
export const EdgeDetail = Type.Object({ edge: EdgeView, threshold: StickinessWeight, hashByUser: Type.Boolean() });

export type EdgeRegisterCommand = Static<typeof EdgeRegisterCommand>;
export type RouteCommand = Static<typeof RouteCommand>;
export type AffinityRecord = Static<typeof AffinityRecord>;
export type AffinityViewReply = Static<typeof AffinityViewReply>;
export type EdgeView = Static<typeof EdgeView>;
export type SetWeightBody = Static<typeof SetWeightBody>;
export type EdgeDetail = Static<typeof EdgeDetail>;
export type ClientHintsSchema = Static<typeof ClientHintsSchema>;
