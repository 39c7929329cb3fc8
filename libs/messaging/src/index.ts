export * from './codec';
export * from './nats-connection';
export * from './rpc';
export * from './jetstream';
export * from './coalesced-refresh';
