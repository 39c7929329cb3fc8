import { createUser } from 'nkeys.js';
import { accountUsers, inboxPrefix, NATS_ROLES, natsUserName, renderNatsAccounts, type NatsIdentity } from '@foresight/contracts';

/** A user's nkey pair: the server's config holds the public key, the service the seed. */
interface Nkey {
  readonly publicKey: string;
  readonly seed: string;
}

function newNkey(): Nkey {
  const pair = createUser();
  return { publicKey: pair.getPublicKey(), seed: new TextDecoder().decode(pair.getSeed()) };
}

export interface NatsLogin {
  readonly user: string;
  /** The user's nkey seed (connect with `nkeyAuthenticator`). */
  readonly seed: string;
  /** Replies to this user's requests arrive under its own inbox prefix (the only one it may read). */
  readonly inboxPrefix: string;
}

/**
 * The NATS users of one local stack: every role of the permission table (libs/contracts), plus one
 * user per shard node, added when the node is started. Each user has its own nkey, new for each run.
 */
export class NatsCredentials {
  private readonly users = new Map<string, { identity: NatsIdentity; nkey: Nkey }>();
  private readonly sys = newNkey();

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
    if (!this.users.has(user)) this.users.set(user, { identity, nkey: newNkey() });
    return this.login(identity);
  }

  login(identity: NatsIdentity): NatsLogin {
    const user = natsUserName(identity);
    const entry = this.users.get(user);
    if (!entry) throw new Error(`no NATS user ${user} in this stack`);
    return { user, seed: entry.nkey.seed, inboxPrefix: inboxPrefix(user) };
  }

  /** The environment that makes a service connect as this identity. */
  env(identity: NatsIdentity): Record<string, string> {
    const { user, seed } = this.login(identity);
    return { NATS_USER: user, NATS_NKEY_SEED: seed };
  }

  /** The nats-server `accounts` block for the users so far. */
  accounts(): string {
    const entries = [...this.users.values()];
    const keys = new Map(entries.map((e) => [natsUserName(e.identity), e.nkey.publicKey]));
    const users = accountUsers(
      this.namespace,
      entries.map((e) => e.identity),
      (user) => ({ literal: keys.get(user)! }),
    );
    return renderNatsAccounts(users, { user: 'sys', nkey: { literal: this.sys.publicKey } });
  }
}
