import { checkHistory } from './checker';
import { summarise, type RoundResult } from './report';

const round = (fault: RoundResult['fault'], n: number, over: Partial<RoundResult>): RoundResult => ({
  ...checkHistory([], [], []),
  fault,
  round: n,
  target: 'shard-1',
  affectedRegisters: 4,
  durationMs: 10_000,
  healedMs: 5000,
  firstServedMs: 100,
  allServedMs: 200,
  neverServed: 0,
  ...over,
});

describe('chaos report: one line per fault', () => {
  it('sums the counts and keeps the worst round of the times', () => {
    const rows = summarise([
      round('shard-kill', 1, { acknowledgedWrites: 10, lostWrites: 1, staleReads: 2, failedWrites: 3, failedReads: 1, longestWaitMs: 4000, allServedMs: 3900 }),
      round('shard-kill', 2, { acknowledgedWrites: 5, longestWaitMs: 4500, allServedMs: 3100, firstServedMs: 3000 }),
      round('gateway-kill', 1, { acknowledgedWrites: 7 }),
    ]);
    expect(rows).toEqual([
      expect.objectContaining({
        fault: 'shard-kill',
        rounds: 2,
        acknowledgedWrites: 15,
        lostWrites: 1,
        staleReads: 2,
        clientErrors: 4,
        longestWaitMs: 4500,
        allServedMaxMs: 3900,
        firstServedMaxMs: 3000,
      }),
      expect.objectContaining({ fault: 'gateway-kill', rounds: 1, acknowledgedWrites: 7, clientErrors: 0 }),
    ]);
  });

  it('reports no worst time when some round left a register unserved', () => {
    const [row] = summarise([round('nats-restart', 1, {}), round('nats-restart', 2, { allServedMs: null, neverServed: 2 })]);
    expect(row.allServedMaxMs).toBeNull();
  });
});
