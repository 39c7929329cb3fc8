export * from './weights';
export * from './rendezvous';
export * from './edge-score';
export * from './predictive';
export * from './routing';
