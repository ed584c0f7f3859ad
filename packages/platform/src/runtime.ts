import { v7 as uuidv7 } from 'uuid';

/** Injected wherever time or identity is made, so tests can pin them (no hidden globals). */
export interface Runtime {
  now(): Date;
  newId(): string;
}

export const systemRuntime: Runtime = Object.freeze({
  now: () => new Date(),
  // Time-ordered UUIDs keep b-tree inserts local and make ids sort by creation.
  newId: () => uuidv7(),
});
