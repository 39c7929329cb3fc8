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

/** The session a response is about: in the path, or the id (and user) a create returned. */
function sessionOf(req: FastifyRequest, reply: FastifyReply, payload: unknown): { sessionId: string; userId?: string } | undefined {
  const m = SESSION_PATH.exec(req.url);
  if (m) return { sessionId: m[1]! };
  if (
    req.method === 'POST' &&
    reply.statusCode === 201 &&
    req.url.split('?')[0] === '/v1/sessions' &&
    typeof payload === 'string' &&
    payload.length < 1_000_000
  ) {
    try {
      const created = JSON.parse(payload) as { id?: unknown; userId?: unknown };
      if (typeof created.id !== 'string' || !/^[A-Za-z0-9_-]{1,128}$/.test(created.id)) return undefined;
      const userId = typeof created.userId === 'string' && created.userId.length <= 128 ? created.userId : undefined;
      return { sessionId: created.id, ...(userId !== undefined ? { userId } : {}) };
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/**
 * Every answer about a session carries `Foresight-Preferred-Edge: <url>`, the edge its requests
 * should go to, so any HTTP client or load balancer can follow it (the SDK does). Answered from this
 * edge's cached view, never waiting on the affinity service; error answers carry it too, so a client
 * whose edge is going away learns where to go.
 */
export function installPreferredEdge(fastify: FastifyInstance, view: AffinityView): void {
  fastify.addHook('onSend', async (req, reply, payload) => {
    const session = sessionOf(req, reply, payload);
    if (session === undefined) return payload;
    const clientId = header(req, CLIENT_ID_HEADER, CLIENT_ID);
    const zone = header(req, CLIENT_ZONE_HEADER, ZONE);
    // The user id (known at creation) lets the affinity service place a user's sessions together when configured.
    const { url } = view.preferredEdge(session.sessionId, {
      ...(clientId ? { clientId } : {}),
      ...(session.userId !== undefined ? { userId: session.userId } : {}),
      ...(zone ? { hints: { zone } } : {}),
    });
    reply.header(PREFERRED_EDGE_HEADER, url);
    return payload;
  });
}
