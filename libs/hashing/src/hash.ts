/** 32-bit FNV-1a over the UTF-16 code units of a string; fast and stable across processes. */
export function fnv1a32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** MurmurHash3's 32-bit finaliser: spreads every input bit over the output. */
export function fmix32(value: number): number {
  let h = value >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The virtual shard a session belongs to. Never changes for a given id and shard count. */
export function shardOf(sessionId: string, shardCount: number): number {
  return fmix32(fnv1a32(sessionId)) % shardCount;
}
