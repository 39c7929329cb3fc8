import type { Logger } from '@foresight/observability';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiKeys, scopeOfMethod, type KeyedRequest } from '../common/api-keys';
import { sendError, toHttpError } from '../common/error.filter';
import { callContext } from '../routing/call-context';
import { VariablesService } from './variables.service';

const VAR_ROUTE = '/v1/sessions/:id/vars/:group/:name';

type VarParams = { id: string; group: string; name: string };

/**
 * The two hottest calls — read and set one variable, by a back end holding an API key — are
 * answered in a Fastify preHandler hook with the same service, auth check and error mapping as
 * the Nest controller, skipping Nest's per-request pipeline (it cost more CPU than the work itself
 * on a read served from the edge cache). Anything else, including bearer-token callers, goes on to Nest.
 */
export function installFastLane(fastify: FastifyInstance, variables: VariablesService, apiKeys: ApiKeys, logger: Logger): void {
  const fail = (request: FastifyRequest, reply: FastifyReply) => (error: unknown) => sendError(reply, request, toHttpError(error, request, logger));
  // Callback style: a hook that answers from memory makes no promise; done() only for requests left to Nest.
  fastify.addHook('preHandler', (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
    if (request.routeOptions.url !== VAR_ROUTE || (request.method !== 'GET' && request.method !== 'PUT')) return done();
    // Keys without the scope, and tenants' keys (their sessions are checked), get Nest's guard and its answer.
    const principal = apiKeys.authenticate(request);
    if (!principal || principal.userPrefix !== undefined || !principal.scopes.has(scopeOfMethod(request.method))) return done();
    (request as KeyedRequest).apiKey = principal;
    const { id, group, name } = request.params as VarParams;
    try {
      if (request.method === 'GET') {
        // From the edge cache: no call context (no caller-gone signal), no promise.
        const hit = (request.query as { consistent?: string }).consistent === 'true' ? undefined : variables.cached(id, group, name);
        if (hit) {
          reply.send(hit);
          return;
        }
        variables.fetch(id, group, name, callContext(request)).then((r) => reply.send(r), fail(request, reply));
        return;
      }
      variables.put(id, group, name, request.body, callContext(request)).then((r) => reply.send(r), fail(request, reply));
    } catch (error) {
      fail(request, reply)(error);
    }
  });
}
