export * from './session';
export * from './decide';
export * from './merge-patch';
export * from './session-id';
