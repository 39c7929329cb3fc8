export * from './config';
export { EnvReader } from './env-reader';
export { originCaptures, parseOrigins, parseRequirements } from './cache-config';
export type { CacheConfig, OriginSpec } from './cache-config';
export { loadOriginExampleConfig } from './origin-example-config';
export type { OriginExampleConfig } from './origin-example-config';
