export * from './advisory-leadership';
export * from './advisory-locks';
export * from './append';
export * from './data-source';
export * from './event-store';
export * from './group-commit';
export * from './pool';
export * from './sql-errors';
export { SensitiveValues, type DataKey } from './sensitive-values';
