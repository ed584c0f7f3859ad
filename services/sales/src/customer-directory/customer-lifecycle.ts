import type { SalesDb } from '../db/tables';

/**
 * What a feature does with its own rows when a customer is merged or erased: each feature that keeps
 * rows about customers exports one, and app.ts hands them all to the customer directory's consumer.
 * Erasure means no trace: every row naming the person goes or loses the link (figures may stay anonymous).
 */
export interface CustomerLifecycle {
  /** `mergedId`'s rows become `survivorId`'s. */
  merged?(trx: SalesDb, mergedId: string, survivorId: string): Promise<void>;
  /** Everything about these ids (the person and the ids merged into it) goes. */
  erased?(trx: SalesDb, ids: string[]): Promise<void>;
}
