import { buildPeerApp } from './app';
import { MemoryBlobStore } from './blob-store';

const KEY = 'test-key';
const headers = { 'x-api-key': KEY, 'content-type': 'application/json' };

function setup() {
  const store = new MemoryBlobStore();
  let n = 0;
  const app = buildPeerApp({ store, apiKey: KEY, ttlS: 60, clock: { now: () => Date.UTC(2025, 0, 1) }, newId: () => `s${++n}` });
  return { app, store };
}

describe('peer app (same REST routes as the gateway)', () => {
  it('creates, reads and writes a variable, storing the whole blob each time', async () => {
    const { app, store } = setup();
    const created = await app.inject({
      method: 'POST',
      url: '/v1/sessions',
      headers,
      payload: { userId: 'u1', data: { cart: { items: ['a'], currency: 'EUR' } } },
    });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toEqual({ id: 's1', version: 1 });

    const read = await app.inject({ method: 'GET', url: '/v1/sessions/s1/vars/cart/items', headers });
    expect(read.statusCode).toBe(200);
    expect(read.json()).toEqual({ value: ['a'], version: 1 });

    const put = await app.inject({ method: 'PUT', url: '/v1/sessions/s1/vars/cart/items', headers, payload: { value: ['a', 'b'] } });
    expect(put.statusCode).toBe(200);
    expect(put.json()).toEqual({ version: 2 });
    const stored = JSON.parse(store.blobs.get('s1') ?? '{}');
    expect(stored.data).toEqual({ cart: { items: ['a', 'b'], currency: 'EUR' } });
    expect(stored.userId).toBe('u1');
    await app.close();
  });

  it('answers 404 for unknown sessions and variables', async () => {
    const { app } = setup();
    await app.inject({ method: 'POST', url: '/v1/sessions', headers, payload: {} });
    const noSession = await app.inject({ method: 'GET', url: '/v1/sessions/nope/vars/cart/items', headers });
    expect(noSession.statusCode).toBe(404);
    expect(noSession.json().code).toBe('SESSION.NOT_FOUND');
    const noVar = await app.inject({ method: 'GET', url: '/v1/sessions/s1/vars/cart/items', headers });
    expect(noVar.json().code).toBe('SESSION.VARIABLE_NOT_FOUND');
    const putMissing = await app.inject({ method: 'PUT', url: '/v1/sessions/nope/vars/cart/items', headers, payload: { value: 1 } });
    expect(putMissing.statusCode).toBe(404);
    await app.close();
  });

  it('rejects a missing or wrong API key and bad bodies', async () => {
    const { app } = setup();
    const noKey = await app.inject({ method: 'POST', url: '/v1/sessions', payload: {} });
    expect(noKey.statusCode).toBe(401);
    const wrongKey = await app.inject({ method: 'POST', url: '/v1/sessions', headers: { 'x-api-key': 'other-key' }, payload: {} });
    expect(wrongKey.statusCode).toBe(401);
    const badCreate = await app.inject({ method: 'POST', url: '/v1/sessions', headers, payload: { data: [] } });
    expect(badCreate.statusCode).toBe(400);
    await app.inject({ method: 'POST', url: '/v1/sessions', headers, payload: {} });
    const badPut = await app.inject({ method: 'PUT', url: '/v1/sessions/s1/vars/cart/items', headers, payload: { val: 1 } });
    expect(badPut.statusCode).toBe(400);
    expect(badPut.json().code).toBe('VALIDATION.INVALID_BODY');
    await app.close();
  });
});
