export * from './config';
export { EnvReader } from './env-reader';
export { originCaptures, parseOrigins, parseRequirements } from './cache-config';
export type { CacheConfig, OriginSpec } from './cache-config';
export { loadOriginExampleConfig } from './origin-example-config';
export type { OriginExampleConfig } from './origin-example-config';
export { API_KEY_SCOPES } from './security-config';
export type { ApiKeyScope, ApiKeySpec, GatewaySecurityConfig, SessionEncryptionConfig } from './security-config';
export { isDevelopmentSecret } from './secrets';
