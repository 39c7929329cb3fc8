import { natsPermissions, natsUserName, type NatsIdentity, type NatsPermissions } from './permissions';

/**
 * A user's public nkey written into the config: a literal (local stacks), or a variable nats-server
 * reads from its environment. The server holds no secret: a client proves it has the seed by signing
 * the server's nonce.
 */
export type NatsNkey = { readonly literal: string } | { readonly env: string };

export interface NatsAccountUser {
  /** The name the permission table knows the user by (a comment in the config; the server knows the key). */
  readonly user: string;
  readonly nkey: NatsNkey;
  readonly permissions: NatsPermissions;
}

/** The stem of a user's variables in `deploy/`: `NATS_<USER>` (+ `_NKEY` public key, `_NKEY_SEED` its seed). */
export function natsUserVariable(user: string): string {
  return `NATS_${user.toUpperCase().replace(/-/g, '_')}`;
}

/** The users of a deployment: one per role, one per shard node, from the permission table. */
export function accountUsers(namespace: string, identities: readonly NatsIdentity[], nkey: (user: string) => NatsNkey): NatsAccountUser[] {
  return identities.map((identity) => {
    const user = natsUserName(identity);
    return { user, nkey: nkey(user), permissions: natsPermissions(namespace, identity) };
  });
}

const quote = (value: string) => {
  if (/["\\\n]/.test(value)) throw new Error(`a NATS config string may not contain quotes, backslashes or newlines: ${value}`);
  return `"${value}"`;
};

const nkey = (p: NatsNkey) => {
  if ('literal' in p) {
    // A user's public key: 56 base32 characters starting with U. Anything else would be a config nats-server refuses.
    if (!/^U[A-Z2-7]{55}$/.test(p.literal)) throw new Error(`not a public user nkey: ${p.literal}`);
    return quote(p.literal);
  }
  if (!/^[A-Z][A-Z0-9_]*$/.test(p.env)) throw new Error(`invalid variable name ${p.env}`);
  return `$${p.env}`;
};

/**
 * One direction of a permission. An empty allow list would mean "everything" to nats-server, so
 * "nothing" is written as a deny of every subject.
 */
function direction(subjectsAllowed: readonly string[]): string {
  if (subjectsAllowed.length === 0) return '{ deny: [">"] }';
  return `{\n          allow: [\n${subjectsAllowed.map((s) => `            ${quote(s)}`).join('\n')}\n          ]\n        }`.replace(/\n/g, '\n  ');
}

function userBlock(u: NatsAccountUser): string {
  const lines = [
    `    # user "${u.user}"`,
    '    {',
    `      nkey: ${nkey(u.nkey)}`,
    '      permissions: {',
    `        publish: ${direction(u.permissions.publish)}`,
    `        subscribe: ${direction(u.permissions.subscribe)}`,
    ...(u.permissions.allowResponses ? ['        allow_responses: true'] : []),
    '      }',
    '    }',
  ];
  return lines.map((line) => `  ${line}`).join('\n');
}

/**
 * The `accounts` block of a nats-server config: every Foresight user in the FORESIGHT account
 * (JetStream enabled) and the system account SYS. No top-level `authorization` block goes with it:
 * with nats-server 2.9 that combination lets clients in without credentials.
 */
export function renderNatsAccounts(users: readonly NatsAccountUser[], sys: { readonly user: string; readonly nkey: NatsNkey }): string {
  const names = new Set<string>();
  for (const u of [...users, sys]) {
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(u.user)) throw new Error(`invalid NATS user name ${u.user}`);
    if (names.has(u.user)) throw new Error(`NATS user ${u.user} is listed twice`);
    names.add(u.user);
  }
  return [
    'accounts {',
    '  FORESIGHT {',
    '    jetstream: enabled',
    '    users: [',
    users.map(userBlock).join('\n'),
    '    ]',
    '  }',
    '  SYS {',
    `    # user "${sys.user}"`,
    `    users: [{ nkey: ${nkey(sys.nkey)} }]`,
    '  }',
    '}',
    'system_account: SYS',
    '',
  ].join('\n');
}

/** The shard nodes of `docker-compose.yml`, each with its own NATS user. */
export const DEPLOY_SHARD_NODES: readonly string[] = ['shard-1', 'shard-2', 'shard-3'];

/** The NATS users of `docker-compose.yml`: every role, one user per compose shard node. */
export function deployIdentities(): NatsIdentity[] {
  return [
    { role: 'gateway' },
    { role: 'metadata' },
    ...DEPLOY_SHARD_NODES.map((nodeId): NatsIdentity => ({ role: 'shard', nodeId })),
    { role: 'prediction' },
    { role: 'token' },
    { role: 'affinity' },
    { role: 'origin' },
    { role: 'subscriber' },
    { role: 'operator' },
  ];
}

/** The system account's user in `deploy/` (no service connects as it). */
export const DEPLOY_SYS_USER = 'sys';

/**
 * `deploy/nats/accounts.conf`, generated (`npm run nats:accounts`) from the permission table with the
 * default namespace, the compose shard nodes and public nkeys from the environment of each NATS node.
 */
export function deployAccountsConf(): string {
  const header = [
    '# GENERATED from libs/contracts/src/permissions.ts by `npm run nats:accounts`: do not edit by hand',
    '# (a unit test fails when this file and the table differ). See docs/adr/0005-nats-permissions.md.',
    '#',
    '# One account, FORESIGHT (JetStream), holds every user: one per service, one per shard node',
    '# (node-<NODE_ID>, bound to that node\'s membership and RPC subjects), "origin" for data origins on',
    '# NATS, "subscriber" for back ends reading the event streams and "operator" for people managing streams',
    '# and consumers with the nats tool (anything in the account). SYS is the system account. Users',
    '# authenticate with nkeys: this file holds public keys only, from the environment of the NATS node',
    '# (NATS_<USER>_NKEY, "-" written "_"); each service holds its seed (NATS_NKEY_SEED), which never',
    '# crosses the wire (the client signs a nonce). `npm run nats:nkeys` generates a pair per user.',
    '# Each user subscribes to replies only under its own inbox prefix _INBOX.<user>; responders answer',
    '# through allow_responses. There is deliberately no top-level `authorization { }` block.',
    '',
  ].join('\n');
  return (
    header +
    renderNatsAccounts(
      accountUsers('fs', deployIdentities(), (user) => ({ env: `${natsUserVariable(user)}_NKEY` })),
      { user: DEPLOY_SYS_USER, nkey: { env: `${natsUserVariable(DEPLOY_SYS_USER)}_NKEY` } },
    )
  );
}
