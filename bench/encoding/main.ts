import { mkdirSync, writeFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import type { SessionEvent } from '@foresight/contracts';
import { decode, encode } from '@foresight/messaging';
import { encodingCli } from './cli';

/**
 * `npm run bench:encoding`: bytes per event and encode/decode cost, MessagePack (the wire and the
 * event store) against JSON, for the event shapes Foresight publishes.
 */
function sample(kind: 'small' | 'cart' | 'created'): SessionEvent {
  const base = {
    id: randomUUID(),
    version: 1 as const,
    sessionId: 'kz3sS1pk2uKyJhRQn7LgSIGuv4pjJEKd',
    occurredAt: new Date().toISOString(),
    correlationId: randomUUID(),
    causationId: randomUUID(),
  };
  if (kind === 'small') return { ...base, type: 'session.variable_set', data: { group: 'settings', name: 'theme', value: 'dark', via: 'put' } };
  if (kind === 'cart') {
    const items = Array.from({ length: 8 }, (_, i) => ({ sku: `SKU-${1000 + i}`, qty: 1 + (i % 3), price: 9.99 + i, addedAt: 1763776800000 + i * 1000 }));
    return { ...base, type: 'session.variable_set', data: { group: 'cart', name: 'items', value: items, via: 'put' } };
  }
  return {
    ...base,
    type: 'session.created',
    data: {
      userId: 'user-42',
      shard: 238,
      idleTimeoutMs: 1_800_000,
      absoluteExpiresAt: new Date().toISOString(),
      groups: { auth: { role: 'buyer', mfa: true }, settings: { theme: 'dark', lang: 'en' } },
    },
  };
}

function time(fn: () => void, iterations: number): number {
  for (let i = 0; i < 1000; i++) fn();
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) fn();
  return Number(process.hrtime.bigint() - start) / iterations;
}

encodingCli.parseOrExit(process.argv.slice(2));

const rows = (['small', 'cart', 'created'] as const).map((kind) => {
  const e = sample(kind);
  const packed = encode(e);
  const json = Buffer.from(JSON.stringify(e));
  const n = 100_000;
  return {
    event: kind,
    msgpackBytes: packed.length,
    jsonBytes: json.length,
    sizeRatio: +(packed.length / json.length).toFixed(3),
    msgpackEncodeNs: Math.round(time(() => encode(e), n)),
    jsonEncodeNs: Math.round(time(() => JSON.stringify(e), n)),
    msgpackDecodeNs: Math.round(time(() => decode(packed), n)),
    jsonDecodeNs: Math.round(time(() => JSON.parse(json.toString()), n)),
  };
});
console.table(rows);
mkdirSync('.bench-results', { recursive: true });
writeFileSync('.bench-results/encoding.json', JSON.stringify({ measuredAt: new Date().toISOString(), node: process.version, rows }, null, 2));
process.stderr.write('wrote .bench-results/encoding.json\n');
