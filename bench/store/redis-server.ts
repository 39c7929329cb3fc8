import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { freePort } from '../../scripts/infra/ports';
import { BenchError } from './errors';

/** A redis-server this process started, with the persistence settings it actually runs with. */
export interface LocalRedis {
  readonly url: string;
  /** `CONFIG GET` of `save`, `appendonly` and `appendfsync`, recorded in the results. */
  readonly persistence: Readonly<Record<string, string>>;
  stop(): Promise<void>;
}

/**
 * Starts Debian's redis-server on a free loopback port in a temporary directory, with no config
 * file, i.e. Redis's default persistence: RDB snapshots (`save 3600 1 300 100 60 10000`), no AOF.
 */
export async function startRedisServer(bin: string): Promise<LocalRedis> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'foresight-bench-redis-'));
  const child = spawn(bin, ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--daemonize', 'no'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      if (output.includes('Ready to accept connections')) resolve();
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('error', (err) => reject(new BenchError('BENCH.PROCESS_FAILED', `could not start ${bin}: ${err.message}`)));
    void exited.then((code) => reject(new BenchError('BENCH.PROCESS_FAILED', `redis-server exited with code ${String(code)}:\n${output.slice(-2000)}`)));
  });
  const url = `redis://127.0.0.1:${port}`;
  const probe = new Redis(url);
  const persistence: Record<string, string> = {};
  try {
    for (const key of ['save', 'appendonly', 'appendfsync']) {
      const [, value] = (await probe.config('GET', key)) as [string, string];
      persistence[key] = value;
    }
  } finally {
    await probe.quit();
  }
  return {
    url,
    persistence,
    async stop() {
      child.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
