import type { SalesDb } from '../db/tables';

/**
 * What a feature does with its own rows when a customer is merged or erased: each feature that keeps
 * rows about customers exports one, and app.ts hands them all to the customer directory's consumer.
 * Erasure means no trace: every row naming the person goes or loses the link (figures may stay anonymous).
 */
export interface CustomerLifecycle {
  /** `mergedId`'s rows become `survivorId`'s. */
  merged?(trx: SalesDb, mergedId: string, survivorId: string): Promise<void>;
  /**
   * Everything about these ids (the person and the ids merged into it) goes, and what is kept under its
   * e-mails or phones without a link to it (`contactDigests`: platform `contactDigest` of each).
   */
  erased?(trx: SalesDb, ids: string[], contactDigests: readonly string[]): Promise<void>;
  /** What the feature holds on these ids (the person and the ids merged into it), by section name, for the export. */
  exported?(db: SalesDb, ids: string[]): Promise<Record<string, ExportedRecord[]>>;
}

/** One record of the export: its id and its fields as the feature stores them (dates as ISO strings). */
export type ExportedRecord = { id: string } & Record<string, string | number | boolean | null | string[] | object>;
