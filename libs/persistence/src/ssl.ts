/** SSL to Postgres as configured (`DATABASE_SSL`…): libpq's mode names, PEM texts. */
export interface PgSslSettings {
  readonly mode: 'disable' | 'require' | 'verify-ca' | 'verify-full';
  readonly ca?: string;
  readonly cert?: string;
  readonly key?: string;
}

/** The TLS options pg takes (a subset of Node's, which TypeORM also accepts). */
export interface PgSslOptions {
  readonly rejectUnauthorized: boolean;
  readonly ca?: string;
  readonly cert?: string;
  readonly key?: string;
  readonly checkServerIdentity?: () => undefined;
}

/**
 * The `ssl` option of pg (and of TypeORM, which hands it to pg) for a mode: `require` encrypts without
 * checking who answers, `verify-ca` checks the chain, `verify-full` the chain and the host name.
 */
export function pgSsl(settings: PgSslSettings | undefined): false | PgSslOptions {
  if (!settings || settings.mode === 'disable') return false;
  const client = settings.cert !== undefined && settings.key !== undefined ? { cert: settings.cert, key: settings.key } : {};
  if (settings.mode === 'require') return { rejectUnauthorized: false, ...client };
  return {
    rejectUnauthorized: true,
    ...(settings.ca !== undefined ? { ca: settings.ca } : {}),
    ...client,
    ...(settings.mode === 'verify-ca' ? { checkServerIdentity: () => undefined } : {}),
  };
}
