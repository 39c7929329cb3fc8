import { makeSessionSeed } from './payload';
import type { Rng } from './rng';
import { BenchError } from './errors';

/** Where one system under test listens, and how to authenticate. */
export interface Target {
  readonly url: string;
  readonly apiKey: string;
}

/**
 * Creates `count` sessions through `POST /v1/sessions` with a few requests in flight, and returns
 * their ids. Every system gets the same payloads (same seed), through the same route.
 */
export async function seedSessions(target: Target, count: number, rng: Rng, progress: (done: number) => void, inFlight = 16): Promise<string[]> {
  const seeds = Array.from({ length: count }, (_, i) => makeSessionSeed(rng, i));
  const ids: string[] = new Array<string>(count);
  let next = 0;
  let done = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const i = next++;
      const res = await fetch(`${target.url}/v1/sessions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': target.apiKey },
        body: JSON.stringify(seeds[i]),
      });
      const text = await res.text();
      if (res.status !== 201) {
        throw new BenchError('BENCH.SEED_FAILED', `POST ${target.url}/v1/sessions answered ${res.status}: ${text.slice(0, 500)}`);
      }
      ids[i] = (JSON.parse(text) as { id: string }).id;
      done += 1;
      if (done % Math.max(1, Math.floor(count / 10)) === 0) progress(done);
    }
  };
  await Promise.all(Array.from({ length: Math.min(inFlight, count) }, worker));
  return ids;
}
