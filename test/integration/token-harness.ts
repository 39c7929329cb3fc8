import { loadConfig } from '@foresight/config';
import { createPool } from '@foresight/persistence';
import type { Clock } from '@foresight/time';
import { cryptoRandomBytes } from '@foresight/token-core';
import type { NatsConnection } from 'nats';
import { randomUUID } from 'node:crypto';
import { Sealer } from '../../apps/token/src/crypto/sealer';
import { TokenOutbox } from '../../apps/token/src/events/token-outbox';
import { TokensService } from '../../apps/token/src/families/tokens.service';
import { SigningKeys } from '../../apps/token/src/keys/signing-keys';

export const quietLogger = { warn: () => undefined, info: () => undefined, error: () => undefined, debug: () => undefined } as never;

/** One token service instance (pool, keys, outbox, service) over a test database and NATS namespace. */
export function tokenInstance(url: string, nc: NatsConnection, namespace: string, clock: Clock, env: Record<string, string> = {}) {
  const config = loadConfig('token', { DATABASE_URL: url, FORESIGHT_NAMESPACE: namespace, ...env });
  const pool = createPool(url, 10, 'token-test');
  const sealer = new Sealer(config.token.encryptionKey);
  const keys = new SigningKeys(pool, sealer, clock, { rotationMs: config.token.keyRotationMs, activationDelayMs: 0, accessTtlMs: config.token.accessTtlMs });
  const outbox = new TokenOutbox(pool, nc, quietLogger, namespace);
  const notices: { sessionId: string; familyId: string; generation: number }[] = [];
  const tokens = new TokensService({
    pool,
    keys,
    sealer,
    outbox,
    clock,
    randomBytes: cryptoRandomBytes,
    newId: randomUUID,
    config: config.token,
    notify: (sessionId, familyId, generation) => notices.push({ sessionId, familyId, generation }),
  });
  return { pool, keys, tokens, notices, config, outbox };
}

/** The family id of an access token (its jti is `<familyId>.<generation>`). */
export function familyOf(accessToken: string): string {
  const jti = JSON.parse(Buffer.from(accessToken.split('.')[1], 'base64url').toString()).jti as string;
  return jti.slice(0, jti.lastIndexOf('.'));
}
