/**
 * @foresight/token-core — framework-free token logic: EdDSA access tokens with a rotating key
 * ring, rotated opaque refresh tokens with reuse detection, activity and load forecasts, and the
 * predictive refresh scheduler. No I/O, no Nest: clock and randomness are injected.
 */
export * from './errors';
export * from './random';
export * from './jwt/key-ring';
export * from './jwt/access-token';
export * from './jwt/verify';
export * from './refresh/opaque-token';
export * from './refresh/family';
export * from './refresh/decide';
export * from './refresh/handler';
export * from './forecast/normal';
export * from './forecast/activity';
export * from './forecast/population';
export * from './forecast/holt-winters';
export * from './schedule/refresh-scheduler';
export * from './forecast/return-model';
export * from './forecast/session-length';
export * from './schedule/access-lifetime';
export * from './schedule/renew-on-use';
export * from './schedule/push-ledger';
