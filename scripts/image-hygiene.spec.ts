import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { load } from 'js-yaml';

/**
 * What the images and the compose file promise, read from the files themselves (no Docker engine
 * runs here): a supported Node LTS base, the native TensorFlow binding only in the image that
 * trains, and no start-up wait on a service the dependent never calls.
 */
const ROOT = join(__dirname, '..');
const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');

/** Node release lines in active or maintenance LTS. */
const SUPPORTED_NODE = [22, 24];

interface Service {
  build?: { target?: string };
  command?: string[];
  depends_on?: Record<string, unknown> | string[];
}

function composeServices(): Record<string, Service> {
  const r = spawnSync('docker-compose', ['--env-file', '.env.example', '-f', 'docker-compose.yml', 'config'], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { PATH: process.env.PATH },
  });
  expect(r.status).toBe(0);
  return (load(r.stdout) as { services: Record<string, Service> }).services;
}

/** The stages of the Dockerfile: name → its lines. */
function stages(): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let current: string[] = [];
  for (const line of dockerfile.split('\n')) {
    const from = /^FROM\s+\S+(?:\s+AS\s+(\S+))?/i.exec(line);
    if (from) out.set(from[1] ?? `stage-${out.size}`, (current = [line]));
    else current.push(line);
  }
  return out;
}

describe('images and compose hygiene', () => {
  it('builds every stage on a supported Node LTS image', () => {
    const bases = [...dockerfile.matchAll(/^FROM\s+node:(\d+)[^\s]*/gim)].map((m) => Number(m[1]));
    expect(bases.length).toBeGreaterThan(0);
    for (const major of bases) expect(SUPPORTED_NODE).toContain(major);
  });

  it('leaves @tensorflow/tfjs-node out of the serving image and keeps it for training', () => {
    const s = stages();
    const copiedFrom = (stage: string) => [...(s.get(stage) ?? []).join('\n').matchAll(/COPY --from=(\S+)[^\n]*node_modules/g)].map((m) => m[1]);
    expect(copiedFrom('serving')).toEqual(['build-serving']);
    expect((s.get('build-serving') ?? []).join('\n')).toMatch(/rm -rf node_modules\/@tensorflow\/tfjs-node/);
    expect(copiedFrom('training')).toEqual(['build']);
    // The last stage is what a plain `docker build` makes.
    expect([...s.keys()].pop()).toBe('serving');
  });

  it('runs only the prediction service (which trains) from the training image', () => {
    for (const [name, service] of Object.entries(composeServices())) {
      if (!service.command?.join(' ').startsWith('node dist/')) continue;
      const trains = service.command.join(' ').includes('apps/prediction/');
      expect({ name, target: service.build?.target }).toEqual({ name, target: trains ? 'training' : 'serving' });
    }
  });

  it('starts the gateway without waiting for services it never calls', () => {
    const deps = composeServices().gateway!.depends_on ?? {};
    const names = Array.isArray(deps) ? deps : Object.keys(deps);
    expect(names).not.toContain('affinity');
    expect(names).toEqual(expect.arrayContaining(['metadata-1', 'shard-1', 'token', 'prediction']));
  });
});
