import { connect, type NatsConnection } from 'nats';

export interface NatsOptions {
  readonly servers: readonly string[];
  readonly user?: string;
  readonly password?: string;
  /** Shown in the server's connection list (service + node). */
  readonly name: string;
}

/** Connects to NATS and keeps reconnecting forever; the caller drains it on shutdown. */
export function connectNats(options: NatsOptions): Promise<NatsConnection> {
  return connect({
    servers: [...options.servers],
    user: options.user,
    pass: options.password,
    name: options.name,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
    waitOnFirstConnect: true,
    timeout: 5000,
    // nats.js otherwise creates an Error per request to keep async stack traces: measurable on the hot path.
    noAsyncTraces: true,
  });
}
