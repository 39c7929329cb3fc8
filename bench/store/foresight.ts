import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { BenchError } from './errors';

/** What `scripts/local-stack.ts` returns once the whole Foresight stack is up. */
export interface LocalStack {
  readonly gatewayUrl: string;
  readonly apiKey: string;
  readonly databaseUrl: string;
  readonly natsUrl: string;
  stop(): Promise<void>;
}

/** The lead's `startLocalStack` (scripts/local-stack.ts). */
export type StartLocalStack = (opts?: { shardNodes?: number; gatewayPort?: number; quiet?: boolean }) => Promise<LocalStack>;

/**
 * Loads `startLocalStack` from the compiled `scripts/local-stack.js` at run time. It is not a
 * static import so that this benchmark compiles (and its peers run) before that script exists.
 */
export function loadStartLocalStack(): StartLocalStack {
  const modulePath = join(__dirname, '..', '..', 'scripts', 'local-stack.js');
  if (!existsSync(modulePath)) {
    throw new BenchError(
      'BENCH.NO_LOCAL_STACK',
      `The local Foresight stack starter (${modulePath}) is not built. Pass --foresight-url <url> --api-key <key> ` +
        '--database-url <url> for a running stack, or --systems redis,postgres to measure only the peers.',
    );
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = require(modulePath) as { startLocalStack?: StartLocalStack };
  if (typeof mod.startLocalStack !== 'function') {
    throw new BenchError('BENCH.NO_LOCAL_STACK', `${modulePath} does not export startLocalStack().`);
  }
  return mod.startLocalStack;
}
