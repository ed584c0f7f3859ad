import { sql, type Selectable } from 'kysely';
import type { ScoringDb, TransactionTable } from '../db/tables';
import { assignedToDealer } from '../customer-projection/customer.repository';

export type TransactionRecord = Selectable<TransactionTable>;

/** A transaction row as ingest writes it: values as text, the exchange rate instead of the base amount. */
export type TransactionWrite = Omit<TransactionTable, 'occurred_at' | 'amount' | 'amount_base' | 'quantity' | 'ingested_at'> & {
  occurred_at: string;
  amount: string;
  rate: string;
  quantity: number;
};

/** Which transactions a page lists, newest first, and where it starts. */
export interface TransactionFilter {
  /** Only rows of the customers assigned to this dealer now. */
  assignedToDealer?: string | undefined;
  /** Only rows this dealer booked. */
  dealerId?: string | undefined;
  customerId?: string | undefined;
  /** Keyset position: rows strictly before (occurred_at, id). */
  before?: { at: string; id: string } | undefined;
  limit: number;
}

/** Every query on `transaction` that ingest and the list make. */
export const transactionsRepository = Object.freeze({
  /**
   * One statement for the whole chunk: amounts converted to the base currency in exact numeric, and
   * rows whose (namespace, source system, external id) exists already skipped. Returns the ids actually inserted.
   */
  async insert(trx: ScoringDb, rows: TransactionWrite[]): Promise<Set<string>> {
    if (rows.length === 0) return new Set();
    const { rows: inserted } = await sql<{ id: string }>`
      insert into scoring.transaction (id, namespace, source_system, external_id, customer_id, customer_ref_system, customer_ref_id,
        occurred_at, type, amount, currency, amount_base, quantity, product, category, channel, dealer_id)
      select id, namespace, source_system, external_id, customer_id, customer_ref_system, customer_ref_id, occurred_at, type, amount,
        currency, round(amount * rate, 4), quantity, product, category, channel, dealer_id
      from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as r(id uuid, namespace text, source_system text, external_id text,
        customer_id uuid, customer_ref_system text, customer_ref_id text, occurred_at timestamptz, type text, amount numeric,
        currency text, rate numeric, quantity numeric, product text, category text, channel text, dealer_id uuid)
      on conflict (namespace, source_system, external_id) do nothing
      returning id`.execute(trx);
    return new Set(inserted.map((r) => r.id));
  },

  /** The sales a source system booked under external ids starting with `prefix` (e.g. one order's lines). */
  async salesWithExternalIdPrefix(db: ScoringDb, sourceSystem: string, prefix: string): Promise<TransactionRecord[]> {
    return db
      .selectFrom('transaction')
      .selectAll()
      .where('source_system', '=', sourceSystem)
      .where('type', '=', 'sale')
      .where('external_id', 'like', `${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`)
      .orderBy('external_id')
      .execute();
  },

  /** Up to `limit` rows, newest first (occurred_at, then id). */
  async list(db: ScoringDb, filter: TransactionFilter): Promise<TransactionRecord[]> {
    let query = db.selectFrom('transaction').selectAll();
    if (filter.assignedToDealer) query = query.where(assignedToDealer('customer_id', filter.assignedToDealer));
    if (filter.dealerId) query = query.where('dealer_id', '=', filter.dealerId);
    if (filter.customerId) query = query.where('customer_id', '=', filter.customerId);
    if (filter.before) query = query.where(sql<boolean>`(occurred_at, id) < (${filter.before.at}::timestamptz, ${filter.before.id}::uuid)`);
    return query.orderBy('occurred_at', 'desc').orderBy('id', 'desc').limit(filter.limit).execute();
  },
});
