export * from './codec';
export * from './nats-connection';
export * from './rpc';
export * from './jetstream';
export * from './consumer-supervisor';
export * from './dead-letter';
export * from './streams';
export * from './coalesced-refresh';
