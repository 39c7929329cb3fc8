import { BenchError } from './errors';
import { locateRedisServer, type RedisBinHost } from './redis-bin';

/** A machine with the given executables, root or not; records the commands it runs. */
function host(executables: string[], root: boolean, installs: string[] = []): RedisBinHost & { ran: string[] } {
  const present = new Set(executables);
  const ran: string[] = [];
  return {
    ran,
    isExecutable: (p) => present.has(p),
    onPath: (name) => [...present].find((p) => p === `/usr/local/bin/${name}` || p === `/usr/bin/${name}` || p === `/usr/sbin/${name}`),
    isRoot: () => root,
    run(command, args) {
      ran.push([command, ...args].join(' '));
      if (args.includes('install')) installs.forEach((p) => present.add(p));
      return 0;
    },
  };
}

function failure(run: () => unknown): BenchError {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(BenchError);
    return err as BenchError;
  }
  throw new Error('expected a BenchError');
}

describe('locateRedisServer', () => {
  const log = (): void => undefined;

  it('uses the given binary, or redis-server on PATH when the default is missing', () => {
    expect(locateRedisServer('/usr/bin/redis-server', log, host(['/usr/bin/redis-server'], false))).toBe('/usr/bin/redis-server');
    expect(locateRedisServer('/usr/bin/redis-server', log, host(['/usr/local/bin/redis-server'], false))).toBe('/usr/local/bin/redis-server');
  });

  it("installs Debian's package when missing and running as root with apt-get", () => {
    const h = host(['/usr/bin/apt-get'], true, ['/usr/bin/redis-server']);
    expect(locateRedisServer('/usr/bin/redis-server', log, h)).toBe('/usr/bin/redis-server');
    expect(h.ran).toEqual(['apt-get update -qq', 'apt-get install -y -qq redis-server']);
  });

  it('says in one line what to install when it cannot install it', () => {
    const e = failure(() => locateRedisServer('/usr/bin/redis-server', log, host(['/usr/bin/apt-get'], false)));
    expect(e.code).toBe('BENCH.MISSING_PROGRAM');
    expect(e.message).toContain('apt-get install redis-server');
    expect(e.message).toContain('--redis-bin <path>');
    expect(e.message).not.toContain('\n');
  });

  it('reports a failed installation instead of spawning a missing program', () => {
    const h = host(['/usr/bin/apt-get'], true, []);
    expect(failure(() => locateRedisServer('/usr/bin/redis-server', log, h)).message).toMatch(/^apt-get could not install redis-server/);
  });

  it('never installs anything for a --redis-bin that was given explicitly', () => {
    const h = host(['/usr/bin/apt-get', '/usr/bin/redis-server'], true);
    expect(failure(() => locateRedisServer('/opt/redis/bin/redis-server', log, h)).message).toContain(
      '--redis-bin /opt/redis/bin/redis-server is not an executable file',
    );
    expect(h.ran).toEqual([]);
  });

  it('checks the real file system by default', () => {
    expect(failure(() => locateRedisServer('/nonexistent/redis-server', log)).message).toContain('--redis-bin /nonexistent/redis-server');
  });
});
