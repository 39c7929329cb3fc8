import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { deployAccountsConf } from '@foresight/contracts';

/**
 * `npm run nats:accounts`: writes deploy/nats/accounts.conf from the permission table in
 * libs/contracts; with `--check`, exits 1 when the file differs from what the table gives.
 */
function root(from: string): string {
  for (let dir = from; dir !== dirname(dir); dir = dirname(dir)) if (existsSync(join(dir, 'package.json'))) return dir;
  throw new Error(`no package.json above ${from}`);
}

const file = join(root(__dirname), 'deploy', 'nats', 'accounts.conf');
const wanted = deployAccountsConf();
if (process.argv.includes('--check')) {
  const same = existsSync(file) && readFileSync(file, 'utf8') === wanted;
  process.stdout.write(same ? `${file} matches the permission table\n` : `${file} differs from the permission table: run npm run nats:accounts\n`);
  process.exit(same ? 0 : 1);
}
writeFileSync(file, wanted);
process.stdout.write(`wrote ${file}\n`);
