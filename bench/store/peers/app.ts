import { timingSafeEqual } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import type { Clock } from '@foresight/time';
import type { BlobStore } from './blob-store';
import { newBlob, readVar, validateCreateBody, writeVar } from './session-blob';
import type { SessionData } from '../payload';

/** What a peer server needs; clock and id generation are injected. */
export interface PeerAppOptions {
  readonly store: BlobStore;
  readonly apiKey: string;
  readonly ttlS: number;
  readonly clock: Clock;
  readonly newId: () => string;
}

interface VarParams {
  id: string;
  group: string;
  name: string;
}

function fail(reply: FastifyReply, status: number, code: string, message: string): FastifyReply {
  return reply.code(status).send({ code, message });
}

function sameKey(given: string | string[] | undefined, expected: Buffer): boolean {
  if (typeof given !== 'string') return false;
  const buf = Buffer.from(given);
  return buf.length === expected.length && timingSafeEqual(buf, expected);
}

/**
 * A minimal Fastify server with the same three routes as the Foresight gateway, storing each
 * session the way `express-session` does: one JSON blob, read whole and written whole.
 * A PUT is load → modify → save, so two concurrent PUTs on one session can lose an update,
 * exactly as with express-session.
 */
export function buildPeerApp(opts: PeerAppOptions): FastifyInstance {
  const app = Fastify({ logger: false });
  const key = Buffer.from(opts.apiKey);

  app.addHook('onRequest', async (req, reply) => {
    if (req.url === '/health') return;
    if (!sameKey(req.headers['x-api-key'], key)) {
      await fail(reply, 401, 'AUTH.INVALID_API_KEY', 'Send a valid x-api-key header.');
    }
  });

  app.get('/health', async () => ({ status: 'ok' }));

  app.post('/v1/sessions', async (req, reply) => {
    const problem = validateCreateBody(req.body);
    if (problem !== undefined) return fail(reply, 400, 'VALIDATION.INVALID_BODY', problem);
    const body = (req.body ?? {}) as { userId?: string; data?: SessionData };
    const id = opts.newId();
    const blob = newBlob(body, opts.clock.now(), opts.ttlS);
    await opts.store.set(id, blob, opts.ttlS);
    return reply.code(201).send({ id, version: blob.version });
  });

  app.get<{ Params: VarParams }>('/v1/sessions/:id/vars/:group/:name', async (req, reply) => {
    const blob = await opts.store.get(req.params.id);
    if (blob === undefined) return fail(reply, 404, 'SESSION.NOT_FOUND', 'No live session has this id.');
    const found = readVar(blob, req.params.group, req.params.name);
    if (found === undefined) return fail(reply, 404, 'SESSION.VARIABLE_NOT_FOUND', 'The session has no such variable.');
    return found;
  });

  app.put<{ Params: VarParams; Body: { value?: unknown } }>('/v1/sessions/:id/vars/:group/:name', async (req, reply) => {
    const body = req.body as unknown;
    if (typeof body !== 'object' || body === null || !('value' in body)) {
      return fail(reply, 400, 'VALIDATION.INVALID_BODY', 'The body must be {"value": <json>}.');
    }
    const blob = await opts.store.get(req.params.id);
    if (blob === undefined) return fail(reply, 404, 'SESSION.NOT_FOUND', 'No live session has this id.');
    const next = writeVar(blob, req.params.group, req.params.name, (body as { value: unknown }).value, opts.clock.now());
    await opts.store.set(req.params.id, next, opts.ttlS);
    return { version: next.version };
  });

  return app;
}
