import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

/**
 * The shard app's features depend on each other one way: membership ← sessions ← expiry, publishing
 * on membership, transfer on membership and sessions on transfer, and the predictive cache on none of them (session events reach it through the event
 * bus, wired by the runtime). Root files other than the shared leaves below (the runtime, the Nest
 * module, the lifecycle, main) are imported by no feature.
 */
const ALLOWED: Readonly<Record<string, readonly string[]>> = {
  events: [],
  membership: ['events'],
  publishing: ['membership'],
  sessions: ['membership', 'events', 'transfer'],
  expiry: ['sessions', 'membership'],
  cache: [],
  replication: [],
  // Moving sessions with their shards: the sessions feature uses its partial-state helpers and hooks.
  transfer: ['membership'],
};
/** Root files every feature may use: the endpoint table and the compiled request schemas. */
const SHARED_LEAVES = ['shard.rpc.ts', 'shard-requests.ts'];

const SRC = __dirname;

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

/** `file`'s relative imports, resolved to paths under src (without extension). */
function relativeImports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/from '(\.{1,2}\/[^']+)'/g)].map((m) => resolve(dirname(file), m[1]!));
}

/** The feature folder of a path under src, or the root file's name. */
function place(path: string): { feature?: string; rootFile?: string } {
  const parts = relative(SRC, path).split(sep);
  return parts.length > 1 ? { feature: parts[0] } : { rootFile: `${parts[0]}${parts[0]!.endsWith('.ts') ? '' : '.ts'}` };
}

describe('shard app feature dependencies', () => {
  const features = readdirSync(SRC, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name);

  it('knows every feature folder', () => {
    expect(features.sort()).toEqual(Object.keys(ALLOWED).sort());
  });

  it('go one way: each feature imports only the features it is allowed to, and no root file but the shared leaves', () => {
    const violations: string[] = [];
    for (const feature of features) {
      for (const file of sources(join(SRC, feature)).filter((f) => !f.endsWith('.spec.ts'))) {
        for (const target of relativeImports(file)) {
          const to = place(target);
          const ok = to.feature !== undefined ? to.feature === feature || ALLOWED[feature]!.includes(to.feature) : SHARED_LEAVES.includes(to.rootFile!);
          if (!ok) violations.push(`${relative(SRC, file)} → ${relative(SRC, target)}`);
        }
      }
    }
    expect(violations).toEqual([]);
  });
});
