import { outboxBatchOf } from './single-statement-append';

describe('outboxBatchOf (the outbox row a batch statement wrote)', () => {
  it('is named by the lowest position inserted and counts every event of the batch', () => {
    expect(outboxBatchOf('0-1023', [42, 40, 41])).toEqual({ partition: '0-1023', batch: 40, events: 3 });
    expect(outboxBatchOf('512-1023', new Map([['a', 7]]).values())).toEqual({ partition: '512-1023', batch: 7, events: 1 });
  });

  it('is none when the statement inserted nothing (every append refused)', () => {
    expect(outboxBatchOf('0-1023', [])).toBeUndefined();
  });
});
