import './error-messages';
export * from './values';
export * from './principal';
export * from './events';
export * from './event-catalog';
export * from './sales-events';
export * from './external-id-namespace';
export * from './event-schemas';
export * from './money';
