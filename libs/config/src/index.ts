export * from './config';
export { EnvReader } from './env-reader';
