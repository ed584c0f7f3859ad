import { ExternalId } from '@crm/domain';
import { Problems } from '@crm/platform';
import { z } from 'zod';
import type { Db } from '../db/customer.repository';
import { CustomerInput } from './customer.model';
import { upsertCustomers, type ItemResult, type UpsertItem, type WriteContext } from './customer-write.service';

/** One batch item: which customer (our id, an external id, or neither for a new one) and its fields. */
export const BatchItem = z
  .strictObject({ id: z.uuid().optional(), externalId: ExternalId.optional(), customer: CustomerInput })
  .refine((item) => !(item.id && item.externalId), { message: 'give id or externalId, not both', path: ['id'] })
  .meta({ id: 'CustomerBatchItem' });

export const MAX_JSON_BATCH = 5000;

export const BatchItemResult = z.object({
  index: z.number().int(),
  status: z.enum(['created', 'updated', 'unchanged', 'error']),
  id: z.uuid().optional(),
  version: z.number().int().optional(),
  changedFields: z.array(z.string()).optional(),
  error: z.object({ type: z.string(), title: z.string(), status: z.number().int(), detail: z.string() }).optional(),
});
export type BatchItemResult = z.infer<typeof BatchItemResult>;

function resultOf(index: number, result: ItemResult): BatchItemResult {
  if (result.status === 'error') {
    const { problem, message } = result.error;
    return { index, status: 'error', error: { type: problem.type, title: problem.title, status: problem.status, detail: message } };
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
  raw: { index: number; value: unknown }[],
  context: WriteContext,
  /** Results already decided for this chunk's lines (e.g. lines that were not JSON). */
  decided: BatchItemResult[] = [],
): Promise<BatchItemResult[]> {
  const results: BatchItemResult[] = [...decided];
  const valid: { index: number; item: UpsertItem }[] = [];
  for (const { index, value } of raw) {
    const parsed = BatchItem.safeParse(value);
    if (!parsed.success) {
      const detail = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(item)'}: ${issue.message}`).join('; ');
      results.push({ index, status: 'error', error: { type: Problems.validation.type, title: Problems.validation.title, status: 400, detail } });
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

export function summarise(results: BatchItemResult[]) {
  const summary = { received: results.length, created: 0, updated: 0, unchanged: 0, errors: 0 };
  for (const r of results) summary[r.status === 'error' ? 'errors' : r.status] += 1;
  return summary;
}
