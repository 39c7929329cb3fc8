import { ShardEventBus } from './shard-events';

describe('ShardEventBus', () => {
  const setup = () => {
    const warnings: { obj: object; msg: string }[] = [];
    const bus = new ShardEventBus({ warn: (obj, msg) => warnings.push({ obj, msg }) });
    return { bus, warnings };
  };

  it('calls the listeners of an event in order, with its payload; others are not called', () => {
    const { bus } = setup();
    const seen: string[] = [];
    bus.on('session.ended', (e) => seen.push(`a:${e.sessionId}`));
    bus.on('session.ended', (e) => seen.push(`b:${e.sessionId}`));
    bus.on('shards.lost', () => seen.push('lost'));
    bus.emit('session.ended', { sessionId: 's1' });
    expect(seen).toEqual(['a:s1', 'b:s1']);
  });

  it('logs a listener that throws or rejects and never throws into the emitter; later listeners still run', async () => {
    const { bus, warnings } = setup();
    const seen: string[] = [];
    bus.on('action.recorded', () => {
      throw new Error('planning failed');
    });
    bus.on('action.recorded', async () => {
      throw new Error('async failure');
    });
    bus.on('action.recorded', (e) => seen.push(e.action));
    expect(() => bus.emit('action.recorded', { sessionId: 's', action: 'view:1', userId: null })).not.toThrow();
    await new Promise((r) => setImmediate(r));
    expect(seen).toEqual(['view:1']);
    expect(warnings.map((w) => (w.obj as { event: string }).event)).toEqual(['action.recorded', 'action.recorded']);
  });

  it('removes a listener with the function on() returns', () => {
    const { bus } = setup();
    let n = 0;
    const off = bus.on('session.ended', () => n++);
    bus.emit('session.ended', { sessionId: 's' });
    off();
    bus.emit('session.ended', { sessionId: 's' });
    expect(n).toBe(1);
  });
});
