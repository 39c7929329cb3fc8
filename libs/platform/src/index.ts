export * from './tokens';
export * from './health';
export * from './platform.module';
export * from './bootstrap';
export * from './json-body';
export * from './rpc-transport';
