import { batchItemError, issuesDetail, Problems, type IndexedValue } from '@crm/platform';
import type { WriteContext } from '../dependencies';
import { upsertCustomers, type ItemResult, type UpsertItem } from './customer-upsert.service';
import type { Db } from './customers.repository';
import { BatchItem, type BatchItemResult, type BatchSummary } from './customers.schemas';

function resultOf(index: number, result: ItemResult): BatchItemResult {
  if (result.status === 'error') {
    const { problem, message } = result.error;
    return { index, status: 'error', error: batchItemError(problem, message) };
  }
  const written: BatchItemResult = { index, status: result.status, id: result.id, version: result.version };
  if (result.changedFields.length) written.changedFields = result.changedFields;
  return written;
}

/**
 * Upserts one chunk in one transaction. Items that do not parse get their own error and never
 * reach the database; the rest are written set-based together.
 */
export async function upsertChunk(
  write: <T>(work: (trx: Db) => Promise<T>) => Promise<T>,
  raw: IndexedValue[],
  context: WriteContext,
  /** Results already decided for this chunk's lines (e.g. lines that were not JSON). */
  decided: BatchItemResult[] = [],
): Promise<BatchItemResult[]> {
  const results: BatchItemResult[] = [...decided];
  const valid: { index: number; item: UpsertItem }[] = [];
  for (const { index, value } of raw) {
    const parsed = BatchItem.safeParse(value);
    if (!parsed.success) {
      results.push({ index, status: 'error', error: batchItemError(Problems.validation, issuesDetail(parsed.error.issues, '(item)')) });
      continue;
    }
    const { id, externalId, customer } = parsed.data;
    const ref = id ? { kind: 'id' as const, id } : externalId ? { kind: 'external' as const, externalId } : { kind: 'new' as const };
    valid.push({ index, item: { ref, input: customer } });
  }
  if (valid.length > 0) {
    const written = await write((trx) => upsertCustomers(trx, valid.map((v) => v.item), context));
    written.results.forEach((result, i) => results.push(resultOf(valid[i]!.index, result)));
  }
  return results.sort((a, b) => a.index - b.index);
}

const NOTHING_YET: BatchSummary = Object.freeze({ received: 0, created: 0, updated: 0, unchanged: 0, errors: 0 });

/** The batch's counts, kept as results come (an NDJSON stream's results are not kept). */
export const batchTally = Object.freeze({
  initial: NOTHING_YET,
  add(summary: BatchSummary, results: BatchItemResult[]): BatchSummary {
    const next = { ...summary, received: summary.received + results.length };
    for (const r of results) next[r.status === 'error' ? 'errors' : r.status] += 1;
    return next;
  },
});
