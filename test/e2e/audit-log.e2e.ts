import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { Parser } from '@asyncapi/parser';
import { buildAsyncApiDocument } from '@foresight/contracts';
import { eventually } from '@foresight/testing';
import { Client } from 'pg';
import type { LocalStack } from '../../scripts/local-stack';
import { api, startTestStack } from './support';

const MAIN = join(__dirname, '..', '..', 'dist', 'examples', 'audit-log', 'src', 'main.js');
const AUDITED = ['session.created', 'session.variable_set', 'session.variable_deleted', 'session.ended'];

/**
 * The audit-log example as a process, reading the session stream as the read-only subscriber user
 * while writers change sessions through the gateway. It is SIGKILLed twice mid-stream and started
 * again; at the end its table holds every audited event Foresight committed, each once.
 */
describe('examples/audit-log: exactly once across SIGKILL (gateway, metadata, shard, audit-log as processes)', () => {
  let stack: LocalStack;
  let db: Client;
  let auditor: ChildProcess | undefined;
  const output: string[] = [];

  beforeAll(async () => {
    stack = await startTestStack('audit_log', { shardNodes: 1 });
    db = new Client({ connectionString: stack.databaseUrl });
    await db.connect();
  }, 120_000);

  afterAll(async () => {
    if (auditor && auditor.exitCode === null) auditor.kill('SIGKILL');
    await db?.end();
    await stack?.stop();
  }, 60_000);

  async function startAuditor(): Promise<ChildProcess> {
    const login = stack.natsLogin({ role: 'subscriber' })!;
    const child = spawn(process.execPath, [MAIN], {
      env: {
        ...process.env,
        DATABASE_URL: stack.databaseUrl,
        NATS_URL: stack.natsUrl,
        NATS_USER: login.user,
        NATS_NKEY_SEED: login.seed,
        FORESIGHT_NAMESPACE: stack.namespace,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let ready = false;
    child.stdout!.on('data', (b: Buffer) => {
      output.push(b.toString());
      if (b.toString().includes('consuming')) ready = true;
    });
    child.stderr!.on('data', (b: Buffer) => output.push(b.toString()));
    await eventually(() => (ready ? true : child.exitCode !== null ? Promise.reject(new Error(output.join(''))) : undefined), 30_000, 'audit-log consuming');
    return child;
  }

  const auditCount = async () => {
    try {
      return Number((await db.query('SELECT count(*) AS n FROM audit_log.session_changes')).rows[0].n);
    } catch {
      return 0;
    }
  };

  async function kill(child: ChildProcess): Promise<void> {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  }

  it('serves the AsyncAPI document of this namespace, valid for the AsyncAPI parser', async () => {
    const r = await fetch(`${stack.gatewayUrl}/docs/asyncapi.json`);
    expect([r.status, r.headers.get('content-type')]).toEqual([200, expect.stringMatching(/^application\/json/)]);
    const doc = (await r.json()) as { channels: Record<string, { address: string }> };
    expect(doc).toEqual(buildAsyncApiDocument(stack.namespace));
    expect(doc.channels.session_variable_set!.address).toBe(`${stack.namespace}.evt.session.variable_set`);
    const { diagnostics } = await new Parser().parse(JSON.stringify(doc));
    expect(diagnostics.filter((d) => d.severity <= 1)).toEqual([]);
  }, 60_000);

  it('keeps every audited event once while it is SIGKILLed and restarted under writers', async () => {
    const client = api(stack);
    auditor = await startAuditor();
    const sessions: string[] = [];
    for (let i = 0; i < 8; i++) {
      const r = await client.create({ userId: `u${i}`, data: { cart: { items: [] } } });
      expect(r.status).toBe(201);
      sessions.push(r.body.id);
    }
    const WRITES = 60;
    let written = 0;
    const writer = async (id: string, w: number) => {
      for (let n = 0; n < WRITES; n++) {
        const r = await client.put(id, 'cart', 'items', [{ sku: `W${w}-${n}`, qty: n, note: n % 7 === 0 ? 'a\u0000b' : 'ok' }]);
        if (r.status === 200) written++;
      }
      if (w % 2 === 0) expect((await client.call('DELETE', `/v1/sessions/${id}`)).status).toBeLessThan(300);
    };
    const writing = Promise.all(sessions.map((id, w) => writer(id, w)));

    // Two crashes mid-stream: each once the table has grown since the last start.
    for (const threshold of [60, 200]) {
      await eventually(async () => ((await auditCount()) >= threshold ? true : undefined), 60_000, `${threshold} audited rows`);
      await kill(auditor);
      auditor = await startAuditor();
    }
    await writing;
    expect(written).toBe(sessions.length * WRITES);

    const committed = await db.query<{ event_id: string }>('SELECT event_id FROM events WHERE type = ANY($1) AND session_id = ANY($2)', [AUDITED, sessions]);
    const expected = committed.rows.map((r) => r.event_id).sort();
    expect(expected.length).toBe(sessions.length * (1 + WRITES) + sessions.length / 2);
    await eventually(async () => ((await auditCount()) >= expected.length ? true : undefined), 60_000, 'every committed event audited');
    const audited = await db.query<{ event_id: string; session_id: string }>('SELECT event_id, session_id FROM audit_log.session_changes');
    const mine = audited.rows.filter((r) => sessions.includes(r.session_id)).map((r) => r.event_id);
    expect(mine.sort()).toEqual(expected);
    expect(audited.rows.length).toBe(expected.length);
    const sequences = await db.query('SELECT count(DISTINCT stream_sequence) AS n FROM audit_log.session_changes');
    expect(Number(sequences.rows[0].n)).toBe(expected.length);
    expect(output.join('')).not.toMatch(/undecodable|not_an_envelope|unknown_/);
  }, 300_000);
});
