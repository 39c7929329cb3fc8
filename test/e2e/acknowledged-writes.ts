import type { api } from './support';

type Api = ReturnType<typeof api>;

/** One acknowledged write: variable `name` of the session's group was set to `value`. */
export interface Ack {
  readonly id: string;
  readonly name: string;
  readonly value: number;
}

/**
 * Writes distinct variables of one group of `sessions` in a loop (a value no other write uses), remembering
 * which were acknowledged and which failed, until `stop()`.
 */
export function writer(client: Api, sessions: readonly string[], group = 'cart') {
  const acked: Ack[] = [];
  const failures: { status: number; body: unknown }[] = [];
  let running = true;
  const loops = sessions.map(async (id, k) => {
    for (let i = 0; running; i++) {
      const r = await client.put(id, group, `v${i}`, i * 1000 + k);
      if (r.status === 200) acked.push({ id, name: `v${i}`, value: i * 1000 + k });
      else failures.push(r);
    }
  });
  return {
    acked,
    failures,
    async stop() {
      running = false;
      await Promise.all(loops);
    },
  };
}

/** The acknowledged writes a read of their session does not show (each session read once). */
export async function lostWrites(client: Api, acked: readonly Ack[], group = 'cart'): Promise<Ack[]> {
  const bySession = new Map<string, Record<string, unknown>>();
  for (const id of new Set(acked.map((a) => a.id))) {
    const r = await client.get(id, group);
    expect(r.status).toBe(200);
    bySession.set(id, (r.body.groups as Record<string, Record<string, unknown>>)[group]!);
  }
  return acked.filter((a) => bySession.get(a.id)?.[a.name] !== a.value);
}

/** Every acknowledged write is there. */
export async function expectAllAcknowledgedWritesPresent(client: Api, acked: readonly Ack[], group = 'cart'): Promise<void> {
  expect(await lostWrites(client, acked, group)).toEqual([]);
}
