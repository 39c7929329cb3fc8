/** Cheap pre-check: no NUL and no surrogate at all (nearly every string) means nothing to look at. */
// eslint-disable-next-line no-control-regex -- NUL is exactly what Postgres text refuses
const SUSPECT = /[\u0000\ud800-\udfff]/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * Whether a string has a UTF-8 form: no UTF-16 surrogate outside a pair. One that has not cannot
 * cross MessagePack or reach Postgres unchanged (encoders replace it), so it is refused, not mangled.
 */
export function isWellFormedText(value: string): boolean {
  return !SUSPECT.test(value) || !LONE_SURROGATE.test(value);
}

/**
 * Whether a Postgres text column can hold the string exactly: well-formed, and no NUL (U+0000),
 * which Postgres refuses in text. Strings bound for text columns (user ids, correlation ids…) must
 * pass; values inside session variables are stored as MessagePack bytes and may contain NUL.
 */
export function isStorableText(value: string): boolean {
  return !SUSPECT.test(value) || (!value.includes('\u0000') && !LONE_SURROGATE.test(value));
}

/** The sentence a client gets for a string that cannot be stored. */
export function unstorableTextMessage(field: string): string {
  return `"${field}" contains a character that cannot be stored: NUL (\\u0000) or an unpaired UTF-16 surrogate. Remove it.`;
}
