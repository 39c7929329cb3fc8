import type { EnvReader } from './env-reader';

/**
 * One partition of the event store: the shards `first`..`last` (inclusive) keep their events,
 * outbox, snapshots, session index and lock records on the Postgres server at `url`.
 */
export interface StorePartitionSpec {
  readonly first: number;
  readonly last: number;
  readonly url: string;
}

/** The word that names the primary database (DATABASE_URL) in a partition list. */
export const PRIMARY_DATABASE = 'primary';

const ENTRY = /^(\d+)-(\d+)=(.+)$/;

/**
 * Parses `EVENT_STORE_PARTITIONS`: entries `first-last=url` separated by commas or whitespace,
 * where `url` is a postgres URL or `primary` (DATABASE_URL). The ranges must cover the shards
 * 0..shardCount-1 exactly once. Returns the partitions in shard order, or every problem found.
 * Empty or unset: one partition, every shard on the primary.
 */
export function parseStorePartitions(
  raw: string | undefined,
  shardCount: number,
  primaryUrl: string,
): { readonly partitions: StorePartitionSpec[]; readonly problems: string[] } {
  const whole = [{ first: 0, last: shardCount - 1, url: primaryUrl }];
  if (raw === undefined || raw.trim() === '') return { partitions: whole, problems: [] };
  const problems: string[] = [];
  const partitions: StorePartitionSpec[] = [];
  const example = `e.g. "0-${Math.floor(shardCount / 2) - 1}=primary,${Math.floor(shardCount / 2)}-${shardCount - 1}=postgres://user:pass@db2/foresight"`;
  for (const entry of raw.split(/[\s,]+/).filter((e) => e.length > 0)) {
    const m = ENTRY.exec(entry);
    if (!m) {
      problems.push(`EVENT_STORE_PARTITIONS: "${redact(entry)}" is not first-last=url (${example})`);
      continue;
    }
    const first = Number(m[1]);
    const last = Number(m[2]);
    const target = m[3];
    if (first > last) problems.push(`EVENT_STORE_PARTITIONS: range ${first}-${last} is empty (first after last)`);
    if (last >= shardCount)
      problems.push(`EVENT_STORE_PARTITIONS: range ${first}-${last} goes past the last shard, ${shardCount - 1} (SHARD_COUNT is ${shardCount})`);
    const url = target === PRIMARY_DATABASE ? primaryUrl : target;
    if (!/^postgres(ql)?:\/\//.test(url))
      problems.push(`EVENT_STORE_PARTITIONS: range ${first}-${last} names "${redact(target)}", not a postgres:// URL or "primary"`);
    partitions.push({ first, last, url });
  }
  if (problems.length > 0) return { partitions: whole, problems };
  partitions.sort((a, b) => a.first - b.first);
  let next = 0;
  for (const p of partitions) {
    if (p.first > next) problems.push(`EVENT_STORE_PARTITIONS: shards ${next}-${p.first - 1} are in no partition`);
    if (p.first < next) problems.push(`EVENT_STORE_PARTITIONS: shards ${p.first}-${Math.min(p.last, next - 1)} are in more than one partition`);
    next = Math.max(next, p.last + 1);
  }
  if (next < shardCount) problems.push(`EVENT_STORE_PARTITIONS: shards ${next}-${shardCount - 1} are in no partition`);
  return problems.length > 0 ? { partitions: whole, problems } : { partitions, problems };
}

/** The password of a URL is never echoed in an error. */
function redact(text: string): string {
  return text.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');
}

export function readStorePartitions(r: EnvReader, shardCount: number, primaryUrl: string): StorePartitionSpec[] {
  const { partitions, problems } = parseStorePartitions(r.optional('EVENT_STORE_PARTITIONS'), shardCount, primaryUrl);
  r.problems.push(...problems);
  return partitions;
}
