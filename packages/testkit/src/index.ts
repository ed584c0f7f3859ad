export * from './environment';
export * from './database';
export * from './kafka';
export * from './free-port';
export * from './random';
export * from './topics';
export * from './signed-injections';
