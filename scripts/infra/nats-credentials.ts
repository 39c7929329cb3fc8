import { randomBytes } from 'node:crypto';
import { accountUsers, inboxPrefix, NATS_ROLES, natsUserName, renderNatsAccounts, type NatsIdentity } from '@foresight/contracts';

export interface NatsLogin {
  readonly user: string;
  readonly pass: string;
  /** Replies to this user's requests arrive under its own inbox prefix (the only one it may read). */
  readonly inboxPrefix: string;
}

/**
 * The NATS users of one local stack: every role of the permission table (libs/contracts), plus one
 * user per shard node, added when the node is started. Passwords are random for each run.
 */
export class NatsCredentials {
  private readonly users = new Map<string, { identity: NatsIdentity; password: string }>();
  private readonly sysPassword = randomBytes(18).toString('base64url');

  /**
   * Users for shard nodes `shard-1` … `shard-<preparedNodes>` exist from the start: adding a user
   * later needs a config reload, and nats-server forgets on reload which replies its clients may send,
   * so a reply in flight at that moment is refused (the requester times out and retries).
   */
  constructor(
    readonly namespace: string,
    preparedNodes = 16,
  ) {
    for (const role of NATS_ROLES) if (role !== 'shard') this.add({ role });
    for (let i = 1; i <= preparedNodes; i++) this.add({ role: 'shard', nodeId: `shard-${i}` });
  }

  /** Whether the user of this identity exists (a new shard node's does not until `add`). */
  has(identity: NatsIdentity): boolean {
    return this.users.has(natsUserName(identity));
  }

  /** Adds the identity's user if it is new; returns its login either way. */
  add(identity: NatsIdentity): NatsLogin {
    const user = natsUserName(identity);
    if (!this.users.has(user)) this.users.set(user, { identity, password: randomBytes(18).toString('base64url') });
    return this.login(identity);
  }

  login(identity: NatsIdentity): NatsLogin {
    const user = natsUserName(identity);
    const entry = this.users.get(user);
    if (!entry) throw new Error(`no NATS user ${user} in this stack`);
    return { user, pass: entry.password, inboxPrefix: inboxPrefix(user) };
  }

  /** The environment that makes a service connect as this identity. */
  env(identity: NatsIdentity): Record<string, string> {
    const { user, pass } = this.login(identity);
    return { NATS_USER: user, NATS_PASSWORD: pass };
  }

  /** The nats-server `accounts` block for the users so far. */
  accounts(): string {
    const entries = [...this.users.values()];
    const passwords = new Map(entries.map((e) => [natsUserName(e.identity), e.password]));
    const users = accountUsers(
      this.namespace,
      entries.map((e) => e.identity),
      (user) => ({ literal: passwords.get(user)! }),
    );
    return renderNatsAccounts(users, { user: 'sys', password: { literal: this.sysPassword } });
  }
}
