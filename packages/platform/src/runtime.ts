import { randomFillSync } from 'node:crypto';
import { v7 as uuidv7 } from 'uuid';

// Bulk paths make thousands of ids per request: draw their randomness from a pool, not a call each.
const POOL_IDS = 1024;
const pool = Buffer.alloc(16 * POOL_IDS);
let poolOffset = pool.length;

function randomBytes16(): Uint8Array {
  if (poolOffset >= pool.length) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  poolOffset += 16;
  return pool.subarray(poolOffset - 16, poolOffset);
}

/** Injected wherever time or identity is made, so tests can pin them (no hidden globals). */
export interface Runtime {
  now(): Date;
  newId(): string;
}

export const systemRuntime: Runtime = Object.freeze({
  now: () => new Date(),
  // Time-ordered UUIDs keep b-tree inserts local and make ids sort by creation.
  newId: () => uuidv7({ random: randomBytes16() }),
});
