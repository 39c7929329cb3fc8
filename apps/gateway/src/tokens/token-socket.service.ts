import websocket from '@fastify/websocket';
import type { ForesightConfig } from '@foresight/config';
import { tokenSubjects, type TokenPendingNotice } from '@foresight/contracts';
import { decode } from '@foresight/messaging';
import { counter, type Logger } from '@foresight/observability';
import type { FastifyInstance } from 'fastify';
import type { NatsConnection, Subscription } from 'nats';
import { Gauge, type Registry } from 'prom-client';
import type { AccessTokenVerifier } from './access-token-verifier';
import type { RevocationCache } from './revocation-cache';
import type { TokenClient } from './token-client';
import { TokenSocketHub } from './token-socket-hub';

const SESSION_ID = /^[A-Za-z0-9_-]{1,64}$/;

export interface TokenSocketDeps {
  readonly verifier: AccessTokenVerifier;
  readonly tokens: TokenClient;
  readonly revocations: RevocationCache;
  readonly nc: NatsConnection;
  readonly config: ForesightConfig;
  readonly logger: Logger;
  readonly metrics: Registry;
}

/**
 * Wires the token WebSockets' hub to NATS: one core subscription per session with open sockets, to
 * the token service's notices, and the revocation cache's events. The route that accepts the
 * sockets is {@link installTokenSocketRoute}.
 */
export class TokenSocketService {
  readonly hub: TokenSocketHub;
  private readonly subs = new Map<string, Subscription>();
  private readonly nc: NatsConnection;
  private readonly logger: Logger;

  constructor(deps: TokenSocketDeps) {
    const { verifier, tokens, revocations, config, metrics } = deps;
    this.nc = deps.nc;
    this.logger = deps.logger;
    const s = tokenSubjects(config.nats.namespace);
    const acks = counter(metrics, 'foresight_gateway_token_acks_total', 'Pre-minted token pairs pushed over a WebSocket and acknowledged by the client');
    this.hub = new TokenSocketHub({
      verify: (token) => verifier.verify(token),
      pending: async (sessionId, familyId, haveGeneration) => (await tokens.call('pending', { sessionId, familyId, haveGeneration })).pair,
      ack: async (sessionId, familyId, generation) => {
        const reply = await tokens.call('ack', { sessionId, familyId, generation });
        acks.inc();
        return reply;
      },
      follow: (sessionId) => {
        this.subs.set(
          sessionId,
          this.nc.subscribe(s.tokenNotice(sessionId), {
            callback: (_e, msg) => {
              try {
                const n = decode<TokenPendingNotice>(msg.data);
                if (typeof n.familyId === 'string' && typeof n.generation === 'number') this.hub.onNotice(sessionId, n.familyId, n.generation);
              } catch {
                /* a malformed notice is ignored */
              }
            },
          }),
        );
      },
      unfollow: (sessionId) => {
        this.subs.get(sessionId)?.unsubscribe();
        this.subs.delete(sessionId);
      },
      isFamilyRevoked: (familyId) => revocations.list.isFamilyRevoked(familyId),
      authTimeoutMs: 5000,
      onError: (error, sessionId) => this.logger.warn({ err: error, sessionId }, 'token socket error'),
    });
    revocations.onRevoked((familyId) => this.hub.onRevoked(familyId));
    const hub = this.hub;
    new Gauge({
      name: 'foresight_gateway_token_sockets',
      help: 'Open token WebSockets',
      registers: [metrics],
      collect() {
        this.set(hub.connections);
      },
    });
  }

  /** Closes every socket (going away) and stops following their sessions. */
  close(): void {
    this.hub.closeAll();
    for (const sub of this.subs.values()) sub.unsubscribe();
    this.subs.clear();
  }
}

/** Serves `GET /v1/sessions/:id/tokens/ws` on the gateway's Fastify instance (@fastify/websocket), handing sockets to `hub`. */
export async function installTokenSocketRoute(fastify: FastifyInstance, hub: TokenSocketHub): Promise<void> {
  await fastify.register(websocket, { options: { maxPayload: 16 * 1024 } });
  fastify.get<{ Params: { id: string }; Querystring: { access_token?: string } }>('/v1/sessions/:id/tokens/ws', { websocket: true }, (socket, req) => {
    const sessionId = req.params.id;
    if (!SESSION_ID.test(sessionId)) {
      socket.close(4404, 'SESSION.NOT_FOUND');
      return;
    }
    const token = typeof req.query.access_token === 'string' ? req.query.access_token : undefined;
    hub.accept(socket, sessionId, token);
  });
}
