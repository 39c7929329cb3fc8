import { seededRng } from '@foresight/random';
import { BinaryHeap } from '@foresight/heap';

/** The replay order: one row per request, sorted by simulated time. */
export interface Schedule {
  readonly session: Int32Array;
  readonly position: Int32Array;
  readonly time: Float64Array;
  /** Index of the first request of a measured (test) session's era: requests of test sessions are measured. */
  readonly measured: Uint8Array;
  readonly length: number;
}

/**
 * Interleaves sessions: `concurrency` slots each run sessions back to back in file order (a slot
 * takes the next unstarted session when its current one ends); within a session, the gap between
 * requests is exponential with mean `thinkMs`, and a new session starts one gap after the previous
 * one in its slot ended. Requests are replayed in time order. With concurrency 1 this is the trace
 * concatenated in file order. Sessions with index ≥ `firstTest` are measured.
 */
export function buildSchedule(sessions: readonly (readonly string[])[], concurrency: number, thinkMs: number, firstTest: number, seed: number): Schedule {
  const total = sessions.reduce((a, s) => a + s.length, 0);
  const session = new Int32Array(total);
  const position = new Int32Array(total);
  const time = new Float64Array(total);
  const measured = new Uint8Array(total);
  const rng = seededRng(seed);
  const gap = () => -Math.log(1 - rng()) * thinkMs;
  // Slots by next request time; a slot's session index breaks ties, so the order is reproducible.
  const slots = new BinaryHeap<{ t: number; s: number; i: number }>((a, b) => a.t < b.t || (a.t === b.t && a.s < b.s));
  let nextSession = 0;
  const start = (t: number) => {
    while (nextSession < sessions.length && sessions[nextSession]!.length === 0) nextSession++;
    if (nextSession < sessions.length) slots.push({ t, s: nextSession++, i: 0 });
  };
  for (let k = 0; k < concurrency; k++) start(gap());
  let n = 0;
  for (let x = slots.pop(); x !== undefined; x = slots.pop()) {
    session[n] = x.s;
    position[n] = x.i;
    time[n] = x.t;
    measured[n] = x.s >= firstTest ? 1 : 0;
    n++;
    const t = x.t + gap();
    if (x.i + 1 < sessions[x.s]!.length) slots.push({ t, s: x.s, i: x.i + 1 });
    else start(t);
  }
  return { session, position, time, measured, length: n };
}
