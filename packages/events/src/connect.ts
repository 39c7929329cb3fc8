import { connect, nkeyAuthenticator, type ConnectionOptions, type NatsConnection } from 'nats';

export interface SubscriberConnectionOptions extends Omit<ConnectionOptions, 'inboxPrefix'> {
  /** The NATS user (default `subscriber`, the read-only role of Foresight's permission table). */
  readonly user?: string;
  readonly pass?: string;
  /** The user's nkey seed (`SU…`), as Foresight's NATS users authenticate; then `pass` is not used. */
  readonly nkeySeed?: string;
}

/**
 * Connects as a subscriber. Foresight lets each user read replies only under its own inbox prefix
 * (`_INBOX.<user>`), so the connection uses it: pulls would otherwise never receive their messages.
 */
export function connectSubscriber(options: SubscriberConnectionOptions): Promise<NatsConnection> {
  const { user = 'subscriber', nkeySeed, ...rest } = options;
  // With an nkey the server knows the user by its public key; the name only picks the inbox.
  const auth = nkeySeed !== undefined ? { authenticator: nkeyAuthenticator(new TextEncoder().encode(nkeySeed)) } : { user };
  return connect({ name: `foresight-events:${user}`, ...rest, ...auth, inboxPrefix: `_INBOX.${user}` });
}
