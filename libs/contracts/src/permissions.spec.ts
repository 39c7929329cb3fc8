import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { deployAccountsConf, natsUserVariable, renderNatsAccounts } from './nats-accounts';
import { NATS_ROLES, natsPermissions, natsUserName, type NatsIdentity } from './permissions';
import { streamDeclarations } from './streams';
import { subjects } from './subjects';
import { tokenSubjects } from './token-subjects';

/** NATS subject matching: `*` is one token, `>` one or more trailing tokens. */
function matches(pattern: string, subject: string): boolean {
  const p = pattern.split('.');
  const s = subject.split('.');
  for (let i = 0; i < p.length; i++) {
    if (p[i] === '>') return s.length > i;
    if (i >= s.length || (p[i] !== '*' && p[i] !== s[i])) return false;
  }
  return p.length === s.length;
}

const NS = 'fs';
/** A public user nkey (no secret: the server config holds these). */
const USER_KEY = 'UCHNMIYXEES2GDUDIHZXNHLOMIXFJXYGYFGF56Z6SEAGQALSLC3UBQER';
/** Every user a service or a back end connects as; the operator (a person with the nats tool) is checked apart. */
const identities: NatsIdentity[] = [
  ...NATS_ROLES.filter((r) => r !== 'shard' && r !== 'operator').map((role) => ({ role })),
  { role: 'shard', nodeId: 'shard-1' },
  { role: 'shard', nodeId: 'shard-2' },
];
const mayPublish = (subject: string) => identities.filter((i) => natsPermissions(NS, i).publish.some((p) => matches(p, subject))).map((i) => natsUserName(i));
const maySubscribe = (subject: string) =>
  identities.filter((i) => natsPermissions(NS, i).subscribe.some((p) => matches(p, subject))).map((i) => natsUserName(i));

describe('the NATS permission table', () => {
  const s = subjects(NS);
  const t = tokenSubjects(NS);
  const streams = Object.values(streamDeclarations(NS));

  it('gives the operator user everything in the account, with its public nkey from the environment in deploy', () => {
    expect(natsPermissions(NS, { role: 'operator' })).toEqual({ publish: ['>'], subscribe: ['>'], allowResponses: true });
    expect(deployAccountsConf()).toMatch(/# user "operator"\s+\{\s+nkey: \$NATS_OPERATOR_NKEY/);
    expect(deployAccountsConf()).not.toMatch(/password/);
  });

  it('binds membership to the node: only node-<id> may register, heartbeat or leave as <id>, and serve its RPC subject', () => {
    for (const op of ['register', 'heartbeat', 'leave'] as const) {
      expect(mayPublish(s.membershipRpc('shard-1', op))).toEqual(['node-shard-1']);
      expect(mayPublish(s.membershipRpc('intruder', op))).toEqual([]);
    }
    expect(maySubscribe(s.shardRpc('shard-1'))).toEqual(['node-shard-1']);
    expect(maySubscribe(s.shardRpc('shard-2'))).toEqual(['node-shard-2']);
    // The gateway's commands, and the metadata leader's liveness probe.
    expect(mayPublish(s.shardRpc('shard-1'))).toEqual(['gateway', 'metadata']);
  });

  it('lets only gateways report node health, and only the metadata service read it', () => {
    expect(mayPublish(s.nodeHealth)).toEqual(['gateway']);
    expect(maySubscribe(s.nodeHealth)).toEqual(['metadata']);
  });

  it('lets every shard node push to any secondary, and each node read only the copies pushed to it', () => {
    expect(mayPublish(s.replica('shard-2'))).toEqual(['node-shard-1', 'node-shard-2']);
    expect(maySubscribe(s.replica('shard-1'))).toEqual(['node-shard-1']);
    expect(maySubscribe(s.replica('shard-2'))).toEqual(['node-shard-2']);
    expect(maySubscribe(s.replicaWildcard)).toEqual([]);
    expect(() => s.replica('a.b')).toThrow(/invalid node id/);
  });

  it('lets a shard node propose transfers only under its own id, and receive only those sent to it', () => {
    expect(mayPublish(s.transfer('shard-2', 'shard-1'))).toEqual(['node-shard-1']);
    expect(mayPublish(s.transfer('shard-1', 'shard-2'))).toEqual(['node-shard-2']);
    expect(maySubscribe(s.transfer('shard-2', 'shard-1'))).toEqual(['node-shard-2']);
    expect(s.transferSender(s.transfer('shard-2', 'shard-1'), 'shard-2')).toBe('shard-1');
    expect(s.transferSender(s.transfer('shard-2', 'shard-1'), 'shard-1')).toBeUndefined();
    expect(() => s.transfer('a.b', 'c')).toThrow(/invalid node id/);
  });

  it('gives each event family one publisher: session events the shard nodes, cluster events metadata, token events the token service', () => {
    expect(mayPublish(s.sessionEvent('session.variable_set'))).toEqual(['node-shard-1', 'node-shard-2']);
    expect(mayPublish(s.clusterEvent('cluster.node_left'))).toEqual(['metadata']);
    expect(mayPublish(s.assignmentChanged)).toEqual(['metadata']);
    expect(mayPublish(t.tokenEvent('token.revoked'))).toEqual(['token']);
    expect(mayPublish(t.tokenNotice('abc'))).toEqual(['token']);
    expect(mayPublish(`${NS}.evt.prediction.model_updated`)).toEqual(['prediction']);
  });

  it('lets only the gateway call the token service, and only the token service answer it', () => {
    for (const op of ['issue', 'refresh', 'revoke', 'jwks', 'pending', 'ack', 'renew', 'stats'] as const) {
      expect(mayPublish(t.tokenRpc(op))).toEqual(['gateway']);
      expect(maySubscribe(t.tokenRpc(op))).toEqual(['token']);
    }
  });

  it('lets only metadata create or change a stream, and no one delete or purge one', () => {
    for (const { name } of streams) {
      expect(mayPublish(`$JS.API.STREAM.CREATE.${name}`)).toEqual(['metadata']);
      expect(mayPublish(`$JS.API.STREAM.UPDATE.${name}`)).toEqual(['metadata']);
      expect(mayPublish(`$JS.API.STREAM.DELETE.${name}`)).toEqual([]);
      expect(mayPublish(`$JS.API.STREAM.PURGE.${name}`)).toEqual([]);
      expect(mayPublish(`$JS.API.STREAM.MSG.DELETE.${name}`)).toEqual([]);
    }
    expect(mayPublish('$JS.API.STREAM.CREATE.EVIL')).toEqual([]);
  });

  it('keeps every user to its own inbox and grants no catch-all', () => {
    for (const identity of identities) {
      const user = natsUserName(identity);
      const { publish, subscribe } = natsPermissions(NS, identity);
      for (const subject of [...publish, ...subscribe])
        expect([user, subject, ['>', '$JS.API.>', '_INBOX.>', `${NS}.>`].includes(subject)]).toEqual([user, subject, false]);
      expect(maySubscribe(`_INBOX.${user}.abc.def`).filter((other) => other !== user)).toEqual([]);
    }
  });

  it('writes "nothing" as a deny of every subject (an empty allow list would allow everything)', () => {
    const text = renderNatsAccounts([{ user: 'affinity', nkey: { literal: USER_KEY }, permissions: { publish: [], subscribe: [], allowResponses: false } }], {
      user: 'sys',
      nkey: { env: 'NATS_SYS_NKEY' },
    });
    expect(text).toContain('publish: { deny: [">"] }');
    expect(text).toContain('subscribe: { deny: [">"] }');
    expect(text).toContain(`nkey: "${USER_KEY}"`);
    expect(text).toContain('nkey: $NATS_SYS_NKEY');
    expect(text).not.toMatch(/authorization/);
    expect(() =>
      renderNatsAccounts([{ user: 'sys', nkey: { literal: USER_KEY }, permissions: { publish: [], subscribe: [], allowResponses: false } }], {
        user: 'sys',
        nkey: { env: 'NATS_SYS_NKEY' },
      }),
    ).toThrow(/twice/);
    // A seed (or anything but a public user key) never reaches the config.
    expect(() =>
      renderNatsAccounts([{ user: 'affinity', nkey: { literal: `S${USER_KEY}` }, permissions: { publish: [], subscribe: [], allowResponses: false } }], {
        user: 'sys',
        nkey: { env: 'NATS_SYS_NKEY' },
      }),
    ).toThrow(/not a public user nkey/);
  });

  it('is what deploy/nats/accounts.conf holds (regenerate it with npm run nats:accounts)', () => {
    const file = readFileSync(join(__dirname, '..', '..', '..', 'deploy', 'nats', 'accounts.conf'), 'utf8');
    expect(file).toBe(deployAccountsConf());
  });

  it('matches docker-compose.yml: every service user exists with its own seed, every public key variable reaches the NATS nodes', () => {
    const compose = readFileSync(join(__dirname, '..', '..', '..', 'docker-compose.yml'), 'utf8');
    const conf = deployAccountsConf();
    const users = [...conf.matchAll(/# user "([^"]+)"/g)].map((m) => m[1]);
    const composeUsers = [...compose.matchAll(/NATS_USER: (\S+)\n\s+NATS_NKEY_SEED: \*nats-(\S+)-seed\n/g)].map((m) => [m[1], m[2]]);
    expect(composeUsers.length).toBe([...compose.matchAll(/NATS_USER:/g)].length);
    expect(composeUsers.length).toBeGreaterThan(5);
    expect(composeUsers.filter(([u, seed]) => !users.includes(u) || u !== seed)).toEqual([]);
    for (const user of users) {
      const seedVariable = `${natsUserVariable(user!)}_NKEY_SEED`;
      if (compose.includes(`&nats-${user}-seed`)) expect(compose).toContain(`&nats-${user}-seed \${${seedVariable}:?`);
    }
    const variables = [...conf.matchAll(/nkey: \$(\w+)/g)].map((m) => m[1]);
    expect(variables.length).toBe(users.length);
    expect(variables.filter((v) => !new RegExp(`^\\s+${v}: \\$\\{${v}:\\?`, 'm').test(compose))).toEqual([]);
  });

  it('reads a node id from a membership subject only when the subject is one for that operation', () => {
    expect(s.nodeIdOfMembership('fs.rpc.metadata.node.shard-1.register', 'register')).toBe('shard-1');
    expect(s.nodeIdOfMembership('fs.rpc.metadata.node.shard-1.register', 'heartbeat')).toBeUndefined();
    expect(s.nodeIdOfMembership('fs.rpc.metadata.node.a.b.register', 'register')).toBeUndefined();
    expect(s.nodeIdOfMembership('fs.rpc.metadata.register', 'register')).toBeUndefined();
    expect(() => s.membershipRpc('a.b', 'register')).toThrow(/invalid node id/);
  });
});
