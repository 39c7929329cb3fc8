import { cpuBetween, cpuMsPerRequest, labelFor, parseProcStat } from './proc-cpu';

describe('process CPU accounting', () => {
  it('parses /proc/<pid>/stat even when the command name has spaces and parentheses', () => {
    const line = '4242 (node (x) y) S 4200 4242 4303 0 -1 4194304 132 0 0 0 250 50 0 0 20 0 1 0 177201 3133440 387';
    expect(parseProcStat(line)).toEqual({ pid: 4242, ppid: 4200, cpuS: 3 });
    // Reaped children's time (cutime, cstime) counts too, so closed Postgres backends do not vanish.
    const reaped = '7 (postgres) S 1 7 7 0 -1 4194304 132 0 0 0 100 0 40 60 20 0 1 0 177201 3133440 387';
    expect(parseProcStat(reaped)?.cpuS).toBe(2);
    expect(parseProcStat('garbage')).toBeUndefined();
  });

  it('labels the processes of a run', () => {
    expect(labelFor(['/usr/bin/node', '/srv/foresight/dist/apps/gateway/src/main.js'])).toBe('gateway');
    expect(labelFor(['node', 'dist/bench/store/peers/main.js', '--kind', 'redis', '--port', '1'])).toBe('redis-peer');
    expect(labelFor(['/usr/sbin/nats-server', '-js'])).toBe('nats-server');
    expect(labelFor(['/usr/bin/redis-server', '*:6379'])).toBe('redis-server');
    expect(labelFor(['postgres: postgres foresight 127.0.0.1(5) idle'])).toBe('postgres');
    expect(labelFor(['/x/native/bin/postgres', '-D', '/tmp/d'])).toBe('postgres');
    expect(labelFor(['sleep', '1'])).toBe('other');
  });

  it('reports % of one core per label and the machine busy share', () => {
    const before = {
      byLabel: new Map([
        ['gateway', 10],
        ['shard', 5],
      ]),
      machineBusyS: 100,
      machineTotalS: 200,
    };
    const after = {
      byLabel: new Map([
        ['gateway', 19],
        ['shard', 5.001],
        ['nats-server', 2],
      ]),
      machineBusyS: 115,
      machineTotalS: 220,
    };
    expect(cpuBetween(before, after, 10)).toEqual({ byLabel: { gateway: 90, 'nats-server': 20 }, machineBusyPct: 75 });
  });

  it('charges a system only the CPU of its own processes, per successful request', () => {
    const byLabel = { gateway: 90, shard: 40, 'nats-server': 20, postgres: 10, harness: 50, 'redis-peer': 5 };
    // 1.6 cores for 10 s = 16,000 CPU ms over 8,000 requests.
    expect(cpuMsPerRequest('foresight', byLabel, 10, 8000)).toBe(2);
    expect(cpuMsPerRequest('postgres', byLabel, 10, 1000)).toBe(1);
    expect(cpuMsPerRequest('redis', byLabel, 10, 0)).toBe(0);
  });
});
