import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AffinityView } from './affinity-view';

/** The response header naming the edge a session's requests should go to. */
export const PREFERRED_EDGE_HEADER = 'foresight-preferred-edge';
/** Optional request headers a client may send about itself. */
export const CLIENT_ID_HEADER = 'foresight-client-id';
export const CLIENT_ZONE_HEADER = 'foresight-client-zone';

const SESSION_PATH = /^\/v1\/sessions\/([A-Za-z0-9_-]{1,128})(?:[/?]|$)/;
const CLIENT_ID = /^[A-Za-z0-9_.:-]{1,64}$/;
const ZONE = /^[A-Za-z0-9_.-]{1,64}$/;

function header(req: FastifyRequest, name: string, pattern: RegExp): string | undefined {
  const v = req.headers[name];
  return typeof v === 'string' && pattern.test(v) ? v : undefined;
}

/**
 * Every answer about a session carries `Foresight-Preferred-Edge: <url>`, the edge its requests
 * should go to, so any HTTP client or load balancer can follow it (the SDK does). Answered from this
 * edge's cached view, never waiting on the affinity service; error answers carry it too, so a client
 * whose edge is going away learns where to go. Off (no header, no affinity lookups) with
 * `EDGE_PREFERRED_HEADER=false`.
 */
export class PreferredEdges {
  /**
   * @param isIssued true for a session id this cluster issued: a made-up id in a path (even of an
   *   unauthenticated request) never makes the affinity service create a record.
   */
  constructor(
    private readonly view: AffinityView,
    readonly enabled: boolean,
    private readonly isIssued: (sessionId: string) => boolean,
  ) {}

  /**
   * Names the preferred edge of a session on `reply`. The create route calls it with the new id and
   * user (known there, so a user's sessions can be placed together when configured); every other
   * route under `/v1/sessions/:id` gets it from the hook.
   */
  set(req: FastifyRequest, reply: FastifyReply, sessionId: string, userId?: string | null): void {
    if (!this.enabled) return;
    const clientId = header(req, CLIENT_ID_HEADER, CLIENT_ID);
    const zone = header(req, CLIENT_ZONE_HEADER, ZONE);
    const { url } = this.view.preferredEdge(sessionId, {
      ...(clientId ? { clientId } : {}),
      ...(userId ? { userId } : {}),
      ...(zone ? { hints: { zone } } : {}),
    });
    reply.header(PREFERRED_EDGE_HEADER, url);
  }

  /** The hook for the routes whose path names the session. */
  install(fastify: FastifyInstance): void {
    if (!this.enabled) return;
    fastify.addHook('onSend', (req, reply, payload, done) => {
      const m = SESSION_PATH.exec(req.url);
      if (m && !reply.hasHeader(PREFERRED_EDGE_HEADER) && this.isIssued(m[1]!)) this.set(req, reply, m[1]!);
      done(null, payload);
    });
  }
}
