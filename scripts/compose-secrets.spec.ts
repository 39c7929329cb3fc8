import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { createUser } from 'nkeys.js';
import { ConfigError, loadConfig, type ServiceName } from '@foresight/config';
import { DEPLOY_SYS_USER, deployIdentities, natsUserName, natsUserVariable } from '@foresight/contracts';

/**
 * The compose file cannot run production on public secrets: it has no fallback for a secret, and the
 * environment it hands each service from the example .env is refused by that service's configuration.
 * Uses the real docker-compose (offline: `config` only interpolates and validates).
 */
const ROOT = join(__dirname, '..');
const COMPOSE = join(ROOT, 'docker-compose.yml');
const SECRET = /^(NATS_[A-Z0-9_]*NKEY_SEED|POSTGRES_PASSWORD|SESSION_ID_SECRET|TOKEN_ENCRYPTION_KEY|FORESIGHT_API_KEYS|SESSION_ENCRYPTION_KEYS)$/;

interface ComposeService {
  command?: string[];
  environment?: Record<string, string | null>;
}

function compose(envFile: string): { status: number | null; stdout: string; stderr: string } {
  // A clean environment: nothing from the developer's shell or a local .env reaches the file.
  const r = spawnSync('docker-compose', ['--env-file', envFile, '-f', COMPOSE, 'config'], { cwd: ROOT, encoding: 'utf8', env: { PATH: process.env.PATH } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The Foresight service each compose service runs, with the environment compose gives it. */
function servicesOf(yaml: string): { name: string; app: ServiceName; env: Record<string, string> }[] {
  const doc = load(yaml) as { services: Record<string, ComposeService> };
  const out: { name: string; app: ServiceName; env: Record<string, string> }[] = [];
  for (const [name, s] of Object.entries(doc.services)) {
    const entry = (s.command ?? []).join(' ');
    const app = /dist\/apps\/([a-z-]+)\/src\/main\.js/.exec(entry)?.[1] ?? (entry.includes('dist/scripts/migrate.js') ? 'migrate' : undefined);
    if (app === undefined || app === 'origin-example') continue;
    const env = Object.fromEntries(Object.entries(s.environment ?? {}).map(([k, v]) => [k, v ?? '']));
    out.push({ name, app: app as ServiceName, env: { NODE_ENV: 'production', ...env } });
  }
  return out;
}

function problemsOf(app: ServiceName, env: Record<string, string>): string[] {
  try {
    loadConfig(app, env);
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
}

describe('docker-compose.yml and production secrets', () => {
  const dir = mkdtempSync(join(tmpdir(), 'compose-'));

  it('has no fallback value for any secret', () => {
    const text = readFileSync(COMPOSE, 'utf8');
    const uses = [...text.matchAll(/\$\{([A-Z0-9_]+)(:?[-?])?[^}]*\}/g)].filter((m) => SECRET.test(m[1]!));
    expect(uses.length).toBeGreaterThan(10);
    expect(uses.filter((m) => m[2] !== ':?').map((m) => m[0])).toEqual([]);
  });

  it('refuses to start without the secrets (no .env)', () => {
    const empty = join(dir, 'empty.env');
    writeFileSync(empty, '');
    const r = compose(empty);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/set [A-Z0-9_]+ in \.env/);
  });

  it('hands every service an environment it refuses when .env is the example copied as is', () => {
    const r = compose(join(ROOT, '.env.example'));
    expect(r.stderr).toBe('');
    const services = servicesOf(r.stdout);
    expect(services.map((s) => s.name)).toEqual(expect.arrayContaining(['gateway', 'token', 'shard-1', 'metadata-1', 'prediction', 'affinity', 'migrate']));
    for (const s of services) {
      expect({ service: s.name, refused: problemsOf(s.app, s.env).some((p) => /development or example value/.test(p)) }).toEqual({
        service: s.name,
        refused: true,
      });
    }
  });

  it('starts every service with secrets of its own', () => {
    const example = readFileSync(join(ROOT, '.env.example'), 'utf8');
    // NATS credentials as npm run nats:nkeys makes them; every other secret random.
    const nkeys = [...deployIdentities().map(natsUserName), DEPLOY_SYS_USER]
      .map((user) => {
        const pair = createUser();
        return `${natsUserVariable(user)}_NKEY=${pair.getPublicKey()}\n${natsUserVariable(user)}_NKEY_SEED=${new TextDecoder().decode(pair.getSeed())}\n`;
      })
      .join('');
    const own = example
      .replace(/^NATS_[A-Z0-9_]+_NKEY(_SEED)?=.*\n/gm, '')
      .replace(/^([A-Z0-9_]+)=(.*change-me.*)$/gm, (_, name: string) =>
        name === 'SESSION_ENCRYPTION_KEYS' ? `${name}=k1:${randomBytes(33).toString('base64url')}` : `${name}=${randomBytes(33).toString('base64url')}`,
      )
      .concat(nkeys);
    expect(own).not.toMatch(/^[A-Z0-9_]+=.*change-me/m);
    const file = join(dir, 'own.env');
    writeFileSync(file, own);
    const r = compose(file);
    expect(r.status).toBe(0);
    for (const s of servicesOf(r.stdout)) expect({ service: s.name, problems: problemsOf(s.app, s.env) }).toEqual({ service: s.name, problems: [] });
  });

  it('validates offline as CI runs it', () => {
    expect(() => execFileSync('docker-compose', ['--env-file', '.env.example', '-f', 'docker-compose.yml', 'config', '-q'], { cwd: ROOT })).not.toThrow();
  });
});
