export * from './environment';
export * from './database';
export * from './kafka';
