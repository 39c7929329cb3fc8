import { spawnSync } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { DEFAULT_REDIS_BIN } from './cli';
import { BenchError } from './errors';

/** What finding (and, as root, installing) redis-server touches, replaceable in tests. */
export interface RedisBinHost {
  isExecutable(path: string): boolean;
  /** The first executable `name` on PATH. */
  onPath(name: string): string | undefined;
  isRoot(): boolean;
  /** Runs a command with its output on stderr (stdout carries the results table); its exit status. */
  run(command: string, args: readonly string[]): number;
}

const systemHost: RedisBinHost = {
  isExecutable(path) {
    try {
      accessSync(path, constants.X_OK);
      return statSync(path).isFile();
    } catch {
      return false;
    }
  },
  onPath(name) {
    return (process.env.PATH ?? '')
      .split(delimiter)
      .filter((d) => d.length > 0)
      .map((d) => join(d, name))
      .find((p) => systemHost.isExecutable(p));
  },
  isRoot: () => typeof process.getuid === 'function' && process.getuid() === 0,
  run(command, args) {
    // RUNLEVEL=1: the package's maintainer script must not start a system-wide Redis on port
    // 6379; the harness starts its own on a free port.
    const r = spawnSync(command, args, { stdio: ['ignore', 2, 2], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive', RUNLEVEL: '1' } });
    return r.error === undefined ? (r.status ?? 1) : 1;
  },
};

const ALTERNATIVES = 'or pass --redis-bin <path>, or leave Redis out with --systems foresight,postgres';

/**
 * The redis-server to start. A `--redis-bin` that was given must exist. The default falls back to
 * PATH and, when that fails too and this runs as root with apt-get (as `scripts/bootstrap.js` does
 * for nats-server), to installing Debian's `redis-server` package; otherwise one sentence says what
 * to install.
 */
export function locateRedisServer(bin: string, log: (message: string) => void, host: RedisBinHost = systemHost): string {
  if (host.isExecutable(bin)) return bin;
  if (bin !== DEFAULT_REDIS_BIN) {
    throw new BenchError(
      'BENCH.MISSING_PROGRAM',
      `--redis-bin ${bin} is not an executable file: pass the path of redis-server, or leave --redis-bin out to use Debian's (apt-get install redis-server).`,
    );
  }
  const found = host.onPath('redis-server');
  if (found !== undefined) return found;
  if (!host.isRoot() || host.onPath('apt-get') === undefined) {
    throw new BenchError(
      'BENCH.MISSING_PROGRAM',
      `redis-server was not found (${bin} nor on PATH): install it (Debian/Ubuntu: apt-get install redis-server), ${ALTERNATIVES}.`,
    );
  }
  log("redis-server not found: installing Debian's redis-server package (apt-get) ...");
  const installed = host.run('apt-get', ['update', '-qq']) === 0 && host.run('apt-get', ['install', '-y', '-qq', 'redis-server']) === 0;
  const after = host.isExecutable(bin) ? bin : host.onPath('redis-server');
  if (!installed || after === undefined) {
    throw new BenchError(
      'BENCH.MISSING_PROGRAM',
      `apt-get could not install redis-server (its output is above): install it yourself (apt-get install redis-server), ${ALTERNATIVES}.`,
    );
  }
  return after;
}
