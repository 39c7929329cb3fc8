import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { freePort, listeningRange, parsePortRange, pickPort } from './ports';

describe('free ports for services started next', () => {
  it('reads the kernel ephemeral range, and refuses what is not one', () => {
    expect(parsePortRange('32768\t60999\n')).toEqual({ first: 32768, last: 60999 });
    expect(parsePortRange('1024 65535')).toEqual({ first: 1024, last: 65535 });
    expect(parsePortRange('60999 32768')).toBeUndefined();
    expect(parsePortRange('0 70000')).toBeUndefined();
    expect(parsePortRange('garbage')).toBeUndefined();
  });

  it('looks below the ephemeral range, or nowhere when there is no room there', () => {
    expect(listeningRange({ first: 32768, last: 60999 })).toEqual({ first: 10_000, last: 32767 });
    expect(listeningRange({ first: 8000, last: 60999 })).toEqual({ first: 1024, last: 7999 });
    expect(listeningRange({ first: 1024, last: 65535 })).toBeUndefined();
  });

  it('never picks a port already handed out', () => {
    const values = [0, 0, 0, 0.5];
    const random = () => values.shift()!;
    expect(pickPort({ first: 100, last: 199 }, new Set([100]), random)).toBe(150);
  });

  it('hands out distinct ports below the ephemeral range that can be bound', async () => {
    const range = listeningRange(parsePortRange(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8'))!)!;
    const ports = await Promise.all(Array.from({ length: 20 }, () => freePort()));
    expect(new Set(ports).size).toBe(ports.length);
    for (const port of ports) {
      expect(port).toBeGreaterThanOrEqual(range.first);
      expect(port).toBeLessThanOrEqual(range.last);
    }
    const server = createServer();
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(ports[0], '127.0.0.1', resolve));
    await new Promise((resolve) => server.close(resolve));
  });
});
