#!/usr/bin/env node
/*
 * Checks deploy/nats/*.conf without Docker: starts three local nats-servers from the same files
 * (only hosts, ports and store dirs rewritten to loopback/temp), waits for /healthz, then checks
 * the per-service permissions (accounts.conf is generated from libs/contracts/src/permissions.ts)
 * and an R3 JetStream stream with the `nats` client. Stops what it started and removes its temp dir.
 *
 *   node deploy/nats/verify-local.js        (nats-server from PATH, /usr/sbin, or NATS_SERVER_BIN)
 */
'use strict';
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { connect, nkeyAuthenticator, StringCodec, AckPolicy } = require('nats');
const { createUser } = require('nkeys.js');

const here = __dirname;
const bin =
  process.env.NATS_SERVER_BIN || ['/usr/sbin/nats-server', '/usr/bin/nats-server', '/usr/local/bin/nats-server'].find((p) => fs.existsSync(p)) || 'nats-server';
const base = 20000 + Math.floor(Math.random() * 20000);
const port = (kind, i) => base + kind * 10 + i; // kind 0 client, 1 cluster, 2 monitor
// Every public nkey variable the accounts file reads, each set to a fresh key whose seed is kept here.
const variables = [...fs.readFileSync(path.join(here, 'accounts.conf'), 'utf8').matchAll(/nkey: \$(NATS_\w+_NKEY)/g)].map((m) => m[1]);
const pairs = Object.fromEntries(variables.map((v) => [v, createUser()]));
const publicKeys = Object.fromEntries(variables.map((v) => [v, pairs[v].getPublicKey()]));
const seedOf = (user) => pairs[`NATS_${user.toUpperCase().replace(/-/g, '_')}_NKEY`].getSeed();
const sc = StringCodec();
let failures = 0;
const check = (label, ok) => {
  console.log(`${ok ? 'PASS' : 'FAIL'} ${label}`);
  if (!ok) failures += 1;
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function startCluster(dir) {
  fs.copyFileSync(path.join(here, 'accounts.conf'), path.join(dir, 'accounts.conf'));
  const conf = fs.readFileSync(path.join(here, 'nats.conf'), 'utf8');
  const children = [];
  for (const i of [1, 2, 3]) {
    const text = conf
      .replace('listen: 0.0.0.0:4222', `listen: 127.0.0.1:${port(0, i)}`)
      .replace('http: 0.0.0.0:8222', `http: 127.0.0.1:${port(2, i)}`)
      .replace('listen: 0.0.0.0:6222', `listen: 127.0.0.1:${port(1, i)}`)
      .replace(/nats-route:\/\/nats-(\d):6222/g, (_, n) => `nats-route://127.0.0.1:${port(1, Number(n))}`)
      .replace('/data/jetstream', path.join(dir, `js-${i}`));
    const file = path.join(dir, `nats-${i}.conf`);
    fs.writeFileSync(file, text);
    const env = { ...process.env, ...publicKeys, NATS_SERVER_NAME: `nats-${i}` };
    const child = spawn(bin, ['-c', file], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    child.log = '';
    child.stderr.on('data', (d) => (child.log = (child.log + d.toString()).slice(-20000)));
    children.push(child);
  }
  for (let attempt = 0; attempt < 100; attempt++) {
    const codes = await Promise.all(
      [1, 2, 3].map((i) =>
        fetch(`http://127.0.0.1:${port(2, i)}/healthz?js-enabled-only=true`).then(
          (r) => r.status,
          () => 0,
        ),
      ),
    );
    if (codes.every((c) => c === 200)) return children;
    await sleep(200);
  }
  throw new Error('the three nats-servers did not become healthy');
}

async function user(name, node = 1) {
  const errors = [];
  // Each user may read replies only under its own inbox prefix.
  const nc = await connect({ servers: `127.0.0.1:${port(0, node)}`, authenticator: nkeyAuthenticator(seedOf(name)), name, inboxPrefix: `_INBOX.${name}` });
  (async () => {
    for await (const s of nc.status()) if (s.type === 'error') errors.push(String(s.data));
  })();
  return { nc, errors, violated: () => errors.some((e) => /permissions[ _]violation/i.test(e)) };
}

const denied = (promise) =>
  promise.then(
    () => false,
    (err) => /permissions violation/i.test(String(err && err.message)),
  );

function subscribeDenied(nc, subject) {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), 5000);
    nc.subscribe(subject, { callback: (err) => err && (clearTimeout(timer), resolve(/permissions violation/i.test(err.message))) });
  });
}

async function checks() {
  const shard = await user('node-shard-1', 1);
  const gateway = await user('gateway', 2);
  const metadata = await user('metadata', 3);
  const subscriber = await user('subscriber', 2);

  // /healthz?js-enabled-only=true turns green before the JetStream meta leader is elected, so a
  // client's first JetStream API calls must be retried (the services do the same on start-up).
  let si;
  for (let attempt = 0; !si; attempt++) {
    si = await metadata.nc
      .jetstreamManager()
      .then((jsm) => jsm.streams.add({ name: 'FS_SESSIONS', subjects: ['fs.evt.session.>'], num_replicas: 3 }))
      .catch((err) => {
        if (attempt >= 20) throw err;
        return sleep(500).then(() => undefined);
      });
  }
  check(
    `metadata creates an R3 stream (cluster ${si.cluster && si.cluster.name}, ${1 + ((si.cluster && si.cluster.replicas) || []).length} copies)`,
    si.config.num_replicas === 3,
  );
  check(
    'a shard node may not create a stream',
    await denied(shard.nc.jetstreamManager().then((jsm) => jsm.streams.add({ name: 'EVIL', subjects: ['fs.rpc.evil'] }))),
  );
  const js = shard.nc.jetstream();
  const first = await js.publish('fs.evt.session.variable_set', sc.encode('e1'), { msgID: 'e1' });
  const again = await js.publish('fs.evt.session.variable_set', sc.encode('e1'), { msgID: 'e1' });
  check('a shard node publishes an event; the same msgID is deduplicated', first.seq === 1 && again.duplicate === true);

  const rpc = shard.nc.subscribe('fs.rpc.shard.shard-1');
  (async () => {
    for await (const m of rpc) m.respond(sc.encode('pong'));
  })();
  const assignment = metadata.nc.subscribe('fs.rpc.metadata.assignment', { queue: 'metadata' });
  (async () => {
    for await (const m of assignment) m.respond(sc.encode('shard-1'));
  })();
  await Promise.all([shard.nc.flush(), metadata.nc.flush()]);
  await sleep(300); // let the subscriptions propagate across routes
  const pong = await gateway.nc.request('fs.rpc.shard.shard-1', sc.encode('ping'), { timeout: 2000 });
  check('gateway -> shard node request/reply across nodes', sc.decode(pong.data) === 'pong');
  const who = await shard.nc.request('fs.rpc.metadata.assignment', sc.encode('?'), { timeout: 2000 });
  check('shard node -> metadata queue group request/reply', sc.decode(who.data) === 'shard-1');
  check(
    'a shard node may register as itself only',
    !(await denied(shard.nc.request('fs.rpc.metadata.node.shard-1.register', sc.encode('x'), { timeout: 2000 }))) &&
      (await denied(shard.nc.request('fs.rpc.metadata.node.shard-2.register', sc.encode('x'), { timeout: 2000 }))),
  );
  check('the gateway may not register a node', await denied(gateway.nc.request('fs.rpc.metadata.node.intruder.register', sc.encode('x'), { timeout: 2000 })));
  check("a shard node may not serve another node's subject", await subscribeDenied(shard.nc, 'fs.rpc.shard.shard-2'));
  check('a shard node may not ask for tokens', await denied(shard.nc.request('fs.rpc.token.issue', sc.encode('x'), { timeout: 2000 })));

  gateway.nc.publish('fs.evt.session.variable_set', sc.encode('forged'));
  await sleep(300);
  check('gateway may not publish session events', gateway.violated());
  check('gateway may not publish cluster events', await denied(gateway.nc.jetstream().publish('fs.evt.cluster.node_left', sc.encode('forged'))));
  check('no service may delete a stream', await denied(gateway.nc.jetstreamManager().then((jsm) => jsm.streams.delete('FS_SESSIONS'))));

  const sjsm = await subscriber.nc.jetstreamManager();
  await sjsm.consumers.add('FS_SESSIONS', { durable_name: 'backend', ack_policy: AckPolicy.Explicit });
  const msg = await (await subscriber.nc.jetstream().consumers.get('FS_SESSIONS', 'backend')).next({ expires: 2000 });
  check('subscriber reads the stream with a pull consumer', msg !== null && sc.decode(msg.data) === 'e1');
  if (msg) await msg.ackAck();
  subscriber.nc.publish('fs.evt.session.variable_set', sc.encode('x'));
  await sleep(300);
  check('subscriber may not publish events', subscriber.violated());

  const token = await user('token', 3);
  const notices = gateway.nc.subscribe('fs.notice.token.*', { max: 1 });
  await gateway.nc.flush();
  await sleep(300);
  token.nc.publish('fs.notice.token.s1', sc.encode('pair'));
  let notice = null;
  for await (const m of notices) notice = sc.decode(m.data);
  check('token pushes a per-session notice that the gateway receives', notice === 'pair');
  token.nc.publish('fs.evt.session.variable_set', sc.encode('x'));
  await sleep(300);
  check('token may not publish session events', token.violated());
  check("token may not read the gateway's replies", await subscribeDenied(token.nc, '_INBOX.gateway.>'));
  await token.nc.close();

  const affinity = await user('affinity', 1);
  check('affinity (no NATS feature yet) may publish nothing', await denied(affinity.nc.request('fs.rpc.metadata.owner', sc.encode('x'), { timeout: 2000 })));
  await affinity.nc.close();

  let refused = false;
  await connect({ servers: `127.0.0.1:${port(0, 1)}`, user: 'gateway', pass: 'wrong' }).then(
    (nc) => nc.close(),
    () => (refused = true),
  );
  check('a password is refused (users authenticate with nkeys)', refused);
  refused = false;
  await connect({ servers: `127.0.0.1:${port(0, 1)}`, authenticator: nkeyAuthenticator(createUser().getSeed()) }).then(
    (nc) => nc.close(),
    () => (refused = true),
  );
  check('an nkey the config does not list is refused', refused);
  refused = false;
  await connect({ servers: `127.0.0.1:${port(0, 1)}` }).then(
    (nc) => nc.close(),
    () => (refused = true),
  );
  check('a connection without credentials is refused', refused);
  for (const u of [shard, gateway, metadata, subscriber]) await u.nc.close();
}

(async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'foresight-nats-verify-'));
  let children = [];
  try {
    children = await startCluster(dir);
    await checks();
  } catch (err) {
    console.error(err);
    failures += 1;
  } finally {
    if (failures > 0) for (const c of children) console.error(c.log);
    for (const c of children) c.kill('SIGTERM');
    await Promise.all(children.map((c) => (c.exitCode === null ? new Promise((r) => c.once('exit', r)) : null)));
    fs.rmSync(dir, { recursive: true, force: true });
  }
  console.log(failures === 0 ? 'deploy/nats config: all checks passed' : `deploy/nats config: ${failures} check(s) failed`);
  process.exit(failures === 0 ? 0 : 1);
})();
