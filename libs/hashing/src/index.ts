export * from './hash';
export * from './rendezvous';
export * from './secondaries';
