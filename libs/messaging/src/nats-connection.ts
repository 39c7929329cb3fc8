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
  });
}
