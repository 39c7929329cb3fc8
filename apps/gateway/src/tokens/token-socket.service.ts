import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import websocket from '@fastify/websocket';
import type { ForesightConfig } from '@foresight/config';
import { tokenSubjects, type TokenPendingNotice } from '@foresight/contracts';
import { decode } from '@foresight/messaging';
import type { Logger } from '@foresight/observability';
import { CONFIG, LOGGER, METRICS, NATS } from '@foresight/platform';
import type { FastifyInstance } from 'fastify';
import type { NatsConnection, Subscription } from 'nats';
import { Gauge, type Registry } from 'prom-client';
import { AccessTokenVerifier } from './access-token-verifier';
import { RevocationCache } from './revocation-cache';
import { TokenClient } from './token-client';
import { TokenSocketHub } from './token-socket-hub';

const SESSION_ID = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * Serves `GET /v1/sessions/:id/tokens/ws` on the gateway's Fastify instance (@fastify/websocket)
 * and wires the hub to NATS: one core subscription per session with open sockets, to the token
 * service's notices, and the revocation cache's events.
 */
@Injectable()
export class TokenSocketService implements OnModuleInit, OnApplicationShutdown {
  readonly hub: TokenSocketHub;
  private readonly subs = new Map<string, Subscription>();

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    verifier: AccessTokenVerifier,
    tokens: TokenClient,
    revocations: RevocationCache,
    @Inject(NATS) private readonly nc: NatsConnection,
    @Inject(CONFIG) private readonly config: ForesightConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(METRICS) metrics: Registry,
  ) {
    const s = tokenSubjects(config.nats.namespace);
    this.hub = new TokenSocketHub({
      verify: (token) => verifier.verify(token),
      pending: async (sessionId, familyId, haveGeneration) => (await tokens.call('pending', { sessionId, familyId, haveGeneration })).pair,
      ack: (sessionId, familyId, generation) => tokens.call('ack', { sessionId, familyId, generation }),
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

  async onModuleInit(): Promise<void> {
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    await fastify.register(websocket, { options: { maxPayload: 16 * 1024 } });
    fastify.get<{ Params: { id: string }; Querystring: { access_token?: string } }>('/v1/sessions/:id/tokens/ws', { websocket: true }, (socket, req) => {
      const sessionId = req.params.id;
      if (!SESSION_ID.test(sessionId)) {
        socket.close(4404, 'SESSION.NOT_FOUND');
        return;
      }
      const token = typeof req.query.access_token === 'string' ? req.query.access_token : undefined;
      this.hub.accept(socket, sessionId, token);
    });
  }

  onApplicationShutdown(): void {
    this.hub.closeAll();
    for (const sub of this.subs.values()) sub.unsubscribe();
    this.subs.clear();
  }
}
