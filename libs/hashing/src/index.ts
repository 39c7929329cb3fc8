export * from './hash';
export * from './rendezvous';
