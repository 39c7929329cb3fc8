import { inboxPrefix } from '@foresight/contracts';
import { connect, nkeyAuthenticator, type NatsConnection } from 'nats';

export interface NatsOptions {
  readonly servers: readonly string[];
  readonly user?: string;
  readonly password?: string;
  /** The user's nkey seed: the connection signs the server's nonce with it instead of sending a password. */
  readonly nkeySeed?: string;
  /** TLS to the server, required when given: CA and optional client certificate (PEM texts). */
  readonly tls?: { readonly ca?: string; readonly cert?: string; readonly key?: string };
  /** Shown in the server's connection list (service + node). */
  readonly name: string;
  /**
   * Prefix of this connection's reply subjects. Defaults to `_INBOX.<user>` when a user is given: each
   * user may subscribe only to its own inbox (ADR 0005).
   */
  readonly inboxPrefix?: string;
  /** Refuse a server whose max_payload is smaller: the service's limits assume messages this large fit. */
  readonly requiredMaxPayloadBytes?: number;
}

/** Connects to NATS and keeps reconnecting forever; the caller drains it on shutdown. */
export async function connectNats(options: NatsOptions): Promise<NatsConnection> {
  const nc = await connect({
    servers: [...options.servers],
    // With an nkey the user name only names the inbox; the server knows the user by its public key.
    ...(options.nkeySeed !== undefined
      ? { authenticator: nkeyAuthenticator(new TextEncoder().encode(options.nkeySeed)) }
      : { user: options.user, pass: options.password }),
    ...(options.tls ? { tls: { ca: options.tls.ca, cert: options.tls.cert, key: options.tls.key } } : {}),
    name: options.name,
    inboxPrefix: options.inboxPrefix ?? (options.user && /^[A-Za-z0-9_-]{1,64}$/.test(options.user) ? inboxPrefix(options.user) : undefined),
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
    waitOnFirstConnect: true,
    timeout: 5000,
    // nats.js otherwise creates an Error per request to keep async stack traces: measurable on the hot path.
    noAsyncTraces: true,
  });
  const carried = nc.info?.max_payload;
  const required = options.requiredMaxPayloadBytes;
  if (required !== undefined && carried !== undefined && carried < required) {
    await nc.close();
    throw new Error(
      `the NATS server carries at most ${carried} bytes per message (max_payload) but NATS_MAX_PAYLOAD_BYTES is ${required}: ` +
        `raise max_payload on the server, or lower NATS_MAX_PAYLOAD_BYTES (with HTTP_BODY_LIMIT_BYTES and SESSION_MAX_VARIABLE_BYTES under it)`,
    );
  }
  return nc;
}
