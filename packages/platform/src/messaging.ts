export * from './kafka-bus';
export * from './in-process-bus';
export * from './outbox-relay';
export * from './event-consumer';
