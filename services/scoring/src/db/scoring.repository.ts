import type { ExternalId } from '@crm/domain';
import { sql, type Kysely } from 'kysely';
import type { ScoringDatabase, TransactionTable } from './tables';

export type ScoringDb = Kysely<ScoringDatabase>;

/** Names of the service's advisory locks (see lockForTransaction). */
export const ScoringLocks = {
  clvModel: 'scoring.clv-model',
  run: 'scoring.run',
  tierAssignment: 'scoring.tier-assignment',
  /**
   * Linking a transaction to its customer: ingest holds it shared while it resolves and writes, a
   * customer event exclusively while it projects, links pending rows, re-keys or unlinks. Without it
   * a sale resolved just before its customer's projection commits would stay pending for ever.
   */
  customerLinks: 'scoring.customer-links',
} as const;

/** A table of the scoring schema, qualified, for raw SQL (withSchema does not reach into it). */
export const table = (name: keyof ScoringDatabase) => sql.table(`scoring.${name}`);

/** Units of base currency per unit of each currency asked for (the base currency itself is 1). */
export async function ratesFor(db: ScoringDb, currencies: string[], baseCurrency: string): Promise<Map<string, string>> {
  const rates = new Map<string, string>([[baseCurrency, '1']]);
  const wanted = currencies.filter((c) => c !== baseCurrency);
  if (wanted.length === 0) return rates;
  for (const row of await db.selectFrom('exchange_rate').select(['currency', 'rate']).where('currency', 'in', wanted).execute()) {
    rates.set(row.currency, row.rate);
  }
  return rates;
}

/** A customer a batch row names (its final survivor, when the id was merged away), with the dealer it is assigned to now. */
export interface KnownCustomer {
  id: string;
  dealerId: string | null;
}

/** An external id within its namespace, as `knownCustomers` keys them (a namespace never contains "|"). */
export const namespacedKey = (namespace: string, system: string, id: string): string => `${namespace}|${system}/${id}`;

/**
 * Which known customers the batch names: by our id, and by external id in any of these namespaces. A
 * merged-away id (or an external id that pointed at one) resolves to its final survivor: `byId` maps each
 * id as written to that customer.
 */
export async function knownCustomers(db: ScoringDb, ids: string[], externalIds: ExternalId[], namespaces: readonly string[]) {
  const [byId, byExternal] = await Promise.all([
    ids.length
      ? sql<{ named: string; customer_id: string; dealer_id: string | null }>`
          select k.named, c.id as customer_id, c.dealer_id from unnest(${ids}::text[]) as k(named)
          left join ${table('customer_alias')} a on a.merged_id = k.named::uuid
          join ${table('customer')} c on c.id = coalesce(a.survivor_id, k.named::uuid)`.execute(db).then((r) => r.rows)
      : Promise.resolve([]),
    externalIds.length
      ? sql<{ namespace: string; system: string; external_id: string; customer_id: string; dealer_id: string | null }>`
          select e.namespace, e.system, e.external_id, c.id as customer_id, c.dealer_id from ${table('customer_external_id')} e
          join unnest(${externalIds.map((e) => e.system)}::text[], ${externalIds.map((e) => e.id)}::text[]) as k(system, external_id)
            using (system, external_id)
          left join ${table('customer_alias')} a on a.merged_id = e.customer_id
          join ${table('customer')} c on c.id = coalesce(a.survivor_id, e.customer_id)
          where e.namespace = any(${namespaces}::text[])`.execute(db).then((r) => r.rows)
      : Promise.resolve([]),
  ]);
  return {
    byId: new Map<string, KnownCustomer>(byId.map((r) => [r.named, { id: r.customer_id, dealerId: r.dealer_id }])),
    byExternal: new Map<string, KnownCustomer>(byExternal.map((r) => [namespacedKey(r.namespace, r.system, r.external_id), { id: r.customer_id, dealerId: r.dealer_id }])),
  };
}

/** A transaction row as ingest writes it: values as text, the exchange rate instead of the base amount. */
export type TransactionWrite = Omit<TransactionTable, 'occurred_at' | 'amount' | 'amount_base' | 'quantity' | 'ingested_at'> & {
  occurred_at: string;
  amount: string;
  rate: string;
  quantity: number;
};

/**
 * One statement for the whole chunk: amounts converted to the base currency in exact numeric, and
 * rows whose (namespace, source system, external id) exists already skipped. Returns the ids actually inserted.
 */
export async function insertTransactions(trx: ScoringDb, rows: TransactionWrite[]): Promise<Set<string>> {
  if (rows.length === 0) return new Set();
  const { rows: inserted } = await sql<{ id: string }>`
    insert into ${table('transaction')} (id, namespace, source_system, external_id, customer_id, customer_ref_system, customer_ref_id,
      occurred_at, type, amount, currency, amount_base, quantity, product, category, channel, dealer_id)
    select id, namespace, source_system, external_id, customer_id, customer_ref_system, customer_ref_id, occurred_at, type, amount,
      currency, round(amount * rate, 4), quantity, product, category, channel, dealer_id
    from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as r(id uuid, namespace text, source_system text, external_id text,
      customer_id uuid, customer_ref_system text, customer_ref_id text, occurred_at timestamptz, type text, amount numeric,
      currency text, rate numeric, quantity numeric, product text, category text, channel text, dealer_id uuid)
    on conflict (namespace, source_system, external_id) do nothing
    returning id`.execute(trx);
  return new Set(inserted.map((r) => r.id));
}
