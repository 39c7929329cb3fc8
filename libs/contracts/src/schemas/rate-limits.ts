import { Type, type Static } from '@sinclair/typebox';

/** Most buckets one usage report names, per kind; a gateway with more reports the busiest. */
export const MAX_USAGE_ENTRIES = 2048;

/** One bucket (an API key id or a client address) and how many writes a gateway granted from it. */
const BucketUsage = Type.Tuple([Type.String({ minLength: 1, maxLength: 128, pattern: '^[\\x21-\\x7e]+$' }), Type.Integer({ minimum: 1, maximum: 1_000_000 })]);

/**
 * What one gateway granted from the write-rate buckets since its previous report, published on the
 * gateways' shared notice subject so that every gateway charges the same buckets: the limits then
 * hold for the cluster, not per instance.
 */
export const WriteLimitUsage = Type.Object(
  {
    gateway: Type.String({ pattern: '^[A-Za-z0-9_.:-]{1,64}$', description: 'The reporting gateway instance (its own reports are skipped)' }),
    keys: Type.Array(BucketUsage, { maxItems: MAX_USAGE_ENTRIES, description: 'Writes granted per API key id' }),
    addresses: Type.Array(BucketUsage, { maxItems: MAX_USAGE_ENTRIES, description: 'Writes granted per client address (callers without a key)' }),
  },
  { additionalProperties: false },
);
export type WriteLimitUsage = Static<typeof WriteLimitUsage>;
