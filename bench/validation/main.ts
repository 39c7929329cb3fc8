import { mkdirSync, writeFileSync } from 'node:fs';
import { isStorableText, isWellFormedText, PutVariableBody, ShardCommandSchemas, Validator } from '@foresight/contracts';
import { validationCli } from './cli';

/**
 * `npm run bench:validation`: what validation costs on the write path, per PUT. The gateway checks
 * the body (`PutVariableBody`), the owner node the command (`var.put`). "hand" is the code the
 * schemas replaced, kept here verbatim as the baseline.
 */
const { iterations, rounds } = validationCli.parseOrExit(process.argv.slice(2));

// A typical PUT of bench:store: a cart of four lines.
const value = {
  items: Array.from({ length: 4 }, (_, i) => ({
    sku: `SKU-${1000 + i}`,
    name: 'Trail running shoes',
    qty: 1 + i,
    unitPriceCents: 8999 + i,
    addedAt: '2025-01-15T09:30:00.000Z',
  })),
  currency: 'EUR',
};
const body = { value, expectedVersion: 7 };
const command = { sessionId: 'kz3sS1pk2uKyJhRQn7LgSIGuv4pjJEKd', group: 'cart', name: 'items', ...body };

// ---- the hand-written checks, as they were ----
const bad = (message: string): never => {
  throw new Error(message);
};
function isWellFormedJson(value: unknown, depth = 0): boolean {
  if (typeof value === 'string') return isWellFormedText(value);
  if (typeof value !== 'object' || value === null || depth > 64) return true;
  if (Array.isArray(value)) return value.every((v: unknown) => isWellFormedJson(v, depth + 1));
  for (const [k, v] of Object.entries(value)) if (!isWellFormedText(k) || !isWellFormedJson(v, depth + 1)) return false;
  return true;
}
function handGatewayPut(raw: unknown): unknown {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) bad('The request body must be a JSON object.');
  const b = raw as Record<string, unknown>;
  if (!('value' in b)) bad('The body must be {"value": <any JSON>}.');
  if (!isWellFormedJson(b.value)) bad('unstorable');
  return b;
}
function isJsonValue(v: unknown, depth = 0): boolean {
  if (depth > 64) return false;
  if (typeof v === 'string') return isWellFormedText(v);
  if (v === null || typeof v === 'boolean') return true;
  if (typeof v === 'number') return Number.isFinite(v);
  if (Array.isArray(v)) return v.every((x) => isJsonValue(x, depth + 1));
  if (typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype)
    return Object.entries(v as object).every(([k, x]) => isWellFormedText(k) && isJsonValue(x, depth + 1));
  return false;
}
function str(b: Record<string, unknown>, key: string, max: number): string {
  const v = b[key];
  if (typeof v !== 'string' || v.length === 0 || v.length > max) return bad(`"${key}"`);
  if (!isStorableText(v)) return bad(key);
  return v;
}
function handShardPut(raw: unknown): unknown {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) bad('The request must be a map of fields.');
  const b = raw as Record<string, unknown>;
  const ev = b.expectedVersion;
  if (ev !== undefined && (typeof ev !== 'number' || !Number.isInteger(ev) || ev < 1)) bad('expectedVersion');
  if (!('value' in b) || !isJsonValue(b.value)) bad('value');
  return { sessionId: str(b, 'sessionId', 64), group: str(b, 'group', 32), name: str(b, 'name', 128) };
}

// ---- the contracts' compiled schemas ----
const gatewayPut = new Validator(PutVariableBody, 'The request body');
const shardPut = new Validator(ShardCommandSchemas['var.put'].request);

function nsPerCall(fn: (raw: unknown) => unknown, raw: unknown): number {
  const samples: number[] = [];
  for (let i = 0; i < 10_000; i++) fn(raw);
  for (let r = 0; r < rounds; r++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) fn(raw);
    samples.push(Number(process.hrtime.bigint() - start) / iterations);
  }
  return samples.sort((a, b) => a - b)[Math.floor(samples.length / 2)]!;
}

const rows = [
  { check: 'gateway PUT body', hand: nsPerCall(handGatewayPut, body), schema: nsPerCall((r) => gatewayPut.parse(r), body) },
  { check: 'shard var.put command', hand: nsPerCall(handShardPut, command), schema: nsPerCall((r) => shardPut.parse(r), command) },
].map((r) => ({ check: r.check, handNs: Math.round(r.hand), schemaNs: Math.round(r.schema), ratio: +(r.schema / r.hand).toFixed(2) }));
const perPut = rows.reduce((sum, r) => sum + r.schemaNs - r.handNs, 0);
console.table(rows);
process.stdout.write(
  `validation per PUT (gateway + owner): ${rows.reduce((s, r) => s + r.schemaNs, 0)} ns with schemas, ${rows.reduce((s, r) => s + r.handNs, 0)} ns by hand (${perPut >= 0 ? '+' : ''}${perPut} ns)\n`,
);
mkdirSync('.bench-results', { recursive: true });
writeFileSync(
  '.bench-results/validation.json',
  JSON.stringify({ measuredAt: new Date().toISOString(), node: process.version, iterations, rounds, rows }, null, 2),
);
process.stderr.write('wrote .bench-results/validation.json\n');
