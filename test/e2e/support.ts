import { join } from 'node:path';
import { connect, nkeyAuthenticator, type NatsConnection } from 'nats';
import type { NatsIdentity } from '@foresight/contracts';
import { createTestDatabase, uniqueName } from '@foresight/testing';
import { startLocalStack, type LocalStack, type StackOptions } from '../../scripts/local-stack';

/**
 * A stack of real service processes with its own database, namespace and nats-server, which runs
 * with one user per service (as in production). Stopping it fails the suite if the server logged a
 * permission violation by a service: each service must be allowed what it does. (The test's own
 * connections, from `natsAs`, may provoke violations on purpose.)
 */
export async function startTestStack(suite: string, options: StackOptions = {}): Promise<LocalStack> {
  const stack = await startLocalStack({
    quiet: true,
    logs: join(__dirname, '..', '..', '.data', 'test-logs', uniqueName(suite)),
    databaseUrl: await createTestDatabase(suite),
    ...options,
    env: {
      FORESIGHT_NAMESPACE: uniqueName('t'),
      LOG_LEVEL: 'info',
      HEARTBEAT_MS: '200',
      LEASE_MS: '1500',
      REBALANCE_MS: '100',
      SHARD_COUNT: '64',
      ...options.env,
    },
  });
  return {
    ...stack,
    async stop() {
      const violations = stack.natsViolations().filter((line) => !line.includes(`:${TEST_CONNECTION}`));
      await stack.stop();
      if (violations.length > 0) throw new Error(`nats-server logged permission violations:\n${violations.join('\n')}`);
    },
  };
}

const TEST_CONNECTION = 'test:';

/** A NATS connection to the stack's server as `identity` (with that user's inbox prefix). */
export async function natsAs(stack: LocalStack, identity: NatsIdentity): Promise<NatsConnection> {
  const login = stack.natsLogin(identity);
  if (!login) throw new Error(`the stack has no NATS user for ${JSON.stringify(identity)}`);
  return connect({
    servers: stack.natsUrl,
    authenticator: nkeyAuthenticator(new TextEncoder().encode(login.seed)),
    inboxPrefix: login.inboxPrefix,
    name: `${TEST_CONNECTION}${login.user}`,
  });
}

export interface ApiResponse<T = Record<string, unknown>> {
  readonly status: number;
  readonly body: T;
}

/** A tiny client for the gateway's REST API. */
export function api(stack: LocalStack) {
  const call = async <T = Record<string, unknown>>(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<ApiResponse<T>> => {
    const r = await fetch(`${stack.gatewayUrl}${path}`, {
      method,
      headers: { 'x-api-key': stack.apiKey, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await r.text();
    return { status: r.status, body: (text ? JSON.parse(text) : {}) as T };
  };
  return {
    call,
    create: (body: unknown = {}) => call<{ id: string; version: number; owner: { nodeId: string } }>('POST', '/v1/sessions', body),
    get: (id: string, groups?: string) => call('GET', `/v1/sessions/${id}${groups ? `?groups=${groups}` : ''}`),
    put: (id: string, group: string, name: string, value: unknown, expectedVersion?: number) =>
      call<{ version: number }>('PUT', `/v1/sessions/${id}/vars/${group}/${name}`, { value, ...(expectedVersion ? { expectedVersion } : {}) }),
    getVar: (id: string, group: string, name: string) => call<{ value: unknown; version: number }>('GET', `/v1/sessions/${id}/vars/${group}/${name}`),
  };
}

export const errorCode = (r: ApiResponse) => (r.body as { error?: { code?: string } }).error?.code;
