import { ExternalId, Money, SafeDateTime, SafeText } from '@crm/domain';
import { documentedAs, PageQuery } from '@crm/platform';
import { z } from 'zod';

/** Largest JSON batch; an NDJSON stream may be any length (within the NDJSON limits). */
export const MAX_JSON_BATCH = 10_000;

const Label = SafeText.trim().min(1).max(200);

/** One sales transaction as ERP systems and batch jobs post it. */
export const TransactionInput = z
  .strictObject({
    sourceSystem: ExternalId.shape.system,
    externalId: ExternalId.shape.id,
    customer: z.union([z.strictObject({ id: z.uuid() }), z.strictObject({ externalId: ExternalId })]),
    occurredAt: SafeDateTime,
    type: z.enum(['sale', 'return']),
    /** Never negative: a refund is a `return` of a positive amount. */
    amount: Money,
    quantity: z.number().positive().max(1_000_000),
    product: Label.optional(),
    category: Label.optional(),
    channel: Label.optional(),
    dealerId: z.uuid().optional(),
  });
export type TransactionInput = z.infer<typeof TransactionInput>;

export const RowResult = z.object({
  index: z.number().int(),
  status: z.enum(['inserted', 'pending', 'duplicate', 'rejected']),
  id: z.uuid().optional(),
  reason: z.string().optional(),
});
export type RowResult = z.infer<typeof RowResult>;

export const IngestSummary = z.object({
  received: z.number().int(),
  inserted: z.number().int(),
  duplicates: z.number().int(),
  pending: z.number().int(),
  rejected: z.number().int(),
});
export type IngestSummary = z.infer<typeof IngestSummary>;

/** Rows are checked one by one by the ingest (a bad row is a rejected result, never a 400 for the batch). */
export const IngestTransactionsBody = z.object({ items: z.array(documentedAs(TransactionInput.meta({ id: 'NewTransaction' }))).min(1).max(MAX_JSON_BATCH) });
export const IngestTransactionsAnswer = z.object({ results: z.array(RowResult), summary: IngestSummary });
export type IngestTransactionsAnswer = z.infer<typeof IngestTransactionsAnswer>;

export const RejectedLine = z.object({ line: z.number().int(), reason: z.string() });
export type RejectedLine = z.infer<typeof RejectedLine>;

export const IngestJob = z
  .object({
    id: z.uuid(),
    status: z.enum(['running', 'succeeded', 'failed', 'interrupted']).describe('interrupted: its process stopped mid-stream; the counters show what was committed'),
    received: z.number().int(),
    inserted: z.number().int(),
    duplicates: z.number().int(),
    pending: z.number().int(),
    rejected: z.number().int(),
    rejectedLines: z.array(RejectedLine),
    error: z.string().nullable(),
    lastLine: z.number().int().describe('the last line number read so far; a job stopped at a limit read nothing after it'),
    createdAt: z.string(),
    finishedAt: z.string().nullable(),
  })
  .meta({ id: 'IngestJob' });
export type IngestJob = z.infer<typeof IngestJob>;

export const Transaction = z
  .object({
    id: z.uuid(),
    sourceSystem: z.string(),
    externalId: z.string(),
    namespace: z.string().describe('where (sourceSystem, externalId) is unique: `shared` (staff, integrations) or `dealer:<dealerId>` (ADR 0008)'),
    customerId: z.uuid().nullable(),
    occurredAt: z.string(),
    type: z.enum(['sale', 'return']),
    amount: z.object({ amount: z.string(), currency: z.string() }),
    amountBase: z.string(),
    quantity: z.string(),
    product: z.string().nullable(),
    category: z.string().nullable(),
    channel: z.string().nullable(),
    dealerId: z.uuid().nullable(),
  })
  .meta({ id: 'Transaction' });
export type Transaction = z.infer<typeof Transaction>;

export const IngestJobParams = z.object({ id: z.uuid() });
export const TransactionListQuery = PageQuery.extend({ customerId: z.uuid().optional(), dealerId: z.uuid().optional() });
export type TransactionListQuery = z.infer<typeof TransactionListQuery>;
