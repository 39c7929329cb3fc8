import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

// Plain JavaScript (it runs without a build); typed here by hand.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { findCycles } = require('./check-cycles') as { findCycles: (root: string, dirs: string[]) => string[][] };

function project(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'cycles-'));
  const all = { 'tsconfig.json': JSON.stringify({ compilerOptions: { baseUrl: '.', paths: { '@x/a': ['libs/a/src'], '@x/b': ['libs/b/src'] } } }), ...files };
  for (const [file, text] of Object.entries(all)) {
    mkdirSync(dirname(join(root, file)), { recursive: true });
    writeFileSync(join(root, file), text);
  }
  return root;
}

describe('check-cycles', () => {
  it('finds a cycle of type-only imports within a library and one across libraries through path aliases', () => {
    const root = project({
      'libs/a/src/index.ts': "export * from './store';\nexport * from './uses-b';",
      'libs/a/src/store.ts': "import type { Row } from './rows';\nexport interface Request { row: Row }",
      'libs/a/src/rows.ts': "import type { Request } from './store';\nexport interface Row { r?: Request }",
      'libs/b/src/index.ts': "import { a } from '@x/a';\nexport const b = 1;",
      'libs/a/src/uses-b.ts': "import { b } from '@x/b';\nexport const a = b;",
      'libs/a/src/fine.ts': "import { b } from '@x/b';\nexport const c = b;",
    });
    try {
      const found = findCycles(root, ['libs']).map((c) => c.join(' -> '));
      expect(found).toHaveLength(2);
      expect(found).toContain('libs/a/src/rows.ts -> libs/a/src/store.ts -> libs/a/src/rows.ts');
      expect(found.find((c) => c.includes('libs/b/src/index.ts'))).toMatch(/libs\/a\/src\/index\.ts -> .*libs\/b\/src\/index\.ts -> libs\/a\/src\/index\.ts/);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('finds nothing in an acyclic tree, and none in this repository', () => {
    const root = project({ 'libs/a/src/index.ts': "import { b } from '@x/b';\nexport const a = b;", 'libs/b/src/index.ts': 'export const b = 1;' });
    try {
      expect(findCycles(root, ['libs'])).toEqual([]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
    expect(findCycles(join(__dirname, '..'), ['apps', 'libs', 'bench', 'tools', 'scripts', 'migrations', 'test'])).toEqual([]);
  });
});
