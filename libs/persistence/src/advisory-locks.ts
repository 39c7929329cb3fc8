/**
 * Every Postgres advisory-lock id Foresight takes, in one table so that no two uses ever share one.
 * Advisory locks are scoped to a database and keyed by a 64-bit number of our choosing; Foresight's
 * live at 7041977 and up. Add a lock here, never as a literal at the call site.
 */
export const AdvisoryLocks = {
  /** `runMigrations` waits for it, so concurrent starters apply pending migrations one at a time. */
  migrations: 7041977,
  /** Leadership of the metadata instances: the holder expires node leases and moves shards. */
  metadataRebalancer: 7041978,
  /** Taken per transaction by a token instance creating a signing key, so two never create one each. */
  tokenSigningKeys: 7041980,
  /** Leadership of the token instances: the holder plans refreshes and runs housekeeping. */
  tokenScheduler: 7041981,
  /** Held for a retraining round, so one prediction instance trains at a time. */
  predictionTraining: 7041983,
} as const;

export type AdvisoryLockName = keyof typeof AdvisoryLocks;
