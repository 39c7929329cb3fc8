import { loadConfig } from '@foresight/config';
import { tokenSubjects, type TokenPendingNotice } from '@foresight/contracts';
import { decode } from '@foresight/messaging';
import { createMetricsRegistry } from '@foresight/observability';
import { createPool } from '@foresight/persistence';
import type { Clock } from '@foresight/time';
import type { NatsConnection } from 'nats';
import { TokenRuntime } from '../../apps/token/src/token.runtime';

export const quietLogger = { warn: () => undefined, info: () => undefined, error: () => undefined, debug: () => undefined } as never;

/**
 * One token service instance over a test database and NATS namespace: the app's runtime, built
 * without Nest and not started (tests drive its pieces), with keys that sign at once. `notices`
 * collects the pre-minted-pair notices published on NATS for the namespace (by any instance).
 */
export function tokenInstance(url: string, nc: NatsConnection, namespace: string, clock: Clock, env: Record<string, string> = {}) {
  const config = loadConfig('token', { DATABASE_URL: url, FORESIGHT_NAMESPACE: namespace, TOKEN_KEY_ACTIVATION_DELAY_MS: '0', ...env });
  const pool = createPool(url, 10, 'token-test');
  const runtime = new TokenRuntime({ config, pool, nc, logger: quietLogger, clock, metrics: createMetricsRegistry('token') });
  const notices: { sessionId: string; familyId: string; generation: number }[] = [];
  const prefix = tokenSubjects(namespace).tokenNotice('s').slice(0, -1);
  nc.subscribe(`${prefix}*`, {
    callback: (_e, msg) => {
      const n = decode<TokenPendingNotice>(msg.data);
      notices.push({ sessionId: msg.subject.slice(prefix.length), familyId: n.familyId, generation: n.generation });
    },
  });
  const { keys, tokens, outbox } = runtime;
  return { runtime, pool, keys, tokens, notices, config, outbox };
}

/** The family id of an access token (its jti is `<familyId>.<generation>`). */
export function familyOf(accessToken: string): string {
  const jti = JSON.parse(Buffer.from(accessToken.split('.')[1], 'base64url').toString()).jti as string;
  return jti.slice(0, jti.lastIndexOf('.'));
}
