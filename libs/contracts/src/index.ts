export * from './envelope';
export * from './errors';
export * from './session-events';
export * from './cluster-events';
export * from './subjects';
export * from './shard-commands';
export * from './metadata-commands';
export * from './rpc';
