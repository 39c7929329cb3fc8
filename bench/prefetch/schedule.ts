import { seededRng } from '@foresight/cache-core';

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
  // Slots in a small binary heap by next request time.
  const slots: { t: number; s: number; i: number }[] = [];
  let nextSession = 0;
  const less = (a: (typeof slots)[number], b: (typeof slots)[number]) => a.t < b.t || (a.t === b.t && a.s < b.s);
  const push = (x: (typeof slots)[number]) => {
    slots.push(x);
    let i = slots.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!less(slots[i]!, slots[p]!)) break;
      [slots[i], slots[p]] = [slots[p]!, slots[i]!];
      i = p;
    }
  };
  const pop = () => {
    const top = slots[0]!;
    const last = slots.pop()!;
    if (slots.length > 0) {
      slots[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < slots.length && less(slots[l]!, slots[m]!)) m = l;
        if (r < slots.length && less(slots[r]!, slots[m]!)) m = r;
        if (m === i) break;
        [slots[i], slots[m]] = [slots[m]!, slots[i]!];
        i = m;
      }
    }
    return top;
  };
  const start = (t: number) => {
    while (nextSession < sessions.length && sessions[nextSession]!.length === 0) nextSession++;
    if (nextSession < sessions.length) push({ t, s: nextSession++, i: 0 });
  };
  for (let k = 0; k < concurrency; k++) start(gap());
  let n = 0;
  while (slots.length > 0) {
    const x = pop();
    session[n] = x.s;
    position[n] = x.i;
    time[n] = x.t;
    measured[n] = x.s >= firstTest ? 1 : 0;
    n++;
    const t = x.t + gap();
    if (x.i + 1 < sessions[x.s]!.length) push({ t, s: x.s, i: x.i + 1 });
    else start(t);
  }
  return { session, position, time, measured, length: n };
}
