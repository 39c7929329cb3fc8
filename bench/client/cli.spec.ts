import { clientCli } from './cli';

describe('bench:client options', () => {
  it('has defaults for a full run and keeps the stores in table order', () => {
    expect(clientCli.parse([])).toMatchObject({ calls: 2000, stores: ['foresight', 'redis', 'postgres'], durationS: 10, connections: 32 });
    expect(clientCli.parse(['--stores', 'postgres,foresight']).stores).toEqual(['foresight', 'postgres']);
  });

  it('refuses what it cannot run, naming the option', () => {
    expect(() => clientCli.parse(['--stores', 'memcached'])).toThrow(/--stores/);
    expect(() => clientCli.parse(['--calls', '10'])).toThrow(/--calls/);
  });
});
