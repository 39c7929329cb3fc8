export * from './clock';
export * from './manual-clock';
export * from './sleep';
export * from './backoff';
