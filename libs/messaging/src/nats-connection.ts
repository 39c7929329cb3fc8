import { inboxPrefix } from '@foresight/contracts';
import { connect, type NatsConnection } from 'nats';

export interface NatsOptions {
  readonly servers: readonly string[];
  readonly user?: string;
  readonly password?: string;
  /** Shown in the server's connection list (service + node). */
  readonly name: string;
  /**
   * Prefix of this connection's reply subjects. Defaults to `_INBOX.<user>` when a user is given: each
   * user may subscribe only to its own inbox (ADR 0005).
   */
  readonly inboxPrefix?: string;
}

/** Connects to NATS and keeps reconnecting forever; the caller drains it on shutdown. */
export function connectNats(options: NatsOptions): Promise<NatsConnection> {
  return connect({
    servers: [...options.servers],
    user: options.user,
    pass: options.password,
    name: options.name,
    inboxPrefix: options.inboxPrefix ?? (options.user && /^[A-Za-z0-9_-]{1,64}$/.test(options.user) ? inboxPrefix(options.user) : undefined),
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
    waitOnFirstConnect: true,
    timeout: 5000,
    // nats.js otherwise creates an Error per request to keep async stack traces: measurable on the hot path.
    noAsyncTraces: true,
  });
}
