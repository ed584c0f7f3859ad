export * from './values';
export * from './principal';
export * from './events';
export * from './event-schemas';
