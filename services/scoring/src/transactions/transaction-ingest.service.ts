import { externalIdNamespace, SHARED_NAMESPACE, type Principal } from '@crm/domain';
import { dealerScope, lockForTransaction, valueFreeMessage, type Runtime } from '@crm/platform';
import { customerRepository, namespacedKey } from '../customer-projection/customer.repository';
import type { ScoringDb } from '../db/tables';
import { exchangeRatesRepository } from '../exchange-rates/exchange-rates.repository';
import { ScoringLocks } from '../locks';
import { rescoreQueueRepository } from '../runs/rescore-queue.repository';
import { TransactionInput, type IngestSummary, type RowResult } from './transactions.schemas';
import { transactionsRepository, type TransactionWrite } from './transactions.repository';

/** A chunk's answer: a result per row, and the customers it gave new purchases (to rescore). */
export interface ChunkOutcome {
  results: RowResult[];
  customerIds: string[];
}

export interface IngestContext {
  principal: Principal;
  runtime: Runtime;
  baseCurrency: string;
  clockSkewMs: number;
  /** Runs the chunk's writes in one transaction. */
  write: <T>(work: (trx: ScoringDb) => Promise<T>) => Promise<T>;
  /** Records a chunk's results (an ingest job's counters) in the transaction that writes the chunk, so they never disagree. */
  recordChunk?: (trx: ScoringDb, results: RowResult[]) => Promise<void>;
}

/**
 * Why a dealer's row is refused when its customer is unknown, another dealer's, or only pending:
 * one reason for every cause, so a dealer cannot learn which ids exist elsewhere.
 */
export const CUSTOMER_NOT_FOUND = 'not-found: customer: no customer of this dealer has this id';

const rejected = (index: number, reason: string): RowResult => ({ index, status: 'rejected', reason });
const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Checks one row on its own: shape, sign, time and dealer; returns the row or why it is refused. */
function checkRow(index: number, value: unknown, context: IngestContext, latest: number): TransactionInput | RowResult {
  const parsed = TransactionInput.safeParse(value);
  if (!parsed.success) return rejected(index, parsed.error.issues.map((i) => `${i.path.join('.') || '(row)'}: ${valueFreeMessage(i)}`).join('; '));
  const row = parsed.data;
  if (row.amount.amount.startsWith('-')) return rejected(index, 'amount.amount: must not be negative (a refund is a "return" of a positive amount)');
  if (Date.parse(row.occurredAt) > latest) return rejected(index, 'occurredAt: lies in the future beyond the allowed clock skew');
  const { principal } = context;
  if (principal.kind === 'dealer') {
    if (row.dealerId !== undefined && row.dealerId !== principal.dealerId) return rejected(index, 'dealerId: a dealer may only post its own transactions');
    return { ...row, dealerId: principal.dealerId };
  }
  return row;
}

/** A chunk after the checks that need no database: the rows refused so far and the rows to write. */
export interface CheckedChunk {
  refused: RowResult[];
  accepted: { index: number; row: TransactionInput }[];
}

/** Checks a chunk's rows one by one (CPU only), refusing duplicates within the chunk. */
export function checkChunk(raw: { index: number; value: unknown }[], context: IngestContext): CheckedChunk {
  const latest = context.runtime.now().getTime() + context.clockSkewMs;
  const results: RowResult[] = [];
  const accepted: { index: number; row: TransactionInput }[] = [];
  const seen = new Set<string>();
  for (const { index, value } of raw) {
    const checked = checkRow(index, value, context, latest);
    if ('status' in checked) {
      results.push(checked);
      continue;
    }
    const key = `${checked.sourceSystem}/${checked.externalId}`;
    if (seen.has(key)) {
      results.push(rejected(index, 'externalId: the same sourceSystem and externalId appear earlier in this batch'));
      continue;
    }
    seen.add(key);
    accepted.push({ index, row: checked });
  }
  return { refused: results, accepted };
}

/**
 * Writes a checked chunk with one set-based statement in one transaction. A row for an unknown
 * customer is kept pending (staff and integrations) or refused (dealers); the same (source system,
 * external id) twice in the principal's namespace is a duplicate, never a second sale.
 */
export async function writeChunk({ refused, accepted }: CheckedChunk, context: IngestContext): Promise<ChunkOutcome> {
  const results = [...refused];
  const customerIds = new Set<string>();
  if (accepted.length > 0) {
    results.push(
      ...(await context.write(async (trx) => {
        await lockForTransaction(trx, ScoringLocks.customerLinks, 'shared');
        const scope = dealerScope(context.principal);
        const namespace = externalIdNamespace(context.principal);
        const rates = await exchangeRatesRepository.ratesFor(trx, [...new Set(accepted.map((a) => a.row.amount.currency))], context.baseCurrency);
        const known = await customerRepository.knownCustomers(
          trx,
          accepted.flatMap((a) => ('id' in a.row.customer ? [a.row.customer.id] : [])),
          accepted.flatMap((a) => ('externalId' in a.row.customer ? [a.row.customer.externalId] : [])),
          scope ? [namespace, SHARED_NAMESPACE] : [namespace],
        );
        const chunkResults: RowResult[] = [];
        const writes: (TransactionWrite & { index: number })[] = [];
        for (const { index, row } of accepted) {
          const rate = rates.get(row.amount.currency);
          if (rate === undefined) {
            chunkResults.push(rejected(index, `amount.currency: no exchange rate for ${row.amount.currency} (see /v1/exchange-rates)`));
            continue;
          }
          const ref = 'id' in row.customer ? { system: 'crm', id: row.customer.id } : row.customer.externalId;
          const candidates =
            'id' in row.customer
              ? [known.byId.get(row.customer.id)]
              : [known.byExternal.get(namespacedKey(namespace, ref.system, ref.id)), scope ? known.byExternal.get(namespacedKey(SHARED_NAMESPACE, ref.system, ref.id)) : undefined];
          // A dealer posts only for customers assigned to it now, never pending; anything else is one answer.
          const customer = candidates.find((c) => c !== undefined && (!scope || c.dealerId === scope));
          if (scope && !customer) {
            chunkResults.push(rejected(index, CUSTOMER_NOT_FOUND));
            continue;
          }
          const customerId = customer?.id ?? null;
          writes.push({
            index,
            id: context.runtime.newId(),
            namespace,
            source_system: row.sourceSystem,
            external_id: row.externalId,
            customer_id: customerId,
            customer_ref_system: customerId ? null : ref.system,
            customer_ref_id: customerId ? null : ref.id,
            occurred_at: row.occurredAt,
            type: row.type,
            amount: row.amount.amount,
            currency: row.amount.currency,
            rate,
            quantity: row.quantity,
            product: row.product ?? null,
            category: row.category ?? null,
            channel: row.channel ?? null,
            dealer_id: row.dealerId ?? null,
          });
        }
        // One key order for every chunk: concurrent chunks repeating each other's keys then wait, never deadlock.
        writes.sort((x, y) => (x.source_system === y.source_system ? compare(x.external_id, y.external_id) : compare(x.source_system, y.source_system)));
        const inserted = await transactionsRepository.insert(trx, writes);
        for (const write of writes) {
          if (!inserted.has(write.id)) chunkResults.push({ index: write.index, status: 'duplicate' });
          else {
            chunkResults.push({ index: write.index, status: write.customer_id ? 'inserted' : 'pending', id: write.id });
            if (write.customer_id) customerIds.add(write.customer_id);
          }
        }
        // Committed with the sales: a crash after the commit still leaves them to the rescore worker.
        await rescoreQueueRepository.queue(trx, [...customerIds]);
        await context.recordChunk?.(trx, [...refused, ...chunkResults]);
        return chunkResults;
      })),
    );
  } else {
    const { recordChunk } = context;
    if (recordChunk) await context.write((trx) => recordChunk(trx, results));
  }
  return { results: results.sort((a, b) => a.index - b.index), customerIds: [...customerIds] };
}

/** Checks and writes one chunk. */
export async function ingestChunk(raw: { index: number; value: unknown }[], context: IngestContext): Promise<ChunkOutcome> {
  return writeChunk(checkChunk(raw, context), context);
}

export function summarise(results: Pick<RowResult, 'status'>[]): IngestSummary {
  const summary = { received: results.length, inserted: 0, duplicates: 0, pending: 0, rejected: 0 };
  for (const { status } of results) {
    if (status === 'duplicate') summary.duplicates += 1;
    else summary[status] += 1;
  }
  return summary;
}
