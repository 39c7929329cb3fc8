import { connect, type ConnectionOptions, type NatsConnection } from 'nats';

export interface SubscriberConnectionOptions extends Omit<ConnectionOptions, 'inboxPrefix'> {
  /** The NATS user (default `subscriber`, the read-only role of Foresight's permission table). */
  readonly user?: string;
  readonly pass?: string;
}

/**
 * Connects as a subscriber. Foresight lets each user read replies only under its own inbox prefix
 * (`_INBOX.<user>`), so the connection uses it: pulls would otherwise never receive their messages.
 */
export function connectSubscriber(options: SubscriberConnectionOptions): Promise<NatsConnection> {
  const user = options.user ?? 'subscriber';
  return connect({ name: `foresight-events:${user}`, ...options, user, inboxPrefix: `_INBOX.${user}` });
}
